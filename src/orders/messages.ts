import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Order, Payment } from '../domain/order';

/**
 * The order workflow's messages, defined once and imported by the workflow, the TypeScript client
 * and the REST routes. Workflow code imports this module: no Node APIs, no zod here (types only).
 */

export const ORDER_WORKFLOW_TYPE = 'orderSyncWorkflow';

/** One workflow per order and account: `order:{accountId}:{orderNumber}` (internal account id). */
export function orderWorkflowId(accountId: string, orderNumber: string): string {
  return `order:${accountId}:${orderNumber}`;
}

export interface OrderWorkflowInput {
  accountId: string;
  orderNumber: string;
  /** Set by continueAsNew only: the state carried into the next run. */
  carried?: unknown;
}

export interface ConvertedSignal {
  order: Order;
  /** ISO date-time; the client and the API fill it in when the host does not. */
  convertedAt: string;
}
export interface RevisedSignal {
  order: Order;
  revision?: number;
}
export interface PaymentRemovedSignal {
  paymentId: string;
}
export interface CancelledSignal {
  reason?: string;
}

export const orderConvertedSignal = defineSignal<[ConvertedSignal]>('orderConverted');
export const orderRevisedSignal = defineSignal<[RevisedSignal]>('orderRevised');
export const paymentAddedSignal = defineSignal<[Payment]>('paymentAdded');
export const paymentRemovedSignal = defineSignal<[PaymentRemovedSignal]>('paymentRemoved');
export const orderCancelledSignal = defineSignal<[CancelledSignal]>('orderCancelled');
/** Ops: `temporal workflow signal --workflow-id 'order:…' --name retry` after fixing the cause of a failure. */
export const retrySignal = defineSignal('retry');

export type OrderSyncStatus = 'pending' | 'synced' | 'failed' | 'closed' | 'skipped';

export interface OrderSyncView {
  accountId: string;
  orderNumber: string;
  status: OrderSyncStatus;
  revision: number;
  cancelled: boolean;
  invoice?: { id: string; number: string; status: string; total: number; syncedRevision: number | null };
  attachmentRevision: number | null;
  payments: Array<{ id: string; amount: number; removed: boolean; xeroPaymentId?: string; skipped?: boolean }>;
  failure?: { step: string; kind: string; message: string };
  skippedReason?: string;
}

export const orderSyncStateQuery = defineQuery<OrderSyncView>('orderSyncState');
