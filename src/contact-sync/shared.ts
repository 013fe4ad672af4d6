import { defineQuery } from '@temporalio/workflow';

/**
 * Names, ids, message definitions and types shared by the contact-sync workflow, its activities,
 * the schedule code and the web routes. Imported by workflow code: no Node APIs here.
 */

export const CONTACT_SYNC_WORKFLOW_TYPE = 'contactSyncWorkflow';

/** One schedule per account; ops find it with `temporal schedule describe --schedule-id contact-sync:<account>`. */
export const contactSyncScheduleId = (accountId: string) => `contact-sync:${accountId}`;
/** Scheduled runs get this id plus the start time (Temporal appends it). */
export const contactSyncWorkflowId = (accountId: string) => `contact-sync:${accountId}`;
/** The "Import Xero customers" run: one at a time per account. */
export const contactImportWorkflowId = (accountId: string) => `contact-import:${accountId}`;

/**
 * `sync`: pull changes since the checkpoint, push pending host contacts, refresh reference data.
 * `import`: pull every contact (reporting all of them to the host) and refresh reference data.
 */
export type ContactSyncMode = 'sync' | 'import';

export interface ContactSyncInput {
  accountId: string;
  mode?: ContactSyncMode;
  /** Xero page size for pulls (Xero allows up to 1000); small in tests to exercise paging. */
  pageSize?: number;
  /** Contacts per push call (Xero recommends at most 50). */
  batchSize?: number;
}

export interface ContactSyncCounts {
  pushed: number;
  linked: number;
  pulled: number;
  failed: number;
  skipped: number;
}

export type ContactSyncPhase =
  'starting' | 'pulling' | 'pushing' | 'reference-data' | 'done' | 'not-connected' | 'failed';

export interface ContactSyncProgress extends ContactSyncCounts {
  phase: ContactSyncPhase;
  /** Contacts read from Xero so far, and how many Xero says there are (when it says). */
  received: number;
  total: number | null;
}

export interface ContactSyncResult extends ContactSyncCounts {
  status: 'done' | 'not-connected' | 'failed';
  message?: string;
}

export const contactSyncProgressQuery = defineQuery<ContactSyncProgress>('contactSyncProgress');

export const emptyCounts = (): ContactSyncCounts => ({ pushed: 0, linked: 0, pulled: 0, failed: 0, skipped: 0 });

/** The failure type (a SyncErrorKind, src/orders/failures.ts) that means the account has no usable connection. */
export const NOT_CONNECTED_FAILURE = 'not_connected';
