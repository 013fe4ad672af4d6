import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { livePriority } from './temporal/priorities';
import { identifier } from './domain/text';
import {
  orderCancelledSchema,
  orderConvertedSchema,
  orderNumberSchema,
  orderRevisedSchema,
  paymentRemovedSchema,
  paymentSchema,
  type OrderCancelled,
  type OrderConvertedInput,
  type OrderRevisedInput,
  type PaymentInput,
} from './domain/order';
import {
  ORDER_WORKFLOW_TYPE,
  orderEventUpdate,
  orderSyncStateQuery,
  orderWorkflowId,
  retrySignal,
  type HostVersion,
  type OrderEvent,
  type OrderEventAnswer,
  type OrderSyncView,
  type OrderWorkflowInput,
} from './orders/messages';
import { AccountIdKey, DocumentKindKey, OrderNumberKey, SyncStatus, SyncStatusKey } from './temporal/search-attributes';
import {
  billDocument,
  billEventSchema,
  creditNoteDocument,
  creditNoteEventSchema,
  dealDocument,
  dealInvoiceSchema,
  type BillEventInput,
  type CreditNoteEventInput,
  type DealInvoiceInput,
  type HostDocument,
} from './domain/documents';
import { documentRef, documentWorkflowId, type DocumentKind } from './documents/kinds';
import type { XeroChangedEvent, XeroResolveEvent } from './xero-changes/contract';

/**
 * The TypeScript client for hosts that talk to Temporal directly: the same operations and the same
 * answers as the REST order API. Each is an update-with-start on the order's workflow
 * (`order:{accountId}:{orderNumber}`): the workflow decides (admitted, stale, duplicate, skipped,
 * not connected, unknown order) and answers; an event for an order whose workflow completed starts
 * it again from what is stored (links, the newest version and content), so a late event still
 * cannot undo newer data. A call therefore waits for a worker to answer.
 *
 * Inputs are validated with the API's own schemas (a ZodError names the field).
 *
 * `accountId` is the engine's account id (accounts.id), not the host's own id.
 */

export * from './domain/order';
export * from './domain/documents';
export { documentWorkflowId, type DocumentKind } from './documents/kinds';
export { orderWorkflowId, type OrderEventAnswer, type OrderSyncView } from './orders/messages';

export interface OrderSyncClientOptions {
  /** The worker's task queue (TEMPORAL_TASK_QUEUE, default `xero-sync`). */
  taskQueue?: string;
}

/**
 * The workflow's answer to an event: `applied`, or not with the `reason` (`stale`, `duplicate`,
 * `skipped`, `not_connected`, `unknown_order`, `cancelled`, …), and where the order stands.
 */
export interface Accepted extends OrderEventAnswer {
  workflowId: string;
  /** The host's id of the document (the order number for orders). */
  orderNumber: string;
  kind?: DocumentKind;
  documentId?: string;
}

export interface EventOptions {
  /**
   * Task-queue priority of a workflow this event starts (an export's documents go after live ones,
   * fair per account: src/temporal/priorities.ts). Default: live.
   */
  priority?: Priority;
  /**
   * The same id twice is one event for Temporal (within a run): pass something stable per host
   * request, e.g. derived from your own idempotency key.
   */
  eventId?: string;
}

/** The host's id of a bill, credit note or deal (in a URL and a workflow id). */
const identifierSchema = identifier(100);

export type OrderSyncClient = ReturnType<typeof createOrderSyncClient>;

export function createOrderSyncClient(client: Client, opts: OrderSyncClientOptions = {}) {
  const taskQueue = opts.taskQueue ?? 'xero-sync';

  /** Update-with-start: the document's workflow (started, or restarted from what is stored) decides and answers. */
  async function sendTo(
    kind: DocumentKind,
    accountId: string,
    hostId: string,
    event: OrderEvent,
    o: EventOptions = {},
  ): Promise<Accepted> {
    const workflowId = documentWorkflowId(kind, accountId, hostId);
    const orderNumber = documentRef(kind, hostId);
    const input: OrderWorkflowInput = { accountId, orderNumber, ...(kind !== 'order' ? { kind } : {}) };
    const startWorkflowOperation = new WithStartWorkflowOperation<(i: OrderWorkflowInput) => Promise<OrderSyncView>>(
      ORDER_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        priority: o.priority ?? livePriority(accountId),
        typedSearchAttributes: [
          { key: AccountIdKey, value: accountId },
          // The host's id (the order number for orders), as ops search for it.
          { key: OrderNumberKey, value: hostId },
          { key: SyncStatusKey, value: SyncStatus.Pending },
          { key: DocumentKindKey, value: kind },
        ],
      },
    );
    const answer = await client.workflow.executeUpdateWithStart(orderEventUpdate, {
      args: [event],
      startWorkflowOperation,
      ...(o.eventId ? { updateId: o.eventId } : {}),
    });
    return { ...answer, workflowId, orderNumber: hostId, ...(kind !== 'order' ? { kind, documentId: hostId } : {}) };
  }
  /** Xero's side of a document (src/xero-changes/): what changed there, or how a drift is resolved. */
  function sendXeroEvent(
    kind: DocumentKind,
    accountId: string,
    hostId: string,
    event: XeroChangedEvent | XeroResolveEvent,
    o: EventOptions = {},
  ): Promise<Accepted> {
    return sendTo(kind, accountId, hostId, event, o);
  }
  const send = (accountId: string, orderNumber: string, event: OrderEvent, o: EventOptions = {}) =>
    sendTo('order', accountId, orderNumber, event, o);

  /** Create or revise a document of another kind (the whole document each time; versions as for orders). */
  function putDocument(
    kind: DocumentKind,
    accountId: string,
    hostId: string,
    doc: HostDocument,
    e: { revision?: number; updatedAt?: string },
    o?: EventOptions,
  ): Promise<Accepted> {
    const version = versionOf(e);
    return sendTo(
      kind,
      accountId,
      hostId,
      { type: 'put', order: doc, convertedAt: new Date().toISOString(), ...(version ? { version } : {}) },
      o,
    );
  }

  async function documentState(kind: DocumentKind, accountId: string, hostId: string) {
    const handle = client.workflow.getHandle(documentWorkflowId(kind, accountId, hostId));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return undefined;
      return await handle.query(orderSyncStateQuery);
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
      throw err;
    }
  }

  /**
   * What a document's workflow knows, running or completed: a completed run's result is its final
   * view (an order paid in full, say), kept as long as Temporal keeps closed runs.
   */
  async function documentView(kind: DocumentKind, accountId: string, hostId: string) {
    const handle = client.workflow.getHandle<(i: OrderWorkflowInput) => Promise<OrderSyncView>>(
      documentWorkflowId(kind, accountId, hostId),
    );
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return await handle.query(orderSyncStateQuery);
      if (description.status.name === 'COMPLETED') return await handle.result();
      return undefined;
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
      throw err;
    }
  }

  const hostIdOf = (id: string) => identifierSchema.parse(id);

  return {
    sendXeroEvent,
    // ---- bills, credit notes, deal invoices ----
    /** Create or revise a bill (a supplier invoice). A purchase order is not a bill: see the REST API's refusal. */
    async putBill(accountId: string, billId: string, input: BillEventInput, o?: EventOptions): Promise<Accepted> {
      const e = billEventSchema.parse(input);
      return putDocument('bill', accountId, hostIdOf(billId), billDocument(e.bill), e, o);
    },
    /** Create or revise a credit note (sales or purchases), optionally allocated to an order's invoice or a bill. */
    async putCreditNote(
      accountId: string,
      creditNoteId: string,
      input: CreditNoteEventInput,
      o?: EventOptions,
    ): Promise<Accepted> {
      const e = creditNoteEventSchema.parse(input);
      return putDocument('credit_note', accountId, hostIdOf(creditNoteId), creditNoteDocument(e.creditNote), e, o);
    },
    /**
     * A CRM deal's invoice (a draft by default), created or revised. `today` is the date used when the
     * deal gives none (the REST API passes today in the organisation's time zone).
     */
    async putDealInvoice(
      accountId: string,
      dealId: string,
      input: DealInvoiceInput,
      opts: EventOptions & { today?: string } = {},
    ): Promise<Accepted> {
      const e = dealInvoiceSchema.parse(input);
      const id = hostIdOf(dealId);
      const today = opts.today ?? new Date().toISOString().slice(0, 10);
      return putDocument('deal', accountId, id, dealDocument(id, e, today), e, opts);
    },
    async addDocumentPayment(
      kind: 'bill',
      accountId: string,
      hostId: string,
      payment: PaymentInput,
      o?: EventOptions,
    ): Promise<Accepted> {
      return sendTo(
        kind,
        accountId,
        hostIdOf(hostId),
        { type: 'payment_added', payment: paymentSchema.parse(payment) },
        o,
      );
    },
    async removeDocumentPayment(
      kind: 'bill',
      accountId: string,
      hostId: string,
      paymentId: string,
      o?: EventOptions,
    ): Promise<Accepted> {
      const removed = paymentRemovedSchema.parse({ paymentId });
      return sendTo(kind, accountId, hostIdOf(hostId), { type: 'payment_removed', paymentId: removed.paymentId }, o);
    },
    async cancelDocument(
      kind: Exclude<DocumentKind, 'order'>,
      accountId: string,
      hostId: string,
      input: Partial<OrderCancelled> = {},
      o?: EventOptions,
    ): Promise<Accepted> {
      const c = orderCancelledSchema.parse(input);
      return sendTo(
        kind,
        accountId,
        hostIdOf(hostId),
        { type: 'cancelled', ...(c.reason ? { reason: c.reason } : {}) },
        o,
      );
    },
    async retryDocumentSync(kind: DocumentKind, accountId: string, hostId: string): Promise<{ workflowId: string }> {
      const workflowId = documentWorkflowId(kind, accountId, hostId);
      await client.workflow.getHandle(workflowId).signal(retrySignal);
      return { workflowId };
    },
    /** What a document's workflow knows; undefined when it is not running. */
    documentSyncState(kind: DocumentKind, accountId: string, hostId: string): Promise<OrderSyncView | undefined> {
      return documentState(kind, accountId, hostId);
    },
    /** The document's sync as its workflow last showed it: running, or the final view of a completed run. */
    documentSyncView(kind: DocumentKind, accountId: string, hostId: string): Promise<OrderSyncView | undefined> {
      return documentView(kind, accountId, hostId);
    },

    // ---- orders ----
    /** The quote became an order: create its invoice (convertedAt defaults to now). */
    async startOrderSync(accountId: string, input: OrderConvertedInput, o?: EventOptions): Promise<Accepted> {
      const e = orderConvertedSchema.parse(input);
      const version = versionOf(e);
      return send(
        accountId,
        e.order.number,
        {
          type: 'converted',
          order: e.order,
          convertedAt: e.convertedAt ?? new Date().toISOString(),
          ...(version ? { version } : {}),
        },
        o,
      );
    },
    /** The order changed. Send its `revision` (or `updatedAt`): an older one than the engine has changes nothing. */
    async reviseOrder(accountId: string, input: OrderRevisedInput, o?: EventOptions): Promise<Accepted> {
      const e = orderRevisedSchema.parse(input);
      const version = versionOf(e);
      return send(accountId, e.order.number, { type: 'revised', order: e.order, ...(version ? { version } : {}) }, o);
    },
    async addPayment(
      accountId: string,
      orderNumber: string,
      payment: PaymentInput,
      o?: EventOptions,
    ): Promise<Accepted> {
      return send(
        accountId,
        orderNumberSchema.parse(orderNumber),
        { type: 'payment_added', payment: paymentSchema.parse(payment) },
        o,
      );
    },
    async removePayment(
      accountId: string,
      orderNumber: string,
      paymentId: string,
      o?: EventOptions,
    ): Promise<Accepted> {
      const removed = paymentRemovedSchema.parse({ paymentId });
      return send(
        accountId,
        orderNumberSchema.parse(orderNumber),
        { type: 'payment_removed', paymentId: removed.paymentId },
        o,
      );
    },
    async cancelOrder(
      accountId: string,
      orderNumber: string,
      input: Partial<OrderCancelled> = {},
      o?: EventOptions,
    ): Promise<Accepted> {
      const c = orderCancelledSchema.parse(input);
      return send(
        accountId,
        orderNumberSchema.parse(orderNumber),
        { type: 'cancelled', ...(c.reason ? { reason: c.reason } : {}) },
        o,
      );
    },
    /** After fixing what made a sync fail (setup, Xero data): try the failed step again (needs a running sync). */
    async retryOrderSync(accountId: string, orderNumber: string): Promise<{ workflowId: string }> {
      const workflowId = orderWorkflowId(accountId, orderNumber);
      await client.workflow.getHandle(workflowId).signal(retrySignal);
      return { workflowId };
    },
    /** What the order's workflow knows; undefined when it is not running (completed or never started). */
    async orderSyncState(accountId: string, orderNumber: string): Promise<OrderSyncView | undefined> {
      return documentState('order', accountId, orderNumber);
    },
  };
}

/** The host's version of an order event, if it sent one. */
function versionOf(e: { revision?: number; updatedAt?: string }): HostVersion | undefined {
  if (e.revision === undefined && e.updatedAt === undefined) return undefined;
  return {
    ...(e.revision !== undefined ? { revision: e.revision } : {}),
    ...(e.updatedAt !== undefined ? { updatedAt: e.updatedAt } : {}),
  };
}
