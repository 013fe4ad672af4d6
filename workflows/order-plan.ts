import type { AppliesTo, HostDocument } from '../src/domain/documents';
import type { Customer, Payment } from '../src/domain/order';
import { attachesPdf, contactKeyOf } from '../src/documents/kinds';
import type { XeroCheckResult, XeroConflict } from '../src/xero-changes/compare';
import type { DriftSource, XeroDocumentCopy } from '../src/xero-changes/contract';
import {
  applyXeroCheck,
  kindOf,
  paidTotal,
  samePayment,
  startRecreate,
  type InvoiceState,
  type OrderState,
  type PaymentState,
} from './order-state';

/**
 * What an order's workflow does next, given what the host said and what Xero has: a pure function
 * of the state (table-tested in test/order-plan.test.ts). The workflow runs the step's activity and
 * hands the result back to `applyStepResult`, which is pure too.
 *
 * Order of work: a copy read from Xero is checked first (even while a step has failed: it is not
 * a write); admission; an admin's answer to a change in Xero; removals of payments (they free the
 * invoice for a revision or a cancel); the cancel; the contact; the invoice; a revision; the PDF;
 * new payments. A revision or payment that meets a change made in Xero (a drift, a void, payments
 * recorded there) is planned as `xero_conflict` under the step's own name, whose activity applies
 * Setup's choice: hold (a failure), or the host wins (overwrite / create again).
 */

interface StepBase {
  name: string;
  kind: 'invoice' | 'payment' | 'contact' | 'attachment' | 'credit_note' | 'bill';
  action: string;
}

export type Step =
  | (StepBase & { type: 'admit'; convertedAt: string })
  | (StepBase & {
      type: 'unpay';
      paymentId: string;
      xeroPaymentId: string;
      generation: number;
      reason: 'removed' | 'revision';
    })
  | (StepBase & { type: 'cancel_unsynced'; contactId?: string })
  | (StepBase & { type: 'cancel'; invoiceId: string })
  | (StepBase & {
      type: 'contact';
      /** Absent when the document names a Xero contact (xeroContactId). */
      customer: Customer;
      xeroContactId?: string;
      byName?: boolean;
      key?: string;
    })
  | (StepBase & {
      type: 'invoice';
      order: HostDocument;
      revision: number;
      contactId: string;
      /** Created again after a void or delete in Xero: the document it replaces. */
      replaces?: { id: string; number: string; n: number; resolution: 'overwritten' | 'sent_ours' };
    })
  | (StepBase & {
      type: 'revise';
      invoiceId: string;
      order: HostDocument;
      revision: number;
      contactId: string;
      syncedPayments: number;
      /** Written over an accountant's change in Xero: how the drift is resolved. */
      overwrites?: 'overwritten' | 'sent_ours';
    })
  | (StepBase & { type: 'check_xero'; copy: XeroDocumentCopy; via: DriftSource })
  | (StepBase & { type: 'resolve_xero'; resolution: 'accept_xero' | 'ignore' })
  | (StepBase & { type: 'xero_conflict'; conflict: XeroConflict; what: 'revision' | 'payment' })
  | (StepBase & { type: 'attach'; invoiceId: string; order: HostDocument; revision: number })
  | (StepBase & { type: 'allocate'; creditNoteId: string; appliesTo: AppliesTo; total: number; lookFirst: boolean })
  | (StepBase & { type: 'pay'; invoiceId: string; payment: Payment; generation: number; lookFirst: boolean });

export type StepResult =
  | { type: 'admit'; status: 'syncing' | 'skipped' | 'cancelled'; reason?: string }
  | { type: 'unpay' }
  | { type: 'cancel_unsynced'; status?: string; invoice?: InvoiceState }
  | { type: 'cancel'; status: string }
  | { type: 'contact'; contactId: string }
  | { type: 'invoice'; invoice: InvoiceState }
  | { type: 'revise'; outcome: 'updated'; status: string; total: number; allocationLifted?: boolean }
  | { type: 'revise'; outcome: 'skipped' | 'payments_first' }
  | { type: 'attach' }
  | { type: 'allocate'; outcome: 'allocated'; invoiceId: string; amount: number; allocationId: string }
  | { type: 'allocate'; outcome: 'waiting'; message: string }
  | { type: 'pay'; outcome: 'created'; xeroPaymentId: string }
  | { type: 'pay'; outcome: 'skipped'; reason: string }
  | { type: 'check_xero'; result: XeroCheckResult }
  | { type: 'resolve_xero'; resolved: boolean }
  | { type: 'xero_conflict'; verdict: 'overwrite' | 'recreate' };

export function nextStep(state: OrderState): Step | undefined {
  const x = state.xero;
  if (x?.pending && state.admission === 'syncing') {
    return {
      type: 'check_xero',
      name: 'check_xero',
      kind: 'invoice',
      action: 'check',
      copy: x.pending.copy,
      via: x.pending.via,
    };
  }
  if (state.failure) return undefined;
  if (!state.admission) {
    const { order, convertedAt } = state;
    if (!order || !convertedAt) return undefined; // payments or a cancel before the conversion: wait for it
    return { type: 'admit', name: 'admit', kind: 'invoice', action: 'create', convertedAt };
  }
  if (state.admission === 'skipped') return undefined;

  if (x?.resolve && state.invoice) {
    return { type: 'resolve_xero', name: 'resolve_xero', kind: 'invoice', action: 'resolve', resolution: x.resolve };
  }

  const invoice = state.invoice;
  const toDelete = state.payments.find((p) => p.synced && (p.removed || p.reapply));
  if (toDelete?.synced && invoice) {
    return {
      type: 'unpay',
      name: `unpay:${toDelete.id}`,
      kind: 'payment',
      action: 'delete',
      paymentId: toDelete.id,
      xeroPaymentId: toDelete.synced.xeroPaymentId,
      generation: toDelete.generation,
      reason: toDelete.removed ? 'removed' : 'revision',
    };
  }

  if (state.cancelRequested) {
    if (state.cancelled) return undefined;
    if (!invoice) {
      // A create whose answer was lost may have made one: the activity asks Xero (for our contact).
      const contactId = state.contact?.contactId;
      return {
        type: 'cancel_unsynced',
        name: 'cancel',
        kind: 'invoice',
        action: 'cancel',
        ...(contactId ? { contactId } : {}),
      };
    }
    return { type: 'cancel', name: 'cancel', kind: 'invoice', action: 'cancel', invoiceId: invoice.id };
  }

  const order = state.order;
  if (order && (!state.contact || state.contact.customerId !== contactKeyOf(order))) {
    if (kindOf(state) === 'order') {
      return { type: 'contact', name: 'contact', kind: 'contact', action: 'resolve', customer: order.customer! };
    }
    return {
      type: 'contact',
      name: 'contact',
      kind: 'contact',
      action: 'resolve',
      customer: order.customer ?? {
        type: 'organisation',
        id: contactKeyOf(order),
        name: '-',
        phones: [],
        addresses: [],
      },
      key: contactKeyOf(order),
      ...(order.xeroContactId ? { xeroContactId: order.xeroContactId } : {}),
      ...(order.contactByName ? { byName: true } : {}),
    };
  }
  const contactId = state.contact?.contactId ?? '';
  if (order && !invoice) {
    const r = x?.recreate;
    return {
      type: 'invoice',
      name: 'invoice',
      kind: 'invoice',
      action: 'create',
      order,
      revision: state.revision,
      contactId,
      ...(r ? { replaces: { ...r.replaces, n: r.n, resolution: r.resolution } } : {}),
    };
  }
  if (!invoice) return undefined; // payments wait for their invoice

  if (order && (invoice.syncedRevision !== state.revision || x?.overwrite === 'sent_ours')) {
    const conflict = revisionConflict(state);
    if (conflict)
      return { type: 'xero_conflict', name: 'revise', kind: 'invoice', action: 'update', conflict, what: 'revision' };
    return {
      type: 'revise',
      name: 'revise',
      kind: 'invoice',
      action: 'update',
      invoiceId: invoice.id,
      order,
      revision: state.revision,
      contactId,
      syncedPayments: state.payments.filter((p) => p.synced).length,
      ...(x?.overwrite ? { overwrites: x.overwrite } : {}),
    };
  }
  if (
    order &&
    invoice.syncedRevision !== null &&
    state.attachmentRevision !== invoice.syncedRevision &&
    attachesPdf(kindOf(state), order)
  ) {
    return {
      type: 'attach',
      name: 'attach',
      kind: 'attachment',
      action: 'upload',
      invoiceId: invoice.id,
      order,
      revision: invoice.syncedRevision,
    };
  }
  const allocation = state.allocation;
  if (
    order?.appliesTo &&
    kindOf(state) === 'credit_note' &&
    invoice.syncedRevision === state.revision &&
    !allocation?.done &&
    !allocation?.waiting
  ) {
    return {
      type: 'allocate',
      name: 'allocate',
      kind: 'credit_note',
      action: 'allocate',
      creditNoteId: invoice.id,
      appliesTo: order.appliesTo,
      total: invoice.total,
      lookFirst: (allocation?.tries ?? 0) + 1 > 1,
    };
  }
  const toCreate = state.payments.find((p) => !p.removed && !p.synced && !p.skipped);
  if (toCreate) {
    const conflict = paymentConflict(state, toCreate, invoice.total);
    if (conflict)
      return {
        type: 'xero_conflict',
        name: `pay:${toCreate.id}`,
        kind: 'payment',
        action: 'create',
        conflict,
        what: 'payment',
      };
    return {
      type: 'pay',
      name: `pay:${toCreate.id}`,
      kind: 'payment',
      action: 'create',
      invoiceId: invoice.id,
      payment: toCreate.payment,
      generation: toCreate.generation,
      // From the second creation in a generation on, an earlier attempt may have written it.
      lookFirst: toCreate.tries + 1 > 1,
    };
  }
  return undefined;
}

/** A revision meets a document voided in Xero, or an accountant's change that Setup may hold. */
function revisionConflict(state: OrderState): XeroConflict | undefined {
  const x = state.xero;
  if (!x) return undefined;
  if (x.closed) return { what: 'closed', closed: x.closed };
  if (x.drift && x.drift.fields.length > 0 && !x.overwrite) return { what: 'changed', fields: x.drift.fields };
  // The engine takes its own payments off to edit; an accountant's it leaves alone, and Xero refuses the edit.
  if (x.payments.length > 0 && kindOf(state) !== 'credit_note') return { what: 'paid', xeroPayments: x.payments };
  return undefined;
}

/** A payment meets a document voided in Xero, or one that payments recorded in Xero already paid. */
function paymentConflict(state: OrderState, p: PaymentState, total: number): XeroConflict | undefined {
  const x = state.xero;
  if (!x) return undefined;
  if (x.closed) return { what: 'closed', closed: x.closed };
  if (x.payments.length === 0) return undefined;
  const due = Math.round((total - paidTotal(state)) * 100) / 100;
  if (p.payment.amount <= due + 0.005) return undefined;
  return { what: 'overpay', paymentId: p.id, amount: p.payment.amount, due, xeroPayments: x.payments };
}

/** Called when a step's activity is about to be scheduled (counts creation attempts). */
export function stepStarted(state: OrderState, step: Step): void {
  if (step.type === 'pay') {
    const p = paymentOf(state, step.payment.id);
    if (p) p.tries++;
  }
  if (step.type === 'allocate') {
    state.allocation ??= { tries: 0, waits: 0 };
    state.allocation.tries++;
  }
}

function paymentOf(state: OrderState, id: string): PaymentState | undefined {
  return state.payments.find((p) => p.id === id);
}

/** What a finished step changes; the host's events meanwhile are already in the state. */
export function applyStepResult(state: OrderState, step: Step, result: StepResult): void {
  switch (result.type) {
    case 'admit':
      state.admission = result.status === 'cancelled' ? 'syncing' : result.status;
      if (result.reason) state.skipReason = result.reason;
      return;
    case 'unpay': {
      if (step.type !== 'unpay') return;
      const p = paymentOf(state, step.paymentId);
      if (!p) return;
      p.synced = undefined;
      p.generation++;
      p.tries = 0;
      p.reapply = false;
      return;
    }
    case 'cancel_unsynced':
      if (result.invoice) state.invoice = result.invoice;
      state.cancelled = true;
      return;
    case 'cancel':
      if (state.invoice) state.invoice.status = result.status;
      state.cancelled = true;
      return;
    case 'contact':
      if (step.type === 'contact')
        state.contact = { customerId: step.key ?? step.customer.id, contactId: result.contactId };
      return;
    case 'allocate': {
      state.allocation ??= { tries: 0, waits: 0 };
      if (result.outcome === 'allocated') {
        state.allocation.done = {
          invoiceId: result.invoiceId,
          amount: result.amount,
          allocationId: result.allocationId,
        };
        state.allocation.waiting = undefined;
      } else {
        state.allocation.waiting = result.message;
        state.allocation.waits++;
        state.allocation.tries = 0;
      }
      return;
    }
    case 'invoice':
      state.invoice = { ...result.invoice };
      if (state.xero?.recreate) {
        // The new document replaced the voided one (the activity resolved its drift).
        state.xero.recreate = undefined;
        state.xero.drift = undefined;
        state.xero.checked = undefined;
      }
      return;
    case 'check_xero':
      if (step.type === 'check_xero') applyXeroCheck(state, step.copy, result.result);
      return;
    case 'resolve_xero': {
      const x = state.xero;
      if (!x || step.type !== 'resolve_xero') return;
      x.resolve = undefined;
      x.drift = undefined;
      // Xero's copy is the document now: a revision the host sent while it was held is not written
      // over it (the host's next one is), as when Setup does not sync edits.
      if (step.resolution === 'accept_xero' && state.invoice && state.order) {
        state.invoice.syncedRevision = state.revision;
        state.attachmentRevision = state.revision;
      }
      return;
    }
    case 'xero_conflict':
      if (result.verdict === 'recreate') startRecreate(state, 'overwritten');
      else if (state.xero) state.xero.overwrite = 'overwritten';
      return;
    case 'revise': {
      if (step.type !== 'revise' || !state.invoice) return;
      if (result.outcome === 'payments_first') {
        for (const p of state.payments) if (p.synced) p.reapply = true;
        return;
      }
      if (step.overwrites && state.xero) {
        // Written over the accountant's change (or not at all: Setup does not sync edits).
        state.xero.overwrite = undefined;
        if (result.outcome === 'updated') state.xero.drift = undefined;
      }
      if (result.outcome === 'updated') {
        state.invoice.status = result.status;
        state.invoice.total = result.total;
        // A credit note's allocation came off for the edit: allocate again (the revised amount).
        if (result.allocationLifted) state.allocation = undefined;
      } else state.attachmentRevision = step.revision; // edits not synced: leave the PDF as it was too
      state.invoice.syncedRevision = step.revision;
      return;
    }
    case 'attach':
      if (step.type === 'attach') state.attachmentRevision = step.revision;
      return;
    case 'pay': {
      if (step.type !== 'pay') return;
      const p = paymentOf(state, step.payment.id);
      if (!p) return;
      if (result.outcome === 'created') {
        // The host may have changed or removed it meanwhile: the next loop reconciles that.
        p.synced = { xeroPaymentId: result.xeroPaymentId, amount: step.payment.amount };
        if (!samePayment(step.payment, p.payment)) p.reapply = true;
      } else p.skipped = result.reason;
      return;
    }
  }
}
