import type { Transaction } from 'kysely';
import type { Db } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { parseDocumentRef } from '../../src/documents/kinds';
import { activityInfo, type Base } from './shared';
import { countDocumentSync } from '../../src/metrics/engine';

/** The sync log: one entry per step and outcome, what the Failures and Sync log pages show. */

export interface LogEntry {
  kind: string;
  action: string;
  outcome: 'success' | 'failure' | 'skipped';
  xeroId?: string | null;
  message?: string | null;
  error?: Record<string, unknown> | null;
  /** Xero's deep link to the document the entry is about. */
  xeroUrl?: string;
}

export async function writeSyncLog(trx: Transaction<Database> | Db, base: Base, entry: LogEntry): Promise<void> {
  const info = activityInfo();
  await trx
    .insertInto('sync_log')
    .values({
      account_id: base.accountId,
      kind: entry.kind,
      action: entry.action,
      host_ref: base.orderNumber,
      document_kind: parseDocumentRef(base.orderNumber).kind,
      ...(entry.xeroUrl ? { xero_url: entry.xeroUrl } : {}),
      outcome: entry.outcome,
      xero_id: entry.xeroId ?? null,
      message: entry.message ?? null,
      error: entry.error ? JSON.stringify(entry.error) : null,
      workflow_id: base.workflowId,
      run_id: info?.workflowExecution?.runId ?? null,
    })
    .execute();
  // Counted once written; an entry inside a transaction that later rolls back is counted too (its
  // activity retries): the counter measures sync activity, the sync log stays the record.
  countDocumentSync(parseDocumentRef(base.orderNumber).kind, entry.kind, entry.outcome);
}
