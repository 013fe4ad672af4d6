import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Names and types shared by the intake workflows (Xero's webhooks per organisation, reconciliation
 * per account), their activities, the schedule code and the web route. Imported by workflow code:
 * no Node APIs here.
 */

export const XERO_CHANGES_WORKFLOW_TYPE = 'xeroChangesWorkflow';
export const RECONCILIATION_WORKFLOW_TYPE = 'reconciliationWorkflow';

/** One verified webhook delivery's events for one tenant (the route's signalWithStart). */
export const xeroEventsSignal = defineSignal<[{ events: XeroChangeEvent[] }]>('xeroEvents');

/** What the per-organisation workflow has done so far in this run (ops, tests). */
export interface XeroChangesStatus {
  received: number;
  /** Events already seen (Xero's retries, replays). */
  duplicates: number;
  pending: number;
  batches: number;
  failedBatches: number;
  /** Xero calls made by the batches, and ids asked per batch (for calls-per-batch figures). */
  calls: number;
  documents: number;
  delivered: number;
  lastBatches: Array<{ category: XeroEventCategory; ids: number; calls: number; documents: number; delivered: number }>;
}
export const xeroChangesStatusQuery = defineQuery<XeroChangesStatus>('xeroChangesStatus');

/** The Xero event categories the intake acts on (Xero also sends SUBSCRIPTION etc.: ignored). */
export type XeroEventCategory = 'INVOICE' | 'CREDITNOTE' | 'CONTACT';
export const XERO_EVENT_CATEGORIES: readonly XeroEventCategory[] = ['INVOICE', 'CREDITNOTE', 'CONTACT'];

/** One webhook event, reduced to what the workflow needs (the rest of Xero's body is not kept). */
export interface XeroChangeEvent {
  category: XeroEventCategory;
  resourceId: string;
  eventType: string;
  eventDateUtc: string;
}

export interface XeroChangesInput {
  tenantId: string;
  /** Carried over continueAsNew: events received but not yet fetched, recent dedupe keys, counters. */
  pending?: XeroChangeEvent[];
  seen?: string[];
  status?: XeroChangesStatus;
  /** Milliseconds to wait for more events before fetching (tests shorten it). */
  debounceMs?: number;
  /** Ids per fetch; Xero reads at most 50 invoices by id per call. */
  batchSize?: number;
  /** History events before the workflow continues as new (tests lower it). */
  historyLimit?: number;
}

export interface XeroChangesBatch {
  tenantId: string;
  category: XeroEventCategory;
  resourceIds: string[];
}

export interface XeroChangesBatchResult {
  /** Accounts connected to the tenant that the batch was read for. */
  accounts: number;
  /** Engine documents among the ids (over all accounts). */
  documents: number;
  delivered: number;
  /** Xero calls made. */
  calls: number;
}

export type ReconciliationTrigger = 'schedule' | 'manual' | 'api';

export interface ReconciliationInput {
  accountId: string;
  trigger?: ReconciliationTrigger;
  /** Xero page size for the If-Modified-Since reads (tests use small pages). */
  pageSize?: number;
}

export interface ReconciliationCounts {
  documentsRead: number;
  paymentsRead: number;
  calls: number;
  delivered: number;
  [key: string]: unknown;
}

export interface ReconciliationResult {
  runId: string | null;
  status: 'completed' | 'failed' | 'not_connected' | 'needs_reconnect' | 'already_running';
  counts: ReconciliationCounts;
  message?: string;
}

export const emptyReconciliationCounts = (): ReconciliationCounts => ({
  documentsRead: 0,
  paymentsRead: 0,
  calls: 0,
  delivered: 0,
});

/** Dedupe key of a webhook event: Xero may deliver the same event more than once. */
export const eventKey = (e: Pick<XeroChangeEvent, 'resourceId' | 'eventDateUtc' | 'eventType'>) =>
  `${e.resourceId}|${e.eventDateUtc}|${e.eventType}`;
