import type { Request, RequestHandler, Response, Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import type { SyncLogEntry } from '../../src/db/schema';
import type { Logger } from '../../src/log';
import { loadSettings } from '../../src/settings/store';
import {
  describeFailure,
  openFailures,
  retryOpenFailures,
  temporalWorkflowUrl,
  type OpenFailure,
  type TemporalUi,
} from '../../src/sync-log/failures';
import { getSyncLogEntry, listSyncLog, syncLogQuerySchema } from '../../src/sync-log/query';
import { renderPage } from '../views/render';
import { displayRef } from '../../src/documents/kinds';
import { importProgress } from '../../src/contact-sync/runs';
import { connectionState } from '../../src/xero/connections';
import { importLabel } from './contacts-pages';
import { accountDashboard, recentEntry, timeView, type TimeView } from './dashboard';
import { renderFragment } from './fragments';
import { budgetSection } from './budget-card';
import type { BudgetLimits } from '../../src/xero/budget';
import { XERO_LIMITS } from '../../src/xero/rate-limiter';

/**
 * The admin's view of syncing: the failures section of the account's home page (with Retry and
 * Retry all, which send the order workflow its `retry` signal), and the "Sync log" page with its
 * detail view. Registered on the admin router, behind its session and CSRF checks.
 */

export interface AdminSyncDeps {
  temporal: Client;
  /** Links to the workflow in the Temporal Web UI, when one is known. */
  temporalUi?: TemporalUi;
}

export interface SyncPagesContext extends AdminSyncDeps {
  db: Db;
  log: Logger;
  /** The admin router's CSRF check for POSTs. */
  protect: RequestHandler;
  /** The layout's common model (account, connection, CSRF token, notice) plus `extra`. */
  page(req: Request, res: Response, extra?: object): object;
  accountId(res: Response): string;
  /** The limits the workers' limiter applies, for the Xero budget panel. */
  xeroLimits?: BudgetLimits;
}

const KINDS = ['invoice', 'payment', 'attachment', 'contact', 'contact_sync'];
const when = (d: Date) =>
  `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(d)} UTC`;
const WHAT: Record<string, string> = {
  invoice: 'Invoice',
  payment: 'Payment',
  attachment: 'Order PDF',
  contact: 'Contact',
  contact_sync: 'Contact sync',
};

/** The failures section of the home page. */
export async function failuresSection(
  db: Db,
  accountId: string,
  ui?: TemporalUi,
): Promise<Array<OpenFailure & { when: string; time: TimeView; what: string }>> {
  return (await openFailures(db, accountId, ui)).map((f) => ({
    ...f,
    when: when(f.at),
    time: timeView(f.at),
    what: `${WHAT[f.kind] ?? f.kind} ${f.action}`,
  }));
}

export function registerSyncPages(admin: Router, ctx: SyncPagesContext): void {
  const base = (accountId: string) => `/admin/accounts/${accountId}`;

  admin.post('/accounts/:accountId/failures/retry', ctx.protect, async (req, res) => {
    const accountId = ctx.accountId(res);
    const workflowId = typeof req.body.workflowId === 'string' ? req.body.workflowId : '';
    const result = await retryOpenFailures(ctx.db, ctx.temporal, accountId, [workflowId]);
    ctx.log.info({ accountId, workflowId, ...result }, 'admin retried a failed sync');
    res.redirect(
      303,
      `${base(accountId)}?notice=${result.sent.length > 0 ? 'retry_sent' : result.ended.length > 0 ? 'retry_ended' : 'retry_nothing'}#failures`,
    );
  });

  admin.post('/accounts/:accountId/failures/retry-all', ctx.protect, async (_req, res) => {
    const accountId = ctx.accountId(res);
    const result = await retryOpenFailures(ctx.db, ctx.temporal, accountId);
    ctx.log.info({ accountId, sent: result.sent.length, ended: result.ended.length }, 'admin retried all failed syncs');
    res.redirect(
      303,
      `${base(accountId)}?notice=${result.sent.length > 0 ? 'retry_all_sent' : 'retry_nothing'}#failures`,
    );
  });

  /**
   * The account home's live parts, polled by /assets/live-account.js every few seconds: the health
   * line, the Xero budget, the failures section and the newest sync log entries (each rendered by the same partial
   * as the page, with a key that changes when its content does), and the contacts import's N of M.
   */
  admin.get('/accounts/:accountId/live', async (req, res) => {
    const accountId = ctx.accountId(res);
    const connection = await connectionState(ctx.db, accountId);
    const failures = await failuresSection(ctx.db, accountId, ctx.temporalUi);
    const [dashboard, progress, budget] = await Promise.all([
      accountDashboard(ctx.db, accountId, connection, failures.length, ctx.temporalUi),
      importProgress(ctx.db, accountId),
      budgetSection(ctx.db, accountId, connection, ctx.xeroLimits ?? XERO_LIMITS),
    ]);
    const model = { ...ctx.page(req, res), connection, failures, dashboard, budget };
    res.set('Cache-Control', 'no-store');
    res.json({
      failures: {
        count: failures.length,
        key: failures.map((f) => f.id).join(','),
        html: renderFragment('_failures', model),
      },
      health: { state: dashboard.health.state, key: dashboard.healthKey, html: renderFragment('_health', model) },
      budget: budget ? { key: budget.key, html: renderFragment('_budget', model) } : null,
      recent: {
        key: dashboard.recent.map((e) => `${e.id}:${e.xeroUrl}`).join(','),
        html: renderFragment('_recent', model),
      },
      import: {
        status: progress.status,
        done: progress.done,
        total: progress.total,
        label: importLabel(progress),
      },
    });
  });

  /** The sync log's newest entries after `after` (an id), with the page's filters: polled by /assets/live-log.js. */
  admin.get('/accounts/:accountId/sync-log/head', async (req, res) => {
    const accountId = ctx.accountId(res);
    const raw = Object.fromEntries(
      Object.entries(req.query).filter(([k, v]) => k !== 'after' && typeof v === 'string' && v.trim() !== ''),
    ) as Record<string, string>;
    const parsed = syncLogQuerySchema.safeParse({ ...raw, limit: '50' });
    const after = typeof req.query.after === 'string' && /^\d{1,18}$/.test(req.query.after) ? req.query.after : '0';
    res.set('Cache-Control', 'no-store');
    if (!parsed.success || parsed.data.before !== undefined) return res.status(400).json({ entries: [] });
    const page = await listSyncLog(ctx.db, accountId, parsed.data);
    const entries = page.entries
      .filter((e) => BigInt(e.id) > BigInt(after))
      .map((e) => {
        const r = recentEntry(accountId, e);
        return {
          id: r.id,
          iso: r.at.iso,
          when: when(e.created_at),
          what: r.what,
          document: r.document,
          outcome: r.outcome,
          outcomeLabel: r.outcomeLabel,
          message: r.message,
          xeroUrl: r.xeroUrl,
          url: r.url,
        };
      });
    res.json({ entries });
  });

  admin.get('/accounts/:accountId/sync-log', async (req, res) => {
    const accountId = ctx.accountId(res);
    const raw = Object.fromEntries(
      Object.entries(req.query).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
    ) as Record<string, string>;
    const parsed = syncLogQuerySchema.safeParse(raw);
    const filters = { outcome: raw.outcome ?? '', kind: raw.kind ?? '', orderNumber: raw.orderNumber ?? '' };
    if (!parsed.success) {
      const error =
        'These filters are not valid: ' +
        parsed.error.issues.map((i) => String(i.path[0])).join(', ') +
        '. Showing nothing.';
      return renderPage(
        res,
        'sync-log',
        ctx.page(req, res, { title: 'Sync log', nav: 'sync-log', filters, kinds: KINDS, entries: [], error }),
        400,
      );
    }
    const page = await listSyncLog(ctx.db, accountId, parsed.data);
    const keep = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
    const olderUrl = page.nextBefore
      ? `${base(accountId)}/sync-log?${new URLSearchParams([...keep, ['before', page.nextBefore]])}`
      : undefined;
    const entries = page.entries.map((e) => ({ ...entryRow(e), url: `${base(accountId)}/sync-log/${e.id}` }));
    renderPage(
      res,
      'sync-log',
      ctx.page(req, res, {
        title: 'Sync log',
        nav: 'sync-log',
        filters,
        kinds: KINDS,
        entries,
        olderUrl,
        firstPage: parsed.data.before === undefined,
        firstUrl: `${base(accountId)}/sync-log?${keep}`,
      }),
    );
  });

  admin.get('/accounts/:accountId/sync-log/:entryId', async (req, res) => {
    const accountId = ctx.accountId(res);
    const entry = await getSyncLogEntry(ctx.db, accountId, req.params.entryId as string);
    if (!entry) {
      return renderPage(
        res,
        'message',
        ctx.page(req, res, {
          title: 'Not found',
          heading: 'Entry not found',
          text: 'This sync log entry does not exist for this account.',
          backUrl: `${base(accountId)}/sync-log`,
          backLabel: 'Back to the sync log',
        }),
        404,
      );
    }
    const explained =
      entry.outcome === 'failure' ? describeFailure(entry, await loadSettings(ctx.db, accountId)) : undefined;
    renderPage(
      res,
      'sync-log-entry',
      ctx.page(req, res, {
        title: 'Sync log entry',
        nav: 'sync-log',
        entry: entryRow(entry),
        explained,
        errorJson: entry.error ? JSON.stringify(entry.error, null, 2) : '',
        temporalUrl:
          ctx.temporalUi && entry.workflow_id ? temporalWorkflowUrl(ctx.temporalUi, entry.workflow_id) : undefined,
        backUrl: `${base(accountId)}/sync-log`,
      }),
    );
  });
}

function entryRow(e: SyncLogEntry) {
  return {
    id: String(e.id),
    when: when(e.created_at),
    iso: e.created_at.toISOString(),
    what: WHAT[e.kind] ?? e.kind,
    kind: e.kind,
    action: e.action,
    orderNumber: e.host_ref ? displayRef(e.host_ref) : '',
    outcome: e.outcome,
    xeroId: e.xero_id ?? '',
    xeroUrl: e.xero_url ?? '',
    message: e.message ?? '',
    workflowId: e.workflow_id ?? '',
    runId: e.run_id ?? '',
  };
}
