import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
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
  orderCancelledSignal,
  orderConvertedSignal,
  orderRevisedSignal,
  orderSyncStateQuery,
  orderWorkflowId,
  paymentAddedSignal,
  paymentRemovedSignal,
  retrySignal,
  type OrderSyncView,
  type OrderWorkflowInput,
} from './orders/messages';
import { AccountIdKey, OrderNumberKey, SyncStatus, SyncStatusKey } from './temporal/search-attributes';

/**
 * The TypeScript client for hosts that talk to Temporal directly: the same operations as the REST
 * order API, each a signal-with-start on the order's workflow (`order:{accountId}:{orderNumber}`),
 * so an event for an order whose workflow completed starts it again from the stored links.
 *
 * Inputs are validated with the API's own schemas (a ZodError names the field). Unlike the REST
 * API, the client cannot read the database: the before-connection rule is enforced by the workflow
 * itself (it records the order as skipped), not answered here.
 *
 * `accountId` is the engine's account id (accounts.id), not the host's own id.
 */

export * from './domain/order';
export { orderWorkflowId, type OrderSyncView } from './orders/messages';

export interface OrderSyncClientOptions {
  /** The worker's task queue (TEMPORAL_TASK_QUEUE, default `xero-sync`). */
  taskQueue?: string;
}

export interface Accepted {
  workflowId: string;
}

export type OrderSyncClient = ReturnType<typeof createOrderSyncClient>;

export function createOrderSyncClient(client: Client, opts: OrderSyncClientOptions = {}) {
  const taskQueue = opts.taskQueue ?? 'xero-sync';

  async function send<A extends [unknown]>(
    accountId: string,
    orderNumber: string,
    signal: SignalDefinition<A>,
    args: A,
  ): Promise<Accepted> {
    const workflowId = orderWorkflowId(accountId, orderNumber);
    const input: OrderWorkflowInput = { accountId, orderNumber };
    await client.workflow.signalWithStart<(i: OrderWorkflowInput) => Promise<OrderSyncView>, [unknown]>(
      ORDER_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue,
        args: [input],
        signal: signal as SignalDefinition<[unknown]>,
        signalArgs: args,
        typedSearchAttributes: [
          { key: AccountIdKey, value: accountId },
          { key: OrderNumberKey, value: orderNumber },
          { key: SyncStatusKey, value: SyncStatus.Pending },
        ],
      },
    );
    return { workflowId };
  }

  return {
    /** The quote became an order: create its invoice (convertedAt defaults to now). */
    async startOrderSync(accountId: string, input: OrderConvertedInput): Promise<Accepted> {
      const e = orderConvertedSchema.parse(input);
      return send(accountId, e.order.number, orderConvertedSignal, [
        { order: e.order, convertedAt: e.convertedAt ?? new Date().toISOString() },
      ]);
    },
    async reviseOrder(accountId: string, input: OrderRevisedInput): Promise<Accepted> {
      const e = orderRevisedSchema.parse(input);
      return send(accountId, e.order.number, orderRevisedSignal, [
        { order: e.order, ...(e.revision !== undefined ? { revision: e.revision } : {}) },
      ]);
    },
    async addPayment(accountId: string, orderNumber: string, payment: PaymentInput): Promise<Accepted> {
      return send(accountId, orderNumberSchema.parse(orderNumber), paymentAddedSignal, [paymentSchema.parse(payment)]);
    },
    async removePayment(accountId: string, orderNumber: string, paymentId: string): Promise<Accepted> {
      return send(accountId, orderNumberSchema.parse(orderNumber), paymentRemovedSignal, [
        paymentRemovedSchema.parse({ paymentId }),
      ]);
    },
    async cancelOrder(accountId: string, orderNumber: string, input: Partial<OrderCancelled> = {}): Promise<Accepted> {
      return send(accountId, orderNumberSchema.parse(orderNumber), orderCancelledSignal, [
        orderCancelledSchema.parse(input),
      ]);
    },
    /** After fixing what made a sync fail (setup, Xero data): try the failed step again. */
    async retryOrderSync(accountId: string, orderNumber: string): Promise<Accepted> {
      const workflowId = orderWorkflowId(accountId, orderNumber);
      await client.workflow.getHandle(workflowId).signal(retrySignal);
      return { workflowId };
    },
    /** What the order's workflow knows; undefined when it is not running (completed or never started). */
    async orderSyncState(accountId: string, orderNumber: string): Promise<OrderSyncView | undefined> {
      const handle = client.workflow.getHandle(orderWorkflowId(accountId, orderNumber));
      try {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') return undefined;
        return await handle.query(orderSyncStateQuery);
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
        throw err;
      }
    },
  };
}
