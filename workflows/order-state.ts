import type { OrderContext } from '../activities/orders';
import type { HostDocument } from '../src/domain/documents';
import type { Payment } from '../src/domain/order';
import { attachesPdf, documentLabel, parseDocumentRef, type DocumentKind } from '../src/documents/kinds';
import type { XeroCheckResult } from '../src/xero-changes/compare';
import type { DriftField, DriftSource, XeroDocumentCopy, XeroPaymentCopy } from '../src/xero-changes/contract';
import type {
  HostVersion,
  OrderEvent,
  OrderEventOutcome,
  OrderSyncView,
  StoredOrderState,
  XeroDocumentView,
} from '../src/orders/messages';

/**
 * An order's state as its workflow holds it, and how host events change it: pure functions, no
 * Temporal, so the rules are table-tested (test/order-state.test.ts) and the workflow stays a shell.
 *
 * The rules that make host events safe to retry, repeat and reorder:
 * - every event is answered: applied, or not applied with the reason (stale, duplicate, …);
 * - an order version (the host's `revision` or `updatedAt`) not newer than the newest seen changes
 *   nothing; without versions, identical content changes nothing and different content wins by arrival;
 * - a conversion of an order the engine already knows is a repeat: it never replaces newer content;
 * - a removed payment stays removed (a late retry of its creation cannot revive it);
 * - the newest version, the order and the removed payments outlive the run (`persisted`/`restore`).
 */

export interface PaymentState {
  id: string;
  payment: Payment;
  removed: boolean;
  /** What Xero has for it. */
  synced?: { xeroPaymentId: string; amount: number };
  /** Bumped each time a synced copy is deleted: the next creation is a new write with a new key. */
  generation: number;
  /** Creations scheduled in this generation: from the second on, look for an earlier write first. */
  tries: number;
  /** Delete and create again: the payment changed, or a revision needs the invoice free of payments. */
  reapply: boolean;
  skipped?: string;
}

/** The newest order version seen, per kind of version the host sends. */
export interface SeenVersion {
  revision?: number;
  updatedAtMs?: number;
}

export type InvoiceState = XeroDocumentView;

/** A credit note's allocation to the invoice or bill it applies to. */
export interface AllocationState {
  /** Allocated in Xero (exactly once: stored with the credit note's links). */
  done?: { invoiceId: string; amount: number; allocationId: string };
  /** The other document is not in Xero yet: look again later. */
  waiting?: string;
  /** Allocation attempts scheduled: from the second on, Xero is asked first. */
  tries: number;
  /** Waits so far (the shell's back-off). */
  waits: number;
}

/**
 * What someone changed in Xero (issue 13), as the document's workflow keeps it. The copies the
 * intake sends wait in `pending` for the `check_xero` step, which runs before any write of the
 * engine's own (a copy older than that write is stale); its verdict is kept here and decides what
 * the host's next change does (./order-plan.ts).
 */
export interface XeroSideState {
  /** The newest copy read from Xero, not yet compared. */
  pending?: { copy: XeroDocumentCopy; via: DriftSource };
  /** The newest copy compared (a repeat of it changes nothing). */
  checked?: { xeroId: string; at: string };
  /** Voided or deleted in Xero by someone else: never edited or paid again. */
  closed?: { status: 'VOIDED' | 'DELETED'; at: string };
  /** An open drift (`xero_drift`) and its field changes (empty for a closure or payments only). */
  drift?: { fields: DriftField[] };
  /** Payments recorded in Xero that the engine did not write: they count toward the document being paid. */
  payments: XeroPaymentCopy[];
  /** An admin's Accept Xero's / Ignore, waiting for its step. */
  resolve?: 'accept_xero' | 'ignore';
  /** The host's version is written over the accountant's change: Setup says so, or an admin chose Send ours. */
  overwrite?: 'overwritten' | 'sent_ours';
  /** Voided/deleted in Xero and to be created again (Setup, or Send ours): the document it replaces. */
  recreate?: { replaces: { id: string; number: string }; n: number; resolution: 'overwritten' | 'sent_ours' };
  recreations?: number;
}

export interface OrderState {
  accountId: string;
  /** The document's stored key (the order number for orders; see src/documents/kinds.ts). */
  orderNumber: string;
  /** Undefined for orders (and every run before kinds existed). */
  kind?: DocumentKind;
  order?: HostDocument;
  orderJson?: string;
  /** Our count of order versions; keys of invoice writes include it. */
  revision: number;
  /** Runs before versions were stored kept only the host's revision number here. */
  hostRevision?: number;
  version?: SeenVersion;
  convertedAt?: string;
  admission?: 'syncing' | 'skipped' | 'cancelled';
  skipReason?: string;
  contact?: { customerId: string; contactId: string };
  invoice?: InvoiceState;
  attachmentRevision: number | null;
  cancelRequested: boolean;
  cancelled: boolean;
  payments: PaymentState[];
  /** Payments removed before the engine heard of them: a late creation must not revive them. */
  removedPaymentIds?: string[];
  failure?: { step: string; kind: string; message: string };
  /** The step whose failure was reported to the host, to report it resolved. */
  reportedFailure?: string;
  eventSeq: number;
  /** Credit notes that apply to another document. */
  allocation?: AllocationState;
  /** What was changed in Xero by someone else (issue 13). */
  xero?: XeroSideState;
}

export const CLOSED_INVOICE = new Set(['VOIDED', 'DELETED']);

export function initialState(accountId: string, orderNumber: string, kind?: DocumentKind): OrderState {
  return {
    accountId,
    orderNumber,
    ...(kind && kind !== 'order' ? { kind } : {}),
    revision: 0,
    attachmentRevision: null,
    cancelRequested: false,
    cancelled: false,
    payments: [],
    eventSeq: 0,
  };
}

// ---- versions ----

export function seenVersionOf(v: HostVersion | undefined): SeenVersion | undefined {
  if (!v) return undefined;
  const out: SeenVersion = {};
  if (v.revision !== undefined) out.revision = v.revision;
  if (v.updatedAt !== undefined) {
    const ms = Date.parse(v.updatedAt);
    if (Number.isFinite(ms)) out.updatedAtMs = ms;
  }
  return out.revision === undefined && out.updatedAtMs === undefined ? undefined : out;
}

/** How an incoming version relates to the newest seen; 'unknown' when they share no kind. */
export function compareVersion(
  incoming: SeenVersion | undefined,
  seen: SeenVersion | undefined,
): 'newer' | 'same' | 'older' | 'unknown' {
  if (!incoming || !seen) return 'unknown';
  const cmp = (a: number, b: number) => (a > b ? 'newer' : a === b ? 'same' : 'older');
  if (incoming.revision !== undefined && seen.revision !== undefined) return cmp(incoming.revision, seen.revision);
  if (incoming.updatedAtMs !== undefined && seen.updatedAtMs !== undefined) {
    return cmp(incoming.updatedAtMs, seen.updatedAtMs);
  }
  return 'unknown';
}

function mergeVersion(seen: SeenVersion | undefined, incoming: SeenVersion | undefined): SeenVersion | undefined {
  if (!incoming) return seen;
  if (!seen) return { ...incoming };
  const max = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const out: SeenVersion = {};
  const revision = max(seen.revision, incoming.revision);
  const updatedAtMs = max(seen.updatedAtMs, incoming.updatedAtMs);
  if (revision !== undefined) out.revision = revision;
  if (updatedAtMs !== undefined) out.updatedAtMs = updatedAtMs;
  return out;
}

/** The version a state was given before versions were kept (legacy runs carried only hostRevision). */
function seenOf(state: OrderState): SeenVersion | undefined {
  if (state.version) return state.version;
  return state.hostRevision !== undefined ? { revision: state.hostRevision } : undefined;
}

// ---- events ----

export const kindOf = (state: Pick<OrderState, 'kind'>): DocumentKind => state.kind ?? 'order';

/** The document in words: "order 1001", "bill B-7". */
export function labelOf(state: Pick<OrderState, 'kind' | 'orderNumber'>): string {
  return documentLabel(kindOf(state), parseDocumentRef(state.orderNumber).hostId);
}

/** The same payment as the host described it (amount, date, reference). */
export const samePayment = (a: Payment, b: Payment) =>
  a.amount === b.amount && a.date === b.date && (a.reference ?? '') === (b.reference ?? '');

/** The engine has heard of the order: converted in this run, or in an earlier one. */
export const orderKnown = (state: OrderState): boolean => !!state.order || !!state.admission;

/** Admitted, and nothing else known: no content, no version, no revision, no invoice. */
const admittedOnly = (state: OrderState): boolean =>
  !!state.admission && !state.order && !state.orderJson && !state.version && state.revision === 0 && !state.invoice;

function touched(state: OrderState): void {
  state.eventSeq++;
  state.failure = undefined;
}

const applied = (): OrderEventOutcome => ({ applied: true });
const notApplied = (reason: Exclude<OrderEventOutcome['reason'], undefined>, message: string): OrderEventOutcome => ({
  applied: false,
  reason,
  message,
});

function setOrder(state: OrderState, order: HostDocument, json: string, version: SeenVersion | undefined): void {
  state.order = order;
  state.orderJson = json;
  state.version = mergeVersion(seenOf(state), version);
  state.revision++;
  touched(state);
}

function applyOrderContent(
  state: OrderState,
  order: HostDocument,
  version: SeenVersion | undefined,
  what: 'conversion' | 'revision',
): OrderEventOutcome {
  const json = JSON.stringify(order);
  const cmp = compareVersion(version, seenOf(state));
  const same = json === state.orderJson;
  if (cmp === 'older' || cmp === 'same') {
    return same
      ? notApplied('duplicate', `this ${what} was already applied`)
      : notApplied('stale', `a newer version of ${labelOf(state)} was already applied: this ${what} changes nothing`);
  }
  if (same) {
    state.version = mergeVersion(seenOf(state), version);
    return notApplied('duplicate', `${labelOf(state)} already has this content`);
  }
  // A repeated conversion is a retry of the first report: only an explicitly newer version may change the order.
  if (what === 'conversion' && cmp !== 'newer') {
    return notApplied(
      'stale',
      `${labelOf(state)} was already ${kindOf(state) === 'order' ? 'converted' : 'received'}: a repeated ${kindOf(state) === 'order' ? 'conversion' : 'creation'} changes nothing`,
    );
  }
  setOrder(state, order, json, version);
  return applied();
}

/**
 * Applies one host event to the state (mutating it) and says what it did. Admission (connected,
 * converted after the connection) is decided by the caller before a conversion is applied.
 */
export function applyEvent(state: OrderState, event: OrderEvent): OrderEventOutcome {
  if (state.admission === 'skipped' && event.type !== 'retry') {
    return notApplied('skipped', state.skipReason ?? 'order not synced');
  }
  switch (event.type) {
    case 'converted': {
      if (kindOf(state) === 'order' && event.order.number !== state.orderNumber)
        return notApplied('invalid', 'the order number differs');
      if (!orderKnown(state)) {
        state.convertedAt ??= event.convertedAt;
        setOrder(state, event.order, JSON.stringify(event.order), seenVersionOf(event.version));
        return applied();
      }
      state.convertedAt ??= event.convertedAt;
      if (admittedOnly(state) && !state.cancelRequested) {
        // Only the gate's admission is known: it outlived a workflow task that was lost (timed out
        // under load) before this conversion was recorded. Nothing was synced or stored: it is the first.
        setOrder(state, event.order, JSON.stringify(event.order), seenVersionOf(event.version));
        return applied();
      }
      if (!state.order) {
        // Known from an earlier run that kept no content: the repeat cannot be compared, so it is taken
        // as a repeat unless it says it is newer.
        if (compareVersion(seenVersionOf(event.version), seenOf(state)) !== 'newer') {
          return notApplied(
            'stale',
            `${labelOf(state)} was already ${kindOf(state) === 'order' ? 'converted' : 'received'}: a repeated ${kindOf(state) === 'order' ? 'conversion' : 'creation'} changes nothing`,
          );
        }
      }
      if (state.cancelRequested) return notApplied('cancelled', `${labelOf(state)} was cancelled`);
      return applyOrderContent(state, event.order, seenVersionOf(event.version), 'conversion');
    }
    case 'put': {
      // A date the host left out was "today" when the document was first sent: a repeat on another
      // day keeps the first date (else a retry after midnight would re-date the document).
      const order = event.order.dateDefaulted && state.order ? { ...event.order, date: state.order.date } : event.order;
      const version = event.version ? { version: event.version } : {};
      return orderKnown(state)
        ? applyEvent(state, { type: 'revised', order, ...version })
        : applyEvent(state, { type: 'converted', order, convertedAt: event.convertedAt, ...version });
    }
    case 'revised': {
      if (kindOf(state) === 'order' && event.order.number !== state.orderNumber)
        return notApplied('invalid', 'the order number differs');
      if (!orderKnown(state)) return notApplied('unknown_order', unknownOrderMessage(state, 'the revision'));
      if (state.cancelRequested)
        return notApplied('cancelled', `${labelOf(state)} was cancelled: the revision is not synced`);
      return applyOrderContent(state, event.order, seenVersionOf(event.version), 'revision');
    }
    case 'payment_added': {
      if (!orderKnown(state)) return notApplied('unknown_order', unknownOrderMessage(state, 'the payment'));
      const { payment } = event;
      const existing = state.payments.find((p) => p.id === payment.id);
      if (existing?.removed || state.removedPaymentIds?.includes(payment.id)) {
        return notApplied(
          'removed',
          `payment ${payment.id} was removed: a removed payment is not added again (use a new payment id)`,
        );
      }
      if (state.cancelRequested)
        return notApplied('cancelled', `${labelOf(state)} was cancelled: the payment is not synced`);
      if (!existing) {
        state.payments.push({ id: payment.id, payment, removed: false, generation: 0, tries: 0, reapply: false });
      } else {
        if (samePayment(existing.payment, payment))
          return notApplied('duplicate', `payment ${payment.id} is already known`);
        if (existing.synced) existing.reapply = true;
        existing.payment = payment;
        existing.skipped = undefined;
      }
      touched(state);
      return applied();
    }
    case 'payment_removed': {
      if (!orderKnown(state)) return notApplied('unknown_order', unknownOrderMessage(state, 'the payment removal'));
      const existing = state.payments.find((p) => p.id === event.paymentId);
      if (!existing) {
        const removed = (state.removedPaymentIds ??= []);
        if (removed.includes(event.paymentId))
          return notApplied('duplicate', `payment ${event.paymentId} was already removed`);
        removed.push(event.paymentId);
        return notApplied(
          'unknown_payment',
          `payment ${event.paymentId} is not known: nothing to remove (a late report of it will be ignored)`,
        );
      }
      if (existing.removed) return notApplied('duplicate', `payment ${event.paymentId} was already removed`);
      existing.removed = true;
      touched(state);
      return applied();
    }
    case 'cancelled': {
      if (!orderKnown(state)) return notApplied('unknown_order', unknownOrderMessage(state, 'the cancellation'));
      if (state.cancelRequested) return notApplied('duplicate', `${labelOf(state)} is already cancelled`);
      state.cancelRequested = true;
      touched(state);
      return applied();
    }
    case 'retry': {
      const had = !!state.failure;
      touched(state);
      return had ? applied() : notApplied('nothing_to_retry', `${labelOf(state)} has no failed step to retry`);
    }
    case 'xero_changed': {
      if (!orderKnown(state) || !state.invoice)
        return notApplied(
          'unknown_order',
          `${labelOf(state)} has no document in Xero that the sync wrote: nothing to compare`,
        );
      const { copy } = event;
      const x = (state.xero ??= { payments: [] });
      const newest = x.pending?.copy.xeroId === copy.xeroId ? x.pending.copy.updatedDateUtc : undefined;
      const checked = x.checked?.xeroId === copy.xeroId ? x.checked.at : undefined;
      if (
        (newest !== undefined && copy.updatedDateUtc <= newest) ||
        (checked !== undefined && copy.updatedDateUtc <= checked)
      )
        return notApplied('duplicate', `this copy of ${labelOf(state)} from Xero was already seen`);
      x.pending = { copy, via: event.via };
      // Wakes the loop without clearing a failure: the check runs, the failed step still waits.
      state.eventSeq++;
      return applied();
    }
    case 'xero_resolve': {
      if (!orderKnown(state)) return notApplied('unknown_order', unknownOrderMessage(state, 'the resolution'));
      const x = state.xero;
      if (!x?.drift || x.recreate)
        return notApplied('no_drift', `${labelOf(state)} has no open change from Xero to resolve`);
      if (x.resolve === event.action || (event.action === 'send_ours' && x.overwrite === 'sent_ours'))
        return notApplied('duplicate', `${labelOf(state)}: this answer is already being applied`);
      if (event.action === 'send_ours') {
        if (!state.order)
          return notApplied(
            'invalid',
            `the host's version of ${labelOf(state)} is not known to the sync (it was found in Xero, not sent): send the document again instead`,
          );
        x.resolve = undefined;
        if (x.closed) startRecreate(state, 'sent_ours');
        else x.overwrite = 'sent_ours';
      } else {
        x.overwrite = undefined;
        x.resolve = event.action;
      }
      touched(state);
      return applied();
    }
  }
}

/**
 * Voided or deleted in Xero, and to be created again (Setup's `voidedInXero: 'recreate'`, or an
 * admin's Send our version again): the planner creates a new document, which replaces the link.
 */
export function startRecreate(state: OrderState, resolution: 'overwritten' | 'sent_ours'): void {
  const inv = state.invoice;
  const x = (state.xero ??= { payments: [] });
  if (!inv) return;
  const n = (x.recreations ?? 0) + 1;
  x.recreations = n;
  x.recreate = { replaces: { id: inv.id, number: inv.number }, n, resolution };
  x.closed = undefined;
  x.overwrite = undefined;
  x.resolve = undefined;
  x.payments = [];
  state.invoice = undefined;
  state.attachmentRevision = null;
  state.allocation = undefined;
}

/** What `check_xero` found, kept: Xero's closure, its payments, the open drift. */
export function applyXeroCheck(state: OrderState, copy: XeroDocumentCopy, result: XeroCheckResult): void {
  const x = (state.xero ??= { payments: [] });
  if (x.pending?.copy.xeroId === copy.xeroId && x.pending.copy.updatedDateUtc <= copy.updatedDateUtc)
    x.pending = undefined;
  if (result.outcome === 'unknown') return;
  x.checked = { xeroId: copy.xeroId, at: copy.updatedDateUtc };
  if (result.outcome === 'drift') {
    x.closed = result.closed;
    x.payments = result.payments ?? [];
    x.drift = { fields: result.fields ?? [] };
  } else if (result.outcome === 'same') {
    x.closed = undefined;
    x.payments = [];
    x.drift = undefined;
  }
}

function unknownOrderMessage(state: OrderState, what: string): string {
  if (kindOf(state) !== 'order') return `${labelOf(state)} is not known: send it (PUT) before ${what}`;
  return `order ${state.orderNumber} is not known: report its conversion (POST …/orders) before ${what}`;
}

// ---- what outlives a run ----

/** What a completed run leaves for the next one (stored with the order; see restore). */
export function persisted(state: OrderState): StoredOrderState {
  return {
    revision: state.revision,
    ...(state.version ? { version: state.version } : {}),
    ...(state.orderJson ? { orderJson: state.orderJson } : {}),
    ...(state.convertedAt ? { convertedAt: state.convertedAt } : {}),
    cancelRequested: state.cancelRequested,
    removedPaymentIds: [
      ...new Set([...(state.removedPaymentIds ?? []), ...state.payments.filter((p) => p.removed).map((p) => p.id)]),
    ],
    ...(state.attachmentRevision !== null ? { attachmentRevision: state.attachmentRevision } : {}),
  };
}

/** What a new run restores from: the stored links and state, as `loadOrderContext` reads them. */
export type RestoreContext = Pick<
  OrderContext,
  'admission' | 'contact' | 'invoice' | 'attachmentRevision' | 'payments' | 'stored'
> &
  Partial<Pick<OrderContext, 'allocation' | 'xero'>>;

/** A new run after an earlier one completed: start from what the database says the host and Xero have. */
export function restore(state: OrderState, ctx: RestoreContext): void {
  if (ctx.admission) {
    state.admission = ctx.admission.status === 'cancelled' ? 'syncing' : ctx.admission.status;
    if (ctx.admission.reason) state.skipReason = ctx.admission.reason;
    if (ctx.admission.status === 'cancelled') state.cancelRequested = state.cancelled = true;
  }
  if (ctx.contact) state.contact = ctx.contact;
  const stored = ctx.stored;
  if (stored) {
    state.revision = Math.max(state.revision, stored.revision);
    if (stored.version) state.version = { ...stored.version };
    if (stored.orderJson) {
      state.orderJson = stored.orderJson;
      state.order = JSON.parse(stored.orderJson) as HostDocument;
    }
    if (stored.convertedAt) state.convertedAt = stored.convertedAt;
    if (stored.cancelRequested) state.cancelRequested = true;
    if (stored.removedPaymentIds.length > 0) state.removedPaymentIds = [...stored.removedPaymentIds];
  }
  if (ctx.invoice) {
    const inv = ctx.invoice;
    state.invoice = {
      id: inv.id,
      number: inv.number,
      status: inv.status,
      total: inv.total,
      syncedRevision: inv.syncedRevision < 0 ? null : inv.syncedRevision,
      ...(inv.xeroUrl ? { xeroUrl: inv.xeroUrl } : {}),
    };
    // Without stored content the invoice's revision is the newest known: nothing to revise until the host says so.
    if (!stored) state.revision = Math.max(state.revision, inv.syncedRevision);
    if (CLOSED_INVOICE.has(inv.status)) state.cancelRequested = state.cancelled = true;
  }
  state.attachmentRevision = ctx.attachmentRevision ?? null;
  if (ctx.allocation) state.allocation = { done: { ...ctx.allocation }, tries: 0, waits: 0 };
  if (ctx.xero && state.invoice) {
    state.xero = {
      payments: [...(ctx.xero.payments ?? [])],
      ...(ctx.xero.closed ? { closed: { ...ctx.xero.closed } } : {}),
      ...(ctx.xero.drift ? { drift: { fields: [...ctx.xero.drift.fields] } } : {}),
    };
  }
  for (const p of ctx.payments) {
    state.payments.push({
      id: p.id,
      payment: { id: p.id, amount: p.amount, date: p.date, ...(p.reference ? { reference: p.reference } : {}) },
      removed: false,
      synced: { xeroPaymentId: p.xeroPaymentId, amount: p.amount },
      generation: p.generation,
      tries: 0,
      reapply: false,
    });
  }
}

// ---- reading ----

export function paidTotal(state: OrderState): number {
  // Payments setup chose not to sync still count as paid by the host: the order is closed all the same.
  const host = state.payments.reduce(
    (s, p) => s + (p.synced?.amount ?? (p.skipped && !p.removed ? p.payment.amount : 0)),
    0,
  );
  // Payments an accountant recorded in Xero pay the document just as well.
  return host + xeroPaidTotal(state);
}

export function xeroPaidTotal(state: OrderState): number {
  return (state.xero?.payments ?? []).reduce((s, p) => s + p.amount, 0);
}

export function isClosed(state: OrderState): boolean {
  const kind = kindOf(state);
  if (kind === 'credit_note' || kind === 'deal') {
    // Nothing more to do once Xero shows the newest version (its PDF too) and, for a credit note,
    // the allocation where it applies; a later event starts a new run from what is stored.
    const invoice = state.invoice;
    return (
      state.cancelled ||
      (!!invoice &&
        invoice.syncedRevision === state.revision &&
        (!state.order || !attachesPdf(kind, state.order) || state.attachmentRevision === invoice.syncedRevision) &&
        (!state.order?.appliesTo || !!state.allocation?.done))
    );
  }
  return (
    state.cancelled ||
    (!!state.invoice &&
      state.invoice.total > 0 &&
      paidTotal(state) >= state.invoice.total - 0.005 &&
      !state.payments.some((p) => p.removed && p.synced))
  );
}

export function view(state: OrderState, hasNextStep: boolean): OrderSyncView {
  const status: OrderSyncView['status'] =
    state.admission === 'skipped'
      ? 'skipped'
      : state.failure
        ? 'failed'
        : isClosed(state)
          ? 'closed'
          : hasNextStep
            ? 'pending'
            : state.invoice
              ? 'synced'
              : 'pending';
  return {
    accountId: state.accountId,
    orderNumber: state.orderNumber,
    ...(state.kind ? { kind: state.kind } : {}),
    status,
    revision: state.revision,
    ...(state.version ? { version: { ...state.version } } : {}),
    cancelled: state.cancelled,
    ...(state.invoice
      ? {
          invoice: {
            ...state.invoice,
            // Voided or deleted in Xero by someone else: the document shows Xero's status, not the engine's last write.
            ...(state.xero?.closed ? { status: state.xero.closed.status } : {}),
          },
        }
      : {}),
    attachmentRevision: state.attachmentRevision,
    payments: state.payments.map((p) => ({
      id: p.id,
      amount: p.payment.amount,
      removed: p.removed,
      ...(p.synced ? { xeroPaymentId: p.synced.xeroPaymentId } : {}),
      ...(p.skipped ? { skipped: true } : {}),
    })),
    ...(state.allocation?.done
      ? {
          allocation: {
            status: 'allocated' as const,
            invoiceId: state.allocation.done.invoiceId,
            amount: state.allocation.done.amount,
          },
        }
      : state.allocation?.waiting
        ? { allocation: { status: 'waiting' as const, message: state.allocation.waiting } }
        : {}),
    ...(state.failure ? { failure: { ...state.failure } } : {}),
    ...(state.skipReason ? { skippedReason: state.skipReason } : {}),
    ...(xeroView(state) ?? {}),
  };
}

function xeroView(state: OrderState): Pick<OrderSyncView, 'xero' | 'amountPaid' | 'amountDue'> | undefined {
  const x = state.xero;
  const seen = !!x && (!!x.closed || !!x.drift || x.payments.length > 0 || !!x.recreate);
  if (!seen) return undefined;
  const paid = Math.round(paidTotal(state) * 100) / 100;
  return {
    xero: {
      ...(x.closed ? { closed: { ...x.closed } } : {}),
      ...(x.drift && x.drift.fields.length > 0 ? { changes: x.drift.fields.map((f) => ({ ...f })) } : {}),
      driftOpen: !!x.drift,
      payments: x.payments.map((p) => ({ ...p })),
    },
    ...(state.invoice
      ? { amountPaid: paid, amountDue: Math.max(0, Math.round((state.invoice.total - paid) * 100) / 100) }
      : {}),
  };
}
