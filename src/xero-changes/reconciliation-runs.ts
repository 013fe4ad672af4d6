import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { ReconciliationCounts, ReconciliationTrigger } from './shared';

/**
 * The record of each account's reconciliation runs (`xero_reconciliation_runs`): one running at a
 * time, and the start of the last completed one is the next one's If-Modified-Since.
 */

/** A run still 'running' after this long lost its worker: it no longer blocks the next one. */
export const STALE_RUN_MS = 2 * 3_600_000;

/**
 * Xero's clock and ours differ, and If-Modified-Since is to the second: the next run reads from a
 * little before the last one started (a document read twice is harmless: its copy is the same event).
 */
const SINCE_MARGIN_MS = 5 * 60_000;

export type BeginResult =
  | { status: 'started'; runId: string; since: string | null }
  | { status: 'already_running' | 'not_connected' | 'needs_reconnect' };

export async function beginRun(
  db: Db,
  input: { accountId: string; trigger: ReconciliationTrigger; workflowRunId: string },
): Promise<BeginResult> {
  return db.transaction().execute(async (trx) => {
    // One begin at a time per account, so two triggers cannot both find no run going.
    await sql`select pg_advisory_xact_lock(hashtext(${`reconcile:${input.accountId}`}))`.execute(trx);
    const running = await trx
      .selectFrom('xero_reconciliation_runs')
      .select(['id', 'since', 'counts'])
      .where('account_id', '=', input.accountId)
      .where('status', '=', 'running')
      .where('started_at', '>', new Date(Date.now() - STALE_RUN_MS))
      .executeTakeFirst();
    if (running) {
      // This workflow's own run, begun by an earlier attempt of this activity.
      if ((running.counts as { workflowRunId?: unknown }).workflowRunId === input.workflowRunId)
        return { status: 'started', runId: running.id, since: running.since?.toISOString() ?? null };
      return { status: 'already_running' };
    }
    const connection = await trx
      .selectFrom('connections')
      .select(['status', 'connected_at'])
      .where('account_id', '=', input.accountId)
      .executeTakeFirst();
    if (!connection) return { status: 'not_connected' };
    if (connection.status !== 'active') return { status: 'needs_reconnect' };
    const last = await trx
      .selectFrom('xero_reconciliation_runs')
      .select('started_at')
      .where('account_id', '=', input.accountId)
      .where('status', '=', 'completed')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    // First run: everything since the connection (the engine wrote nothing before it).
    const from = last?.started_at ?? connection.connected_at;
    const since = new Date(from.getTime() - SINCE_MARGIN_MS);
    const row = await trx
      .insertInto('xero_reconciliation_runs')
      .values({
        account_id: input.accountId,
        trigger: input.trigger,
        since,
        counts: sql`${JSON.stringify({ workflowRunId: input.workflowRunId })}::jsonb`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { status: 'started', runId: row.id, since: since.toISOString() };
  });
}

export async function finishRun(
  db: Db,
  input: { runId: string; status: 'completed' | 'failed'; counts: ReconciliationCounts },
): Promise<void> {
  await db
    .updateTable('xero_reconciliation_runs')
    .set({ status: input.status, finished_at: new Date(), counts: sql`${JSON.stringify(input.counts)}::jsonb` })
    .where('id', '=', input.runId)
    .where('status', '=', 'running')
    .execute();
}
