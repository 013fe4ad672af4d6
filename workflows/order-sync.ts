import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { OrderActivities, OrderContext, OrderSyncConfig } from '../activities/orders';
import type { Order, Payment } from '../src/domain/order';
import {
  orderCancelledSignal,
  orderConvertedSignal,
  orderRevisedSignal,
  orderSyncStateQuery,
  paymentAddedSignal,
  paymentRemovedSignal,
  retrySignal,
  type OrderSyncView,
  type OrderWorkflowInput,
} from '../src/orders/messages';
import {
  AccountIdKey,
  OrderNumberKey,
  SyncErrorKindKey,
  SyncStatus,
  SyncStatusKey,
} from '../src/temporal/search-attributes';

/**
 * One workflow per order: it holds what the host said (the latest order, its payments, a cancel)
 * and what Xero has (invoice, attachment, payments), and runs one step at a time until they agree.
 * Reconciling rather than replaying events is what lets a revision that arrives while the invoice
 * is being created simply become part of the creation, and a payment wait for its invoice.
 *
 * A business failure (Xero refused, setup missing, not connected) is recorded and the workflow
 * waits: a `retry` signal or any new event (e.g. a fixing revision) tries again. Transient trouble
 * never reaches this code: activities retry it. The workflow completes once the order is closed
 * (paid in full or cancelled) and quiet; a later event starts a new run from the stored links.
 */

interface PaymentState {
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

interface State {
  accountId: string;
  orderNumber: string;
  order?: Order;
  orderJson?: string;
  /** Our count of order versions; keys of invoice writes include it. */
  revision: number;
  hostRevision?: number;
  convertedAt?: string;
  admission?: 'syncing' | 'skipped' | 'cancelled';
  skipReason?: string;
  contact?: { customerId: string; contactId: string };
  invoice?: { id: string; number: string; status: string; total: number; syncedRevision: number | null };
  attachmentRevision: number | null;
  cancelRequested: boolean;
  cancelled: boolean;
  payments: PaymentState[];
  failure?: { step: string; kind: string; message: string };
  /** The step whose failure was reported to the host, to report it resolved. */
  reportedFailure?: string;
  eventSeq: number;
}

const CLOSED_INVOICE = new Set(['VOIDED', 'DELETED']);

function initialState(input: OrderWorkflowInput): State {
  return {
    accountId: input.accountId,
    orderNumber: input.orderNumber,
    revision: 0,
    attachmentRevision: null,
    cancelRequested: false,
    cancelled: false,
    payments: [],
    eventSeq: 0,
  };
}

/** A new run after an earlier one completed: start from what the database says Xero has. */
function restore(state: State, ctx: OrderContext): void {
  if (ctx.admission) {
    state.admission = ctx.admission.status === 'cancelled' ? 'syncing' : ctx.admission.status;
    if (ctx.admission.reason) state.skipReason = ctx.admission.reason;
    if (ctx.admission.status === 'cancelled') state.cancelRequested = state.cancelled = true;
  }
  if (ctx.contact) state.contact = ctx.contact;
  if (ctx.invoice) {
    const inv = ctx.invoice;
    state.invoice = {
      id: inv.id,
      number: inv.number,
      status: inv.status,
      total: inv.total,
      syncedRevision: inv.syncedRevision < 0 ? null : inv.syncedRevision,
    };
    state.revision = Math.max(state.revision, inv.syncedRevision);
    if (CLOSED_INVOICE.has(inv.status)) state.cancelRequested = state.cancelled = true;
  }
  state.attachmentRevision = ctx.attachmentRevision ?? null;
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

function businessFailureOf(err: unknown): { kind: string; message: string } | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    return { kind: err.cause.type ?? 'unknown', message: err.cause.message };
  }
  return undefined;
}

const samePayment = (a: Payment, b: Payment) =>
  a.amount === b.amount && a.date === b.date && (a.reference ?? '') === (b.reference ?? '');

export async function orderSyncWorkflow(input: OrderWorkflowInput): Promise<OrderSyncView> {
  const state: State = (input.carried as State | undefined) ?? initialState(input);
  const { workflowId } = workflowInfo();
  const base = { accountId: state.accountId, workflowId, orderNumber: state.orderNumber };

  // ---- the host's events: they only change what is wanted; the loop below does the work ----
  // Until the stored links are loaded (a restarted order), events wait in this queue: a removal
  // must find the payment a previous run synced.
  let ready = !!input.carried;
  const queued: Array<() => void> = [];
  const onEvent = (apply: () => void): void => {
    if (ready) apply();
    else queued.push(apply);
  };
  const touched = () => {
    state.eventSeq++;
    state.failure = undefined;
  };
  const applyOrder = (order: Order, hostRevision?: number) => {
    if (order.number !== state.orderNumber) return;
    if (hostRevision !== undefined) {
      if (state.hostRevision !== undefined && hostRevision <= state.hostRevision) return;
      state.hostRevision = hostRevision;
    }
    const json = JSON.stringify(order);
    if (json === state.orderJson) return; // the same order again (a retried request)
    state.order = order;
    state.orderJson = json;
    state.revision++;
    touched();
  };
  setHandler(orderConvertedSignal, ({ order, convertedAt }) =>
    onEvent(() => {
      state.convertedAt ??= convertedAt;
      applyOrder(order);
      touched();
    }),
  );
  setHandler(orderRevisedSignal, ({ order, revision }) => onEvent(() => applyOrder(order, revision)));
  setHandler(paymentAddedSignal, (payment) =>
    onEvent(() => {
      const existing = state.payments.find((p) => p.id === payment.id);
      if (!existing) {
        state.payments.push({ id: payment.id, payment, removed: false, generation: 0, tries: 0, reapply: false });
      } else {
        if (!existing.removed && samePayment(existing.payment, payment)) return;
        existing.removed = false;
        if (existing.synced && !samePayment(existing.payment, payment)) existing.reapply = true;
        existing.payment = payment;
        existing.skipped = undefined;
      }
      touched();
    }),
  );
  setHandler(paymentRemovedSignal, ({ paymentId }) =>
    onEvent(() => {
      const existing = state.payments.find((p) => p.id === paymentId);
      if (!existing || existing.removed) return;
      existing.removed = true;
      touched();
    }),
  );
  setHandler(orderCancelledSignal, () =>
    onEvent(() => {
      if (state.cancelRequested) return;
      state.cancelRequested = true;
      touched();
    }),
  );
  setHandler(retrySignal, () => onEvent(() => touched()));
  setHandler(orderSyncStateQuery, () => view());

  // ---- search attributes: what ops filter on in the Temporal UI ----
  let shownStatus = '';
  let shownKind: string | null = '';
  const show = (status: string, kind: string | null) => {
    const updates: SearchAttributeUpdatePair[] = [];
    if (status !== shownStatus) updates.push({ key: SyncStatusKey, value: status });
    if (kind !== shownKind) updates.push({ key: SyncErrorKindKey, value: kind });
    shownStatus = status;
    shownKind = kind;
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
  upsertSearchAttributes([
    { key: AccountIdKey, value: state.accountId },
    { key: OrderNumberKey, value: state.orderNumber },
  ]);

  const bootstrap = proxyActivities<OrderActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  const ctx = await bootstrap.loadOrderContext({ accountId: state.accountId, orderNumber: state.orderNumber });
  if (!input.carried) restore(state, ctx);
  ready = true;
  for (const apply of queued.splice(0)) apply();
  const config: OrderSyncConfig = ctx.config;
  const acts = proxyActivities<OrderActivities>({
    startToCloseTimeout: config.activityTimeoutMs,
    retry: { initialInterval: config.retryInitialMs, maximumInterval: config.retryMaxMs, backoffCoefficient: 2 },
  });

  // Function declarations (hoisted): the state query may arrive before the context has loaded.
  function paidTotal() {
    // Payments setup chose not to sync still count as paid by the host: the order is closed all the same.
    return state.payments.reduce(
      (s, p) => s + (p.synced?.amount ?? (p.skipped && !p.removed ? p.payment.amount : 0)),
      0,
    );
  }
  function isClosed() {
    return (
      state.cancelled ||
      (!!state.invoice &&
        state.invoice.total > 0 &&
        paidTotal() >= state.invoice.total - 0.005 &&
        !state.payments.some((p) => p.removed && p.synced))
    );
  }

  function view(): OrderSyncView {
    const status: OrderSyncView['status'] =
      state.admission === 'skipped'
        ? 'skipped'
        : state.failure
          ? 'failed'
          : isClosed()
            ? 'closed'
            : nextStep()
              ? 'pending'
              : state.invoice
                ? 'synced'
                : 'pending';
    return {
      accountId: state.accountId,
      orderNumber: state.orderNumber,
      status,
      revision: state.revision,
      cancelled: state.cancelled,
      ...(state.invoice ? { invoice: { ...state.invoice } } : {}),
      attachmentRevision: state.attachmentRevision,
      payments: state.payments.map((p) => ({
        id: p.id,
        amount: p.payment.amount,
        removed: p.removed,
        ...(p.synced ? { xeroPaymentId: p.synced.xeroPaymentId } : {}),
        ...(p.skipped ? { skipped: true } : {}),
      })),
      ...(state.failure ? { failure: { ...state.failure } } : {}),
      ...(state.skipReason ? { skippedReason: state.skipReason } : {}),
    };
  }

  // ---- the steps, in the order they must happen ----
  interface Step {
    name: string;
    kind: string;
    action: string;
    run(): Promise<void>;
  }

  function nextStep(): Step | undefined {
    if (state.failure) return undefined;
    if (!state.admission) {
      const { order, convertedAt } = state;
      if (!order || !convertedAt) return undefined; // payments or a cancel before the conversion: wait for it
      return {
        name: 'admit',
        kind: 'invoice',
        action: 'create',
        run: async () => {
          const r = await acts.admitOrder({ ...base, convertedAt });
          state.admission = r.status === 'cancelled' ? 'syncing' : r.status;
          if (r.reason) state.skipReason = r.reason;
        },
      };
    }
    if (state.admission === 'skipped') return undefined;

    const invoice = state.invoice;
    // Removals first: they free the invoice for a revision or a cancel.
    const toDelete = state.payments.find((p) => p.synced && (p.removed || p.reapply));
    if (toDelete?.synced && invoice) {
      const synced = toDelete.synced;
      return {
        name: `unpay:${toDelete.id}`,
        kind: 'payment',
        action: 'delete',
        run: async () => {
          await acts.deletePayment({
            ...base,
            paymentId: toDelete.id,
            xeroPaymentId: synced.xeroPaymentId,
            generation: toDelete.generation,
            reason: toDelete.removed ? 'removed' : 'revision',
          });
          toDelete.synced = undefined;
          toDelete.generation++;
          toDelete.tries = 0;
          toDelete.reapply = false;
        },
      };
    }

    if (state.cancelRequested) {
      if (state.cancelled) return undefined;
      if (!invoice) {
        return {
          name: 'cancel',
          kind: 'invoice',
          action: 'cancel',
          run: async () => {
            await acts.recordOrderEvent({
              ...base,
              kind: 'invoice',
              action: 'cancel',
              outcome: 'skipped',
              message: 'order cancelled before its invoice was created: nothing to do in Xero',
              orderCancelled: true,
            });
            state.cancelled = true;
          },
        };
      }
      return {
        name: 'cancel',
        kind: 'invoice',
        action: 'cancel',
        run: async () => {
          const r = await acts.cancelInvoice({ ...base, invoiceId: invoice.id });
          invoice.status = r.status;
          state.cancelled = true;
        },
      };
    }

    const order = state.order;
    if (order && (!state.contact || state.contact.customerId !== order.customer.id)) {
      return {
        name: 'contact',
        kind: 'contact',
        action: 'resolve',
        run: async () => {
          const r = await acts.resolveContact({ ...base, customer: order.customer });
          state.contact = { customerId: order.customer.id, contactId: r.contactId };
        },
      };
    }
    const contactId = state.contact?.contactId ?? '';
    if (order && !invoice) {
      const revision = state.revision;
      return {
        name: 'invoice',
        kind: 'invoice',
        action: 'create',
        run: async () => {
          const r = await acts.createInvoice({ ...base, order, revision, contactId });
          state.invoice = {
            id: r.id,
            number: r.number,
            status: r.status,
            total: r.total,
            syncedRevision: r.syncedRevision,
          };
        },
      };
    }
    if (!invoice) return undefined; // payments wait for their invoice

    if (order && invoice.syncedRevision !== state.revision) {
      const revision = state.revision;
      const syncedPayments = state.payments.filter((p) => p.synced).length;
      return {
        name: 'revise',
        kind: 'invoice',
        action: 'update',
        run: async () => {
          const r = await acts.reviseInvoice({
            ...base,
            invoiceId: invoice.id,
            order,
            revision,
            contactId,
            syncedPayments,
          });
          if (r.outcome === 'payments_first') {
            for (const p of state.payments) if (p.synced) p.reapply = true;
            return;
          }
          if (r.outcome === 'updated') Object.assign(invoice, { status: r.invoice.status, total: r.invoice.total });
          else state.attachmentRevision = revision; // edits not synced: leave the PDF as it was too
          invoice.syncedRevision = revision;
        },
      };
    }
    if (order && invoice.syncedRevision !== null && state.attachmentRevision !== invoice.syncedRevision) {
      const revision = invoice.syncedRevision;
      return {
        name: 'attach',
        kind: 'attachment',
        action: 'upload',
        run: async () => {
          await acts.attachOrderPdf({ ...base, invoiceId: invoice.id, order, revision });
          state.attachmentRevision = revision;
        },
      };
    }
    const toCreate = state.payments.find((p) => !p.removed && !p.synced && !p.skipped);
    if (toCreate) {
      return {
        name: `pay:${toCreate.id}`,
        kind: 'payment',
        action: 'create',
        run: async () => {
          toCreate.tries++;
          const payment = toCreate.payment;
          const r = await acts.createPayment({
            ...base,
            invoiceId: invoice.id,
            payment,
            generation: toCreate.generation,
            lookFirst: toCreate.tries > 1,
          });
          if (r.outcome === 'created') {
            // The host may have changed or removed it meanwhile: the next loop reconciles that.
            toCreate.synced = { xeroPaymentId: r.xeroPaymentId, amount: payment.amount };
            if (!samePayment(payment, toCreate.payment)) toCreate.reapply = true;
          } else toCreate.skipped = r.reason;
        },
      };
    }
    return undefined;
  }

  async function record(args: Parameters<OrderActivities['recordOrderEvent']>[0]) {
    try {
      await acts.recordOrderEvent(args);
    } catch (err) {
      // Recording must never stop the sync itself (e.g. the account was deleted meanwhile).
      if (!businessFailureOf(err)) throw err;
    }
  }

  // ---- the loop ----
  for (;;) {
    const step = nextStep();
    if (step) {
      show(SyncStatus.Pending, null);
      try {
        await step.run();
        if (state.reportedFailure === step.name) {
          state.reportedFailure = undefined;
          await record({
            ...base,
            kind: step.kind,
            action: step.action,
            outcome: 'success',
            message: `resolved: ${step.name} succeeded after a failure`,
            hostEvent: 'sync.resolved',
          });
        }
      } catch (err) {
        const failure = businessFailureOf(err);
        if (!failure) throw err;
        state.failure = { step: step.name, ...failure };
        state.reportedFailure = step.name;
        show(SyncStatus.Failed, failure.kind);
        const details =
          err instanceof ActivityFailure && err.cause instanceof ApplicationFailure
            ? err.cause.details?.[0]
            : undefined;
        await record({
          ...base,
          kind: step.kind,
          action: step.action,
          outcome: 'failure',
          message: failure.message,
          error: {
            kind: failure.kind,
            step: step.name,
            ...(details && typeof details === 'object' ? (details as Record<string, unknown>) : {}),
          },
          hostEvent: 'sync.failed',
        });
      }
      continue;
    }

    // Nothing to do: wait for the host, a retry, or (once closed) the end of the quiet period.
    if (state.admission === 'skipped') {
      show(SyncStatus.Skipped, null);
      if (state.payments.length > 0 || state.cancelRequested || state.revision > 1) {
        await record({
          ...base,
          kind: 'invoice',
          action: 'event',
          outcome: 'skipped',
          message: `${state.skipReason ?? 'order not synced'}: later events ignored too`,
        });
      }
      return view();
    }
    const closed = isClosed();
    show(
      state.failure
        ? SyncStatus.Failed
        : closed
          ? SyncStatus.Closed
          : state.invoice
            ? SyncStatus.Synced
            : SyncStatus.Pending,
      state.failure?.kind ?? null,
    );
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (config.continueAsNewAfterEvents ?? 4000)) {
      await continueAsNew<typeof orderSyncWorkflow>({
        accountId: state.accountId,
        orderNumber: state.orderNumber,
        carried: state,
      });
    }
    const seq = state.eventSeq;
    if (closed && !state.failure) {
      const woke = await condition(() => state.eventSeq !== seq, config.quietPeriodMs);
      if (!woke) return view();
    } else {
      await condition(() => state.eventSeq !== seq);
    }
  }
}
