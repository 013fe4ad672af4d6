import { sql } from 'kysely';
import type { Db } from '../db/database';
import { enqueueHostEvent } from '../host-webhooks/outbox';
import { toPulled, upsertMirror } from './mirror';
import { accountInfo, type RunRef } from './runs';
import type { ContactSyncMode } from './shared';
import { getContactsPage, type XeroDeps } from './xero-contacts';

/**
 * Pulls one page of Xero contacts and hands the changed ones to the host, exactly once per page:
 * the mirror update, the webhook event and the page marker commit together, so a retried page
 * (worker crash after the commit) finds its marker and announces nothing twice.
 */

export interface PullPageInput {
  run: RunRef;
  mode: ContactSyncMode;
  /** If-Modified-Since; undefined pulls everything. */
  since?: string;
  page: number;
  pageSize: number;
}

export interface PullPageResult {
  /** Contacts on this page. */
  received: number;
  /** Contacts handed to the host (changed ones; all of them on an import). */
  reported: number;
  more: boolean;
  itemCount: number | null;
  /** Xero's clock when it answered this page (ISO). */
  serverTime: string | null;
}

export async function pullContactsPage(db: Db, xero: XeroDeps, input: PullPageInput): Promise<PullPageResult> {
  const { run } = input;
  const done = await pageMarker(db, run, input.page);
  if (done) return done;

  const account = await accountInfo(db, run.accountId);
  if (!account) throw new Error(`account ${run.accountId} no longer exists`);
  const page = await getContactsPage(xero, run.accountId, {
    since: input.since ? new Date(input.since) : undefined,
    page: input.page,
    pageSize: input.pageSize,
  });

  return db.transaction().execute(async (trx) => {
    const changed = await upsertMirror(trx, run.accountId, page.contacts);
    const toReport = input.mode === 'import' ? page.contacts : changed;
    if (toReport.length > 0) {
      await enqueueHostEvent(trx, {
        hostAppId: account.hostAppId,
        accountId: run.accountId,
        hostAccountId: account.hostAccountId,
        type: 'contacts.pulled',
        orderingKey: `contacts:${run.accountId}`,
        data: {
          reason: input.mode,
          runId: run.runKey,
          page: input.page,
          contacts: await toPulled(trx, run.accountId, toReport),
        },
      });
    }
    await releaseRestored(
      trx,
      run.accountId,
      changed.filter((c) => String(c.contactStatus) === 'ACTIVE').map((c) => c.contactID!),
    );
    const result: PullPageResult = {
      received: page.contacts.length,
      reported: toReport.length,
      more:
        page.itemCount !== null
          ? input.page * input.pageSize < page.itemCount
          : page.contacts.length === input.pageSize,
      itemCount: page.itemCount,
      serverTime: page.serverTime?.toISOString() ?? null,
    };
    await trx
      .insertInto('contact_pull_pages')
      .values({ account_id: run.accountId, run_key: run.runKey, page: input.page, result: JSON.stringify(result) })
      .execute();
    if (input.mode === 'import') {
      await trx
        .updateTable('contact_sync_state')
        .set({
          import_done: sql<number>`import_done + ${page.contacts.length}`,
          import_total: page.itemCount,
          updated_at: sql<Date>`now()`,
        })
        .where('account_id', '=', run.accountId)
        .where('import_run_key', '=', run.runKey)
        .execute();
    }
    return result;
  });
}

async function pageMarker(db: Db, run: RunRef, page: number): Promise<PullPageResult | undefined> {
  const row = await db
    .selectFrom('contact_pull_pages')
    .select('result')
    .where('account_id', '=', run.accountId)
    .where('run_key', '=', run.runKey)
    .where('page', '=', page)
    .executeTakeFirst();
  return row?.result as PullPageResult | undefined;
}

/** A Xero contact restored from the archive: its host contacts held back because of it may be pushed again. */
async function releaseRestored(db: Db, accountId: string, activeIds: string[]): Promise<void> {
  if (activeIds.length === 0) return;
  await db
    .updateTable('host_contacts')
    .set({ held_key: null, status: 'pending' })
    .where('account_id', '=', accountId)
    .where('status', '=', 'archived')
    .where('xero_contact_id', 'in', activeIds)
    .execute();
}
