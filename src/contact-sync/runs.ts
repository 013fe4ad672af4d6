import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { NewSyncLogEntry } from '../db/schema';
import type { ContactSyncCounts, ContactSyncMode } from './shared';

/** Run bookkeeping: who the account is, its setup, its connection, and the sync log of each run. */

export interface RunRef {
  accountId: string;
  /** Stable across retries and worker crashes: workflow id + first run id. */
  runKey: string;
  workflowId: string;
  runId: string;
}

export interface AccountInfo {
  accountId: string;
  hostAppId: string;
  /** The host's own id of the account: what webhook events carry. */
  hostAccountId: string;
}

export async function accountInfo(db: Db, accountId: string): Promise<AccountInfo | undefined> {
  const a = await db
    .selectFrom('accounts')
    .select(['id', 'host_app_id', 'external_id'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  return a && { accountId: a.id, hostAppId: a.host_app_id, hostAccountId: a.external_id };
}

export type ConnectionState = 'active' | 'needs_reconnect' | 'not_connected';

export async function connectionState(db: Db, accountId: string): Promise<ConnectionState> {
  const c = await db.selectFrom('connections').select('status').where('account_id', '=', accountId).executeTakeFirst();
  return c ? c.status : 'not_connected';
}

export async function ensureSyncState(db: Db, accountId: string): Promise<void> {
  await db
    .insertInto('contact_sync_state')
    .values({ account_id: accountId })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
}

export async function startRun(db: Db, run: RunRef, mode: ContactSyncMode): Promise<{ since: Date | null }> {
  await ensureSyncState(db, run.accountId);
  await db
    .insertInto('contact_sync_runs')
    .values({ account_id: run.accountId, run_key: run.runKey, mode, workflow_id: run.workflowId })
    .onConflict((oc) => oc.columns(['account_id', 'run_key']).doNothing())
    .execute();
  const stateUpdate =
    mode === 'import'
      ? {
          import_run_key: run.runKey,
          import_status: 'running' as const,
          import_done: 0,
          import_total: null,
          import_started_at: new Date(),
          import_finished_at: null,
          import_error: null,
        }
      : { last_run_key: run.runKey };
  // An import restarted by a retry keeps its progress: only a new run resets it.
  let q = db
    .updateTable('contact_sync_state')
    .set({ ...stateUpdate, updated_at: sql<Date>`now()` })
    .where('account_id', '=', run.accountId);
  if (mode === 'import') q = q.where((eb) => eb('import_run_key', 'is', null).or('import_run_key', '!=', run.runKey));
  await q.execute();
  const state = await db
    .selectFrom('contact_sync_state')
    .select('pull_watermark')
    .where('account_id', '=', run.accountId)
    .executeTakeFirstOrThrow();
  // Old page markers and batches only matter while their run can still be retried.
  await db
    .deleteFrom('contact_pull_pages')
    .where('account_id', '=', run.accountId)
    .where('created_at', '<', sql<Date>`now() - interval '3 days'`)
    .execute();
  await db
    .deleteFrom('contact_push_batches')
    .where('account_id', '=', run.accountId)
    .where('created_at', '<', sql<Date>`now() - interval '3 days'`)
    .execute();
  return { since: mode === 'import' ? null : state.pull_watermark };
}

/** The next pull asks for changes since this (never moves backwards). */
export async function advanceWatermark(db: Db, accountId: string, watermark: Date): Promise<void> {
  await db
    .updateTable('contact_sync_state')
    .set({
      pull_watermark: sql<Date>`greatest(coalesce(pull_watermark, ${watermark}), ${watermark})`,
      updated_at: sql<Date>`now()`,
    })
    .where('account_id', '=', accountId)
    .execute();
}

export function countsMessage(mode: ContactSyncMode, c: ContactSyncCounts): string {
  const parts = [`pulled ${c.pulled}`];
  if (mode === 'sync') parts.unshift(`pushed ${c.pushed}`, `linked ${c.linked}`);
  parts.push(`failed ${c.failed}`);
  if (c.skipped > 0) parts.push(`skipped ${c.skipped}`);
  return `${mode === 'import' ? 'Xero contacts import' : 'Contact sync'}: ${parts.join(', ')}`;
}

export async function finishRun(
  db: Db,
  run: RunRef,
  mode: ContactSyncMode,
  outcome: { status: 'done' | 'failed' | 'not-connected'; counts: ContactSyncCounts; error?: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Once per run, even if this activity is retried after committing.
    const updated = await trx
      .updateTable('contact_sync_runs')
      .set({ ...outcome.counts, status: outcome.status, error: outcome.error ?? null, finished_at: sql<Date>`now()` })
      .where('account_id', '=', run.accountId)
      .where('run_key', '=', run.runKey)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return;
    const failed = outcome.status !== 'done';
    await trx
      .insertInto('sync_log')
      .values(
        logEntry(run, {
          kind: 'contact_sync',
          action: mode,
          outcome: outcome.status === 'not-connected' ? 'skipped' : failed ? 'failure' : 'success',
          message: failed
            ? `${countsMessage(mode, outcome.counts)} — ${outcome.error ?? 'failed'}`
            : countsMessage(mode, outcome.counts),
          error: failed ? { kind: outcome.status, message: outcome.error ?? null, counts: outcome.counts } : null,
        }),
      )
      .execute();
    const now = sql<Date>`now()`;
    if (mode === 'import') {
      await trx
        .updateTable('contact_sync_state')
        .set({
          import_status: failed ? 'failed' : 'done',
          import_finished_at: now,
          import_error: outcome.error ?? null,
          updated_at: now,
        })
        .where('account_id', '=', run.accountId)
        .where('import_run_key', '=', run.runKey)
        .execute();
    } else if (!failed) {
      await trx
        .updateTable('contact_sync_state')
        .set({ last_success_at: now, updated_at: now })
        .where('account_id', '=', run.accountId)
        .execute();
    }
  });
}

export function logEntry(
  run: RunRef,
  e: {
    kind: string;
    action: string;
    hostRef?: string | null;
    outcome: 'success' | 'failure' | 'skipped';
    xeroId?: string | null;
    message: string;
    error?: Record<string, unknown> | null;
  },
): NewSyncLogEntry {
  return {
    account_id: run.accountId,
    kind: e.kind,
    action: e.action,
    host_ref: e.hostRef ?? null,
    outcome: e.outcome,
    xero_id: e.xeroId ?? null,
    message: e.message,
    error: e.error ? JSON.stringify(e.error) : null,
    workflow_id: run.workflowId,
    run_id: run.runId,
  };
}

export interface ImportProgress {
  status: 'running' | 'done' | 'failed' | null;
  done: number;
  total: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

/** "Import Xero customers": N of M, for the account page. */
export async function importProgress(db: Db, accountId: string): Promise<ImportProgress> {
  const s = await db
    .selectFrom('contact_sync_state')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return {
    status: s?.import_status ?? null,
    done: s?.import_done ?? 0,
    total: s?.import_total ?? null,
    startedAt: s?.import_started_at ?? null,
    finishedAt: s?.import_finished_at ?? null,
    error: s?.import_error ?? null,
  };
}
