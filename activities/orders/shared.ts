import { Context } from '@temporalio/activity';
import type { Db } from '../../src/db/database';
import type { HostPdf } from '../../src/orders/host-pdf';
import { idempotencyKey } from '../../src/orders/idempotency';
import type { XeroGateway } from '../../src/xero/gateway';
import type { DocumentKind } from '../../src/documents/kinds';

/** What every order activity module is built from, and the types the workflow shares with them. */

export interface OrderSyncConfig {
  /** A closed order (paid or cancelled) completes after this long without events. */
  quietPeriodMs: number;
  /** Activity start-to-close timeout: how soon a step of a dead worker is retried elsewhere. */
  activityTimeoutMs: number;
  /**
   * Activity heartbeat timeout (the workflow's default when unset). Activities heartbeat at most
   * every third of it (./heartbeat.ts), so any value is safe; the worker sends heartbeats every 80%
   * of it, which is how soon an attempt the server gave up on hears that it was cancelled.
   */
  heartbeatTimeoutMs?: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Continue as new past this many history events (Temporal also suggests it). */
  continueAsNewAfterEvents?: number;
  /**
   * How long after a payment batch first left for Xero a retry may resend it under its
   * Idempotency-Key (Xero keeps keys about 6 minutes); later, the payment is looked for first.
   */
  paymentKeyTrustMs?: number;
}

export const DEFAULT_ORDER_SYNC_CONFIG: OrderSyncConfig = {
  quietPeriodMs: 60 * 60_000,
  activityTimeoutMs: 60_000,
  retryInitialMs: 1_000,
  retryMaxMs: 5 * 60_000,
};

export interface OrderActivityDeps {
  db: Db;
  xero: XeroGateway;
  orders?: Partial<OrderSyncConfig>;
  /** Fetches the host's PDF (tests may point it anywhere); default: HTTP GET with limits. */
  fetchPdf?: (url: string) => Promise<HostPdf>;
  /** The engine's public address (PUBLIC_URL): the Url of documents whose host gave none (see src/documents/marker.ts). */
  publicUrl?: string;
}

/** The resolved dependencies each capability module is built from. */
export interface OrderModuleDeps {
  db: Db;
  xero: XeroGateway;
  config: OrderSyncConfig;
  fetchPdf: (url: string) => Promise<HostPdf>;
  publicUrl: string;
}

/** The document every document activity is about. */
export interface Base {
  accountId: string;
  workflowId: string;
  /** The document's stored key: the order number for orders (src/documents/kinds.ts). */
  orderNumber: string;
  /** Absent for orders (and every call recorded before kinds existed). */
  documentKind?: DocumentKind;
  /** The document came with an export: its Xero calls are bulk work (src/xero/work-class.ts). */
  bulk?: boolean;
}

export interface InvoiceSummary {
  id: string;
  number: string;
  status: string;
  total: number;
  /** Opens the document in Xero. */
  xeroUrl?: string;
}

export interface StoredPayment {
  id: string;
  xeroPaymentId: string;
  amount: number;
  date: string;
  reference?: string;
  generation: number;
}

/** The running attempt's info, or undefined when called outside an activity (tools, direct calls). */
export function activityInfo() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

/**
 * The Idempotency-Key of a write, scoped to this scheduling of the activity: Temporal's retries of
 * it (a lost answer, a killed worker) repeat the key; a retry after a business failure is a new
 * scheduling and so a new request. Otherwise Xero would answer a retry within its key window with
 * the stored refusal (same body) or refuse the corrected body (same key, different request).
 * Creations stay exactly-once because each looks for its own earlier write first.
 */
export function writeKey(workflowId: string, step: string, ...qualifiers: Array<string | number>): string {
  const info = activityInfo();
  return idempotencyKey(
    workflowId,
    step,
    ...qualifiers,
    ...(info ? [`${info.workflowExecution?.runId ?? ''}/${info.activityId}`] : []),
  );
}
