import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HostDocument } from '../domain/documents';
import type { Payment } from '../domain/order';
import type { DocumentKind } from '../documents/kinds';
import type { DriftField, XeroChangedEvent, XeroPaymentCopy, XeroResolveEvent } from '../xero-changes/contract';

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
  /** The document's stored key: the order number for orders, else kind-namespaced (src/documents/kinds.ts). */
  orderNumber: string;
  /** The kind of host document (default: order); one workflow type serves every kind. */
  kind?: DocumentKind;
  /** Set by continueAsNew only: the state carried into the next run. */
  carried?: unknown;
}

/** The host's version of an order: its own revision counter, or when it last changed. Either may be sent. */
export interface HostVersion {
  revision?: number;
  /** ISO date-time. */
  updatedAt?: string;
}

/** A host event about an order, as the order workflow's update takes it. */
export type OrderEvent =
  | { type: 'converted'; order: HostDocument; convertedAt: string; version?: HostVersion }
  | { type: 'revised'; order: HostDocument; version?: HostVersion }
  /** Create or revise (bills, credit notes, deal invoices: the host sends the whole document each time). */
  | { type: 'put'; order: HostDocument; convertedAt: string; version?: HostVersion }
  | { type: 'payment_added'; payment: Payment }
  | { type: 'payment_removed'; paymentId: string }
  | { type: 'cancelled'; reason?: string }
  | { type: 'retry' }
  /** What Xero has now, read by the webhook intake or the reconciliation (src/xero-changes/contract.ts). */
  | XeroChangedEvent
  /** An admin's (or the host's) answer to a change made in Xero. */
  | XeroResolveEvent;

export type OrderEventReason =
  | 'stale'
  | 'duplicate'
  | 'skipped'
  | 'not_connected'
  | 'unknown_order'
  | 'unknown_payment'
  | 'cancelled'
  | 'removed'
  | 'nothing_to_retry'
  /** A `xero_resolve` for a document with no open change from Xero. */
  | 'no_drift'
  | 'invalid';

/** What the workflow did with an event. */
export interface OrderEventOutcome {
  applied: boolean;
  reason?: OrderEventReason;
  message?: string;
}

/** The update's answer: the outcome and where the order stands. */
export interface OrderEventAnswer extends OrderEventOutcome {
  status: OrderSyncStatus;
  revision: number;
}

/** What a run leaves for the next one (order_syncs.state): the host's newest version and content. */
export interface StoredOrderState {
  /** The engine's count of order versions (keys of invoice writes include it). */
  revision: number;
  version?: { revision?: number; updatedAtMs?: number };
  /** The newest order content the host sent (JSON of the validated order). */
  orderJson?: string;
  convertedAt?: string;
  cancelRequested: boolean;
  removedPaymentIds: string[];
  attachmentRevision?: number;
}

export interface ConvertedSignal {
  order: HostDocument;
  /** ISO date-time; the client and the API fill it in when the host does not. */
  convertedAt: string;
}
export interface RevisedSignal {
  order: HostDocument;
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

/** A document's Xero copy as its workflow knows it; `xeroUrl` opens it in Xero. */
export interface XeroDocumentView {
  id: string;
  number: string;
  status: string;
  total: number;
  /** The engine's revision Xero shows; null when adopted with unknown content. */
  syncedRevision: number | null;
  xeroUrl?: string;
}

export interface OrderSyncView {
  accountId: string;
  orderNumber: string;
  kind?: DocumentKind;
  status: OrderSyncStatus;
  revision: number;
  /** The newest host version applied. */
  version?: { revision?: number; updatedAtMs?: number };
  cancelled: boolean;
  /** The Xero document (an invoice, a bill or a credit note). */
  invoice?: XeroDocumentView;
  /** A credit note's allocation to the document it applies to. */
  allocation?: { status: 'waiting' | 'allocated'; invoiceId?: string; amount?: number; message?: string };
  attachmentRevision: number | null;
  payments: Array<{ id: string; amount: number; removed: boolean; xeroPaymentId?: string; skipped?: boolean }>;
  failure?: { step: string; kind: string; message: string };
  skippedReason?: string;
  /** What someone changed in Xero (issue 13); absent when nothing was. */
  xero?: XeroSideView;
  /** Paid so far (host payments synced and payments recorded in Xero) and what is left, once in Xero. */
  amountPaid?: number;
  amountDue?: number;
}

export interface XeroSideView {
  /** Voided or deleted in Xero without the engine (the document is not edited). */
  closed?: { status: 'VOIDED' | 'DELETED'; at: string };
  /** The open drift's field changes: what the engine wrote → what Xero has. */
  changes?: DriftField[];
  /** An open drift is waiting for an answer (Reconciliation page or API). */
  driftOpen: boolean;
  /** Payments recorded in Xero that the engine did not write (they count toward the document being paid). */
  payments: XeroPaymentCopy[];
}

/**
 * Every host event goes through this update (update-with-start from the REST API and the client):
 * the workflow owns the decision and the caller answers from it. The signals above remain for runs
 * started before it and for ops.
 */
export const orderEventUpdate = defineUpdate<OrderEventAnswer, [OrderEvent]>('orderEvent');

export const orderSyncStateQuery = defineQuery<OrderSyncView>('orderSyncState');
