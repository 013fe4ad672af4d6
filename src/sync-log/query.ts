import { z } from 'zod';
import { sql, type Kysely } from 'kysely';
import type { Database, SyncLogEntry } from '../db/schema';

/** Filters shared by the admin "Sync log" page and `GET /api/v1/accounts/{id}/sync-log`. */
export const syncLogQuerySchema = z.object({
  outcome: z.enum(['success', 'failure', 'skipped']).optional(),
  kind: z.string().trim().min(1).max(50).optional(),
  /** The host document's kind: order, bill, credit_note, deal. */
  documentKind: z.enum(['order', 'bill', 'credit_note', 'deal']).optional(),
  orderNumber: z.string().trim().min(1).max(100).optional(),
  /** Cursor: entries older than this id (newest first). */
  before: z.coerce.bigint().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export type SyncLogQuery = z.infer<typeof syncLogQuerySchema>;

export interface SyncLogPage {
  entries: SyncLogEntry[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextBefore?: string;
}

export async function listSyncLog(db: Kysely<Database>, accountId: string, query: SyncLogQuery): Promise<SyncLogPage> {
  let q = db.selectFrom('sync_log').selectAll().where('account_id', '=', accountId);
  if (query.outcome) q = q.where('outcome', '=', query.outcome);
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.documentKind) q = q.where('document_kind', '=', query.documentKind);
  if (query.orderNumber) q = q.where('host_ref', '=', query.orderNumber);
  if (query.before !== undefined) q = q.where('id', '<', query.before.toString());
  const rows = await q
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const entries = rows.slice(0, query.limit);
  const last = entries[entries.length - 1];
  return rows.length > query.limit && last ? { entries, nextBefore: String(last.id) } : { entries };
}

export async function getSyncLogEntry(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<SyncLogEntry | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  return db
    .selectFrom('sync_log')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * Open failures: for each document, the newest log entry, when it is a failure. An order's workflow
 * holds one failure at a time and stops until it is retried, so for an order (workflow id
 * `order:…`) the document is the order itself: whatever it logs next (the failed step succeeding,
 * or a cancel that makes the step moot) closes the failure. Other entries (contact sync) are keyed
 * by (step kind, host document). Derived rather than stored, so a failure leaves the list the moment
 * a later attempt succeeds, whoever retried it (page, Temporal UI, CLI or a revision).
 */
/** A document's workflow (an order, a bill, a credit note, a deal): `{kind}:{accountId}:{id}`. */
const isDocumentWorkflow = sql<boolean>`(workflow_id like 'order:%' or workflow_id like 'bill:%' or workflow_id like 'credit\_note:%' or workflow_id like 'deal:%')`;

export async function listOpenFailures(db: Kysely<Database>, accountId: string): Promise<SyncLogEntry[]> {
  const documentKey = sql<string>`case when ${isDocumentWorkflow} then workflow_id else kind || ':' || coalesce(host_ref, '') end`;
  const latest = db
    .selectFrom('sync_log')
    .selectAll()
    .where('account_id', '=', accountId)
    // For an order, a later skip (edits or payments not synced per setup, cancelled first) settles it too.
    .where((eb) => eb.or([eb('outcome', '!=', 'skipped'), eb(sql<boolean>`${isDocumentWorkflow}`, '=', true)]))
    .distinctOn(documentKey)
    .orderBy(documentKey)
    .orderBy('id', 'desc')
    .as('latest');
  return db.selectFrom(latest).selectAll().where('outcome', '=', 'failure').orderBy('id', 'desc').execute();
}
