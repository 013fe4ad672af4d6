import { EXPORT_PRIORITY_KEY } from '../src/temporal/priorities';
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { OrderActivities, OrderSyncConfig } from '../activities/orders';
import {
  orderCancelledSignal,
  orderConvertedSignal,
  orderEventUpdate,
  orderRevisedSignal,
  orderSyncStateQuery,
  paymentAddedSignal,
  paymentRemovedSignal,
  retrySignal,
  type OrderEvent,
  type OrderEventAnswer,
  type OrderEventOutcome,
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
import { applyStepResult, nextStep, stepStarted, type Step, type StepResult } from './order-plan';
import {
  applyEvent,
  initialState,
  kindOf,
  isClosed,
  labelOf,
  orderKnown,
  persisted,
  restore,
  view,
  type OrderState,
} from './order-state';

/**
 * One workflow per order: a thin shell around the pure state (./order-state) and planner
 * (./order-plan). It answers the host's events (the `orderEvent` update: the REST API and the
 * client answer from what it decided), runs one step's activity at a time until Xero shows what the
 * host said, records business failures and waits for `retry` or a fixing event, and completes once
 * the order is closed and quiet, leaving its state with the order for the next run.
 */

/** Patches (released behaviour that changed): see `patched()` in Temporal's docs. */
const PATCH_STORE_STATE = 'store-order-state-on-completion';
const PATCH_CANCEL_CHECKS_XERO = 'cancel-without-invoice-checks-xero';
const PATCH_LOCAL_CONTEXT = 'load-context-as-local-activity';
const PATCH_CREDIT_CANCEL_CHECKS_XERO = 'credit-note-cancel-checks-xero';

function businessFailureOf(err: unknown): { kind: string; message: string } | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    return { kind: err.cause.type ?? 'unknown', message: err.cause.message };
  }
  return undefined;
}

export async function orderSyncWorkflow(input: OrderWorkflowInput): Promise<OrderSyncView> {
  const state: OrderState =
    (input.carried as OrderState | undefined) ?? initialState(input.accountId, input.orderNumber, input.kind);
  const { workflowId } = workflowInfo();
  const kind = kindOf(state);
  // Orders' activity inputs stay as they were recorded before kinds existed.
  const base = {
    accountId: state.accountId,
    workflowId,
    orderNumber: state.orderNumber,
    ...(kind !== 'order' ? { documentKind: kind } : {}),
    // Started by an export (its lower priority): its Xero calls are bulk work, which leaves the
    // limiter's reserve to live documents and waits longer to share a batch.
    ...((workflowInfo().priority?.priorityKey ?? 0) >= EXPORT_PRIORITY_KEY ? { bulk: true } : {}),
  };

  // Until the stored links are loaded (a restarted order), events wait: a removal must find the
  // payment a previous run synced, and a late revision must meet the stored version.
  let ready = !!input.carried;
  const queued: Array<() => void> = [];
  const onSignal = (event: OrderEvent) => {
    const apply = () => void applyEvent(state, event);
    if (ready) apply();
    else queued.push(apply);
  };
  setHandler(orderConvertedSignal, ({ order, convertedAt }) => onSignal({ type: 'converted', order, convertedAt }));
  setHandler(orderRevisedSignal, ({ order, revision }) =>
    onSignal({ type: 'revised', order, ...(revision !== undefined ? { version: { revision } } : {}) }),
  );
  setHandler(paymentAddedSignal, (payment) => onSignal({ type: 'payment_added', payment }));
  setHandler(paymentRemovedSignal, ({ paymentId }) => onSignal({ type: 'payment_removed', paymentId }));
  setHandler(orderCancelledSignal, () => onSignal({ type: 'cancelled' }));
  setHandler(retrySignal, () => onSignal({ type: 'retry' }));
  setHandler(orderSyncStateQuery, () => view(state, !!nextStep(state)));

  const bootstrap = proxyActivities<OrderActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  const gate = proxyLocalActivities<OrderActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
  });

  // Updates are answered one at a time, in arrival order: a payment sent right after the
  // conversion meets the admitted order.
  let handling: Promise<unknown> = Promise.resolve();
  const answer = (outcome: OrderEventOutcome): OrderEventAnswer => ({
    ...outcome,
    status: view(state, !!nextStep(state)).status,
    revision: state.revision,
  });
  async function handleEvent(event: OrderEvent): Promise<OrderEventAnswer> {
    await condition(() => ready);
    if (event.type === 'retry' || state.admission === 'skipped') return answer(applyEvent(state, event));
    const firstConversion = (event.type === 'converted' || event.type === 'put') && !orderKnown(state);
    const g = await gate.gateOrderEvent({
      ...base,
      ...(firstConversion && (event.type === 'converted' || event.type === 'put')
        ? { convertedAt: event.convertedAt }
        : {}),
      // Only orders are remembered as "converted before the connection": other kinds are sent on demand.
      ...(kind !== 'order' ? { admitOnlyWhenConnected: true } : {}),
    });
    if (firstConversion && g.admission && !orderKnown(state)) {
      if (g.admission.status === 'skipped') {
        // Remembered (the first conversion decides); the answer says why.
        state.admission = 'skipped';
        if (g.admission.reason) state.skipReason = g.admission.reason;
        return answer({
          applied: false,
          reason: g.notConnected ? 'not_connected' : 'skipped',
          message: g.admission.reason ?? 'order not synced',
        });
      }
      const outcome = applyEvent(state, event);
      state.admission = g.admission.status === 'cancelled' ? 'syncing' : g.admission.status;
      return answer(outcome);
    }
    if (!g.connected) {
      return answer({ applied: false, reason: 'not_connected', message: g.message ?? 'not connected to Xero' });
    }
    return answer(applyEvent(state, event));
  }
  setHandler(
    orderEventUpdate,
    (event) => {
      const run = handling.then(() => handleEvent(event));
      handling = run.catch(() => undefined);
      return run;
    },
    {
      validator: (event) => {
        // The API and the client validate the content; this guards the workflow against other senders.
        if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') {
          throw new Error('an order event needs a type');
        }
        if (
          kind === 'order' &&
          (event.type === 'converted' || event.type === 'revised' || event.type === 'put') &&
          event.order?.number !== state.orderNumber
        ) {
          throw new Error(`the event is about order ${event.order?.number}, not ${state.orderNumber}`);
        }
      },
    },
  );

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

  // A local activity (no trip through the task queue): the host's first event waits on this answer.
  const contextInput = { accountId: state.accountId, orderNumber: state.orderNumber };
  const ctx = patched(PATCH_LOCAL_CONTEXT)
    ? await gate.loadOrderContext(contextInput)
    : await bootstrap.loadOrderContext(contextInput);
  if (!input.carried) restore(state, ctx);
  ready = true;
  for (const apply of queued.splice(0)) apply();
  const config: OrderSyncConfig = ctx.config;
  const acts = proxyActivities<OrderActivities>({
    startToCloseTimeout: config.activityTimeoutMs,
    // Long Xero writes heartbeat: an attempt whose worker died (or that outlived its timeout) is
    // cancelled rather than left to commit beside its retry.
    heartbeatTimeout: config.heartbeatTimeoutMs ?? Math.min(config.activityTimeoutMs, 10_000),
    retry: { initialInterval: config.retryInitialMs, maximumInterval: config.retryMaxMs, backoffCoefficient: 2 },
  });

  async function run(step: Step): Promise<StepResult> {
    switch (step.type) {
      case 'admit':
        return { type: 'admit', ...(await acts.admitOrder({ ...base, convertedAt: step.convertedAt })) };
      case 'unpay':
        await acts.deletePayment({
          ...base,
          paymentId: step.paymentId,
          xeroPaymentId: step.xeroPaymentId,
          generation: step.generation,
          reason: step.reason,
        });
        return { type: 'unpay' };
      case 'cancel_unsynced': {
        if (kind === 'credit_note' && state.order && patched(PATCH_CREDIT_CANCEL_CHECKS_XERO)) {
          // As for invoices: a create whose answer was lost may have made the credit note.
          const r = await acts.cancelUnsyncedCreditNote({
            ...base,
            creditNote: state.order,
            ...(step.contactId ? { contactId: step.contactId } : {}),
          });
          return { type: 'cancel_unsynced', ...r };
        }
        if (kind !== 'credit_note' && patched(PATCH_CANCEL_CHECKS_XERO)) {
          // The invoice may exist without our knowing (a create whose answer was lost): Xero decides.
          const r = await acts.cancelUnsyncedOrder({
            ...base,
            ...(step.contactId ? { contactId: step.contactId } : {}),
          });
          return { type: 'cancel_unsynced', ...r };
        }
        await acts.recordOrderEvent({
          ...base,
          kind: 'invoice',
          action: 'cancel',
          outcome: 'skipped',
          message:
            kind === 'order'
              ? 'order cancelled before its invoice was created: nothing to do in Xero'
              : `${labelOf(state)} cancelled before it was created in Xero: nothing to do in Xero`,
          orderCancelled: true,
        });
        return { type: 'cancel_unsynced' };
      }
      case 'cancel':
        if (kind === 'credit_note')
          return { type: 'cancel', ...(await acts.cancelCreditNote({ ...base, creditNoteId: step.invoiceId })) };
        return { type: 'cancel', ...(await acts.cancelInvoice({ ...base, invoiceId: step.invoiceId })) };
      case 'contact':
        return {
          type: 'contact',
          ...(await acts.resolveContact({
            ...base,
            customer: step.customer,
            ...(step.xeroContactId ? { xeroContactId: step.xeroContactId } : {}),
            ...(step.byName ? { byName: true } : {}),
          })),
        };
      case 'allocate':
        return {
          type: 'allocate',
          ...(await acts.allocateCreditNote({
            ...base,
            creditNoteId: step.creditNoteId,
            appliesTo: step.appliesTo,
            total: step.total,
            date: state.order?.date ?? '',
            lookFirst: step.lookFirst,
          })),
        };
      case 'invoice': {
        const create = kind === 'credit_note' ? acts.createCreditNote : acts.createInvoice;
        const r = await create({
          ...base,
          order: step.order,
          revision: step.revision,
          contactId: step.contactId,
          ...(step.replaces ? { replaces: step.replaces } : {}),
        });
        return {
          type: 'invoice',
          invoice: {
            id: r.id,
            number: r.number,
            status: r.status,
            total: r.total,
            syncedRevision: r.syncedRevision,
            ...(r.xeroUrl ? { xeroUrl: r.xeroUrl } : {}),
          },
        };
      }
      case 'revise': {
        if (kind === 'credit_note') {
          const r = await acts.reviseCreditNote({
            ...base,
            creditNoteId: step.invoiceId,
            order: step.order,
            revision: step.revision,
            contactId: step.contactId,
            ...(step.overwrites ? { overwrites: step.overwrites } : {}),
          });
          return r.outcome === 'updated'
            ? {
                type: 'revise',
                outcome: 'updated',
                status: r.invoice.status,
                total: r.invoice.total,
                ...(r.allocationLifted ? { allocationLifted: true } : {}),
              }
            : { type: 'revise', outcome: r.outcome };
        }
        const r = await acts.reviseInvoice({
          ...base,
          invoiceId: step.invoiceId,
          order: step.order,
          revision: step.revision,
          contactId: step.contactId,
          syncedPayments: step.syncedPayments,
          ...(step.overwrites ? { overwrites: step.overwrites } : {}),
        });
        return r.outcome === 'updated'
          ? { type: 'revise', outcome: 'updated', status: r.invoice.status, total: r.invoice.total }
          : { type: 'revise', outcome: r.outcome };
      }
      case 'attach':
        await acts.attachOrderPdf({ ...base, invoiceId: step.invoiceId, order: step.order, revision: step.revision });
        return { type: 'attach' };
      case 'pay': {
        const r = await acts.createPayment({
          ...base,
          invoiceId: step.invoiceId,
          payment: step.payment,
          generation: step.generation,
          lookFirst: step.lookFirst,
        });
        return r.outcome === 'created'
          ? { type: 'pay', outcome: 'created', xeroPaymentId: r.xeroPaymentId }
          : { type: 'pay', outcome: 'skipped', reason: r.reason };
      }
      // Issue 13: only events of this issue lead here, so histories recorded before it replay unchanged.
      case 'check_xero':
        return { type: 'check_xero', result: await acts.checkXeroCopy({ ...base, copy: step.copy, via: step.via }) };
      case 'resolve_xero':
        return { type: 'resolve_xero', ...(await acts.resolveXeroDrift({ ...base, action: step.resolution })) };
      case 'xero_conflict':
        return {
          type: 'xero_conflict',
          ...(await acts.decideXeroConflict({ ...base, conflict: step.conflict, what: step.what })),
        };
    }
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
    const step = nextStep(state);
    if (step) {
      show(SyncStatus.Pending, null);
      try {
        stepStarted(state, step);
        applyStepResult(state, step, await run(step));
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

    // A credit note waits for the document it applies to: look again later (or at the next event).
    if (state.allocation?.waiting && !state.failure) {
      show(SyncStatus.Pending, null);
      const seq = state.eventSeq;
      const delayMs = Math.min(15 * 60_000, 5_000 * 2 ** Math.min(state.allocation.waits - 1, 8));
      await condition(() => state.eventSeq !== seq, delayMs);
      state.allocation.waiting = undefined;
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
      await condition(allHandlersFinished);
      return view(state, false);
    }
    if (!orderKnown(state) && state.payments.length === 0 && !state.cancelRequested) {
      // Started by an event about an order never converted: it was answered "unknown"; nothing to keep.
      await condition(allHandlersFinished);
      if (!orderKnown(state) && state.payments.length === 0 && !state.cancelRequested) return view(state, false);
      continue;
    }
    const closed = isClosed(state);
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
      await condition(allHandlersFinished);
      await continueAsNew<typeof orderSyncWorkflow>({
        accountId: state.accountId,
        orderNumber: state.orderNumber,
        ...(kind !== 'order' ? { kind } : {}),
        carried: state,
      });
    }
    const seq = state.eventSeq;
    if (closed && !state.failure) {
      const woke = await condition(() => state.eventSeq !== seq, config.quietPeriodMs);
      if (woke) continue;
      if (patched(PATCH_STORE_STATE)) {
        // The next run (a late event) starts from this: the newest version and content, removed payments.
        await acts.saveOrderState({ ...base, state: persisted(state) });
        if (state.eventSeq !== seq || !allHandlersFinished()) continue;
      }
      return view(state, false);
    } else {
      await condition(() => state.eventSeq !== seq);
    }
  }
}
