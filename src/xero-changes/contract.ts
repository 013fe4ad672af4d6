/**
 * What the two halves of "Xero back to the host" agree on (issue 13). The intake side (Xero's
 * webhooks, the per-organisation workflow, the scheduled reconciliation) reads Xero and hands each
 * changed document the engine wrote to that document's own workflow as a `xero_changed` event; the
 * document side compares it with what the engine last wrote, records the drift (`xero_drift`),
 * tells the host and decides what the host's next event does. Admins and the API resolve a drift
 * with a `xero_resolve` event. Workflow code imports this module: types and pure helpers only.
 */

/** A Xero invoice, bill or credit note as the engine compares it: normalised, JSON-safe. */
export interface XeroDocumentCopy {
  family: 'invoice' | 'credit_note';
  xeroId: string;
  /** InvoiceNumber / CreditNoteNumber ('' when Xero has none). */
  number: string;
  /** ACCREC, ACCPAY, ACCRECCREDIT or ACCPAYCREDIT. */
  type: string;
  status: string;
  contactId: string;
  contactName?: string;
  /** YYYY-MM-DD. */
  date?: string;
  dueDate?: string;
  reference?: string;
  currencyCode?: string;
  lineAmountTypes?: string;
  lines: XeroLineCopy[];
  subTotal: number;
  totalTax: number;
  total: number;
  amountPaid?: number;
  amountDue?: number;
  /** Payments on the document as Xero lists them (every payment, the engine's own included). */
  payments: XeroPaymentCopy[];
  /** ISO date-time of Xero's UpdatedDateUTC: a copy older than the engine's last write is stale. */
  updatedDateUtc: string;
}

export interface XeroLineCopy {
  lineItemId?: string;
  description?: string;
  quantity?: number;
  unitAmount?: number;
  accountCode?: string;
  taxType?: string;
  itemCode?: string;
  discountRate?: number;
  lineAmount?: number;
  tracking: Array<{ name: string; option: string }>;
}

export interface XeroPaymentCopy {
  paymentId: string;
  amount: number;
  /** YYYY-MM-DD. */
  date: string;
  reference?: string;
  /** The bank account's code (filled by the intake from GET /Payments when Xero's invoice omits it). */
  accountCode?: string;
  status?: string;
}

/** How a change in Xero reached the engine. */
export type DriftSource = 'webhook' | 'reconciliation';

/** What an admin (or the host, through the API) does about a drift. */
export type DriftAction = 'send_ours' | 'accept_xero' | 'ignore';
export const DRIFT_ACTIONS: readonly DriftAction[] = ['send_ours', 'accept_xero', 'ignore'];

/** One field that differs: what the engine last wrote against what Xero has now. */
export interface DriftField {
  /** e.g. 'status', 'total', 'reference', 'dueDate', 'lines', 'lines[2].unitAmount', 'contact'. */
  field: string;
  ours: unknown;
  xeros: unknown;
}

/** A drift as stored in `xero_drift.changes` and shown on the Reconciliation page. */
export interface DriftChanges {
  fields: DriftField[];
  /** Set when Xero's status is VOIDED or DELETED and the engine did not do it. */
  closedInXero?: { status: 'VOIDED' | 'DELETED'; at: string };
  /** Payments on the document the engine did not write. */
  paymentsInXero?: XeroPaymentCopy[];
}

/**
 * The document workflow's events for this issue, added to `OrderEvent` (src/orders/messages.ts):
 * - `{ type: 'xero_changed'; copy: XeroDocumentCopy; via: DriftSource }`
 * - `{ type: 'xero_resolve'; action: DriftAction }`
 * Both go through the usual update-with-start (`sendTo` in src/client.ts), so a document whose
 * workflow completed is restarted from its stored state.
 */
export interface XeroChangedEvent {
  type: 'xero_changed';
  copy: XeroDocumentCopy;
  via: DriftSource;
}
export interface XeroResolveEvent {
  type: 'xero_resolve';
  action: DriftAction;
}

/**
 * Per-organisation workflow that takes Xero's webhook events: one per Xero tenant and engine. The
 * task queue names the engine: deployments sharing a Temporal namespace have their own queues and
 * databases, so one must never feed the other's workflow.
 */
export function xeroChangesWorkflowId(taskQueue: string, tenantId: string): string {
  return `xero-changes:${taskQueue}:${tenantId}`;
}

/** Per-account reconciliation runs (scheduled daily by default, or "Reconcile now"). */
export function reconciliationWorkflowId(accountId: string): string {
  return `reconcile:${accountId}`;
}
export function reconciliationScheduleId(accountId: string): string {
  return `reconcile-schedule:${accountId}`;
}
