import type { Request, RequestHandler, Response, Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import type { Logger } from '../../src/log';
import { importProgress, type ImportProgress } from '../../src/contact-sync/runs';
import { describeContactSync, startContactImport, triggerContactSync } from '../../src/contact-sync/schedules';

/**
 * The account page's "Xero contacts" card: "Import Xero customers" with its N-of-M progress
 * (re-runnable), "Sync contacts now", the last run's counts and the schedule's next run.
 */

export interface AdminContactsDeps {
  temporal: Client;
  /** The worker's task queue (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
}

export interface ContactsPagesContext extends AdminContactsDeps {
  db: Db;
  log: Logger;
  protect: RequestHandler;
  accountId(res: Response): string;
}

export interface ContactsSection {
  import: ImportProgress & { percent: number | null; label: string };
  lastRun: { when: string; status: string; summary: string } | null;
  schedule: { paused: boolean; note: string | null; intervalHours: number | null; next: string | null } | null;
}

const when = (d: Date | null) =>
  d
    ? `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(d)} UTC`
    : null;

export function importLabel(p: ImportProgress): string {
  if (p.status === null) return 'Not imported yet.';
  const of = p.total !== null ? `${p.done} of ${p.total}` : `${p.done}`;
  if (p.status === 'running') return `Importing… ${of} contacts`;
  if (p.status === 'failed') return `Import stopped after ${of} contacts: ${p.error ?? 'unknown error'}`;
  return `Imported ${of} contacts${p.finishedAt ? ` on ${when(p.finishedAt)}` : ''}.`;
}

export async function contactsSection(db: Db, temporal: Client, accountId: string): Promise<ContactsSection> {
  const [progress, run, schedule] = await Promise.all([
    importProgress(db, accountId),
    db
      .selectFrom('contact_sync_runs')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('mode', '=', 'sync')
      .where('finished_at', 'is not', null)
      .orderBy('started_at', 'desc')
      .executeTakeFirst(),
    describeContactSync(temporal, accountId).catch(() => undefined),
  ]);
  return {
    import: {
      ...progress,
      percent: progress.total ? Math.min(100, Math.round((progress.done / progress.total) * 100)) : null,
      label: importLabel(progress),
    },
    lastRun: run
      ? {
          when: when(run.finished_at)!,
          status: run.status,
          summary: `pushed ${run.pushed}, linked ${run.linked}, pulled ${run.pulled}, failed ${run.failed}${run.skipped ? `, skipped ${run.skipped}` : ''}`,
        }
      : null,
    schedule: schedule
      ? {
          paused: schedule.paused,
          note: schedule.note,
          intervalHours: schedule.intervalHours,
          next: when(schedule.nextRunAt),
        }
      : null,
  };
}

export function registerContactPages(admin: Router, ctx: ContactsPagesContext): void {
  const base = (accountId: string) => `/admin/accounts/${accountId}`;

  admin.post('/accounts/:accountId/contacts/import', ctx.protect, async (_req: Request, res: Response) => {
    const accountId = ctx.accountId(res);
    if ((res.locals.connection as { status: string }).status !== 'active')
      return res.redirect(303, `${base(accountId)}?notice=not_connected`);
    const started = await startContactImport(ctx.temporal, { accountId, taskQueue: ctx.taskQueue });
    ctx.log.info({ accountId, workflowId: started.workflowId }, 'admin started a Xero contacts import');
    res.redirect(303, `${base(accountId)}?notice=import_started#contacts`);
  });

  admin.post('/accounts/:accountId/contacts/sync', ctx.protect, async (_req: Request, res: Response) => {
    const accountId = ctx.accountId(res);
    if (!(await describeContactSync(ctx.temporal, accountId)))
      return res.redirect(303, `${base(accountId)}?notice=not_connected`);
    await triggerContactSync(ctx.temporal, accountId);
    res.redirect(303, `${base(accountId)}?notice=contact_sync_started#contacts`);
  });

  /** N of M as JSON (the account home polls it with the rest of its live parts: /assets/live-account.js). */
  admin.get('/accounts/:accountId/contacts/import-progress', async (_req: Request, res: Response) => {
    const p = await importProgress(ctx.db, ctx.accountId(res));
    res.json({ status: p.status, done: p.done, total: p.total, label: importLabel(p) });
  });
}
