import type { Request, RequestHandler, Response, Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import type { Logger } from '../../src/log';
import { cancelExport } from '../../src/exports/cancel';
import type { ItemOutcome } from '../../src/exports/progress';
import { retryFailedExportItems } from '../../src/exports/retry';
import { exportView, listExports, type ExportView } from '../../src/exports/store';
import { XERO_LIMITS } from '../../src/xero/rate-limiter';
import type { Notice } from './notices';
import { renderPage } from '../views/render';

/**
 * The admin's "Exports" pages: the account's recent bulk exports, and one export's page with its
 * progress (a bar, N of M, the time left in words, the sentence, counts and every document's
 * outcome). While an export runs, /assets/export-progress.js polls `…/progress` (the same model as
 * JSON) and updates the page in place. "Retry failed documents" and "Cancel export" do what the host
 * API's retry and cancel do (src/exports/retry.ts, src/exports/cancel.ts). Registered on the admin
 * router, behind its session (this account only) and CSRF checks; another account's export is 404.
 */

export interface ExportsPagesContext {
  db: Db;
  temporal: Client;
  log: Logger;
  /** The admin router's CSRF check for POSTs. */
  protect: RequestHandler;
  /** The layout's common model (account, connection, CSRF token, notice) plus `extra`. */
  page(req: Request, res: Response, extra?: object): object;
  accountId(res: Response): string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const when = (d: Date | string) =>
  `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(d))} UTC`;

const KIND_LABELS: Record<string, string> = { invoice: 'Invoice', bill: 'Bill', credit_note: 'Credit note' };
const OUTCOME_LABELS: Record<ItemOutcome, string> = {
  pending: 'Waiting',
  exported: 'In Xero',
  refused: 'Not exported',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const STATUS_LABELS: Record<ExportView['status'], string> = {
  running: 'Running',
  completed: 'Finished',
  cancelled: 'Cancelled',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "Less than a minute left", "About 12 minutes left", "About 3 hours left", "About 2 days left". */
export function etaWords(seconds: number): string {
  if (seconds <= 0) return 'Almost done';
  if (seconds < 60) return 'Less than a minute left';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `About ${plural(minutes, 'minute')} left`;
  const hours = Math.round(seconds / 3600);
  if (hours < 48) return `About ${plural(hours, 'hour')} left`;
  return `About ${plural(Math.round(seconds / 86_400), 'day')} left`;
}

export const NEXT_DAY_TEXT = `It continues tomorrow: Xero allows ${XERO_LIMITS.perDay.toLocaleString('en')} calls a day.`;

export interface ExportItemRow {
  kind: string;
  kindLabel: string;
  id: string;
  outcome: ItemOutcome;
  outcomeLabel: string;
  reason: string;
  xeroUrl: string;
}

/** What the export page shows, and what its script receives as JSON every poll. */
export interface ExportPageModel {
  exportId: string;
  status: ExportView['status'];
  statusLabel: string;
  running: boolean;
  total: number;
  /** Settled one way or another: exported, refused, failed or cancelled. */
  done: number;
  /** "N of M". */
  progressText: string;
  /** Time left in words while running, else empty. */
  etaText: string;
  continuesNextDay: boolean;
  nextDayText: string;
  sentence: string;
  counts: { exported: number; refused: number; drafts: number; failed: number; pending: number; cancelled: number };
  createdAt: string;
  completedAt: string;
  canRetry: boolean;
  canCancel: boolean;
  items: ExportItemRow[];
}

/** Only Xero's own https deep links become links. */
const safeUrl = (url: string | undefined) => (url && /^https:\/\//.test(url) ? url : '');

export function exportPageModel(view: ExportView): ExportPageModel {
  const done = view.exported + view.refused + view.failed + view.cancelled;
  const running = view.status === 'running';
  return {
    exportId: view.exportId,
    status: view.status,
    statusLabel: STATUS_LABELS[view.status],
    running,
    total: view.total,
    done,
    progressText: `${done.toLocaleString('en')} of ${view.total.toLocaleString('en')}`,
    etaText: running ? etaWords(view.etaSeconds) : '',
    continuesNextDay: running && view.continuesNextDay,
    nextDayText: NEXT_DAY_TEXT,
    sentence: view.sentence,
    counts: {
      exported: view.exported,
      refused: view.refused,
      drafts: view.drafts,
      failed: view.failed,
      pending: view.pending,
      cancelled: view.cancelled,
    },
    createdAt: when(view.createdAt),
    completedAt: view.completedAt ? when(view.completedAt) : '',
    canRetry: view.failed > 0,
    canCancel: running,
    items: view.items.map((i) => ({
      kind: i.kind,
      kindLabel: KIND_LABELS[i.kind] ?? i.kind,
      id: i.id,
      outcome: i.outcome,
      outcomeLabel: OUTCOME_LABELS[i.outcome],
      reason: i.reason ?? '',
      xeroUrl: safeUrl(i.xeroUrl),
    })),
  };
}

/** Notices after this page's own forms (codes only in the URL, as in ./notices.ts). */
function exportNotice(query: Record<string, unknown>): Notice | undefined {
  const n = typeof query.n === 'string' && /^\d{1,6}$/.test(query.n) ? Number(query.n) : 0;
  switch (query.notice) {
    case 'export_retry_sent':
      return {
        tone: 'ok',
        text: `Retry started for ${plural(n, 'failed document')}. Each shows as in Xero as soon as it goes through; if it fails again, its reason is shown again.`,
      };
    case 'export_retry_nothing':
      return { tone: 'ok', text: 'Nothing to retry: no document of this export is failing now.' };
    case 'export_cancelled':
      return {
        tone: 'ok',
        text: `Export cancelled: ${plural(n, 'document')} not yet sent will not be sent. Documents already sent to Xero stay there.`,
      };
    default:
      return undefined;
  }
}

export function registerExportPages(admin: Router, ctx: ExportsPagesContext): void {
  const base = (accountId: string) => `/admin/accounts/${accountId}/exports`;

  const notFound = (req: Request, res: Response, accountId: string) =>
    renderPage(
      res,
      'message',
      ctx.page(req, res, {
        title: 'Not found',
        heading: 'Export not found',
        text: 'This export does not exist for this account.',
        backUrl: base(accountId),
        backLabel: 'Back to exports',
      }),
      404,
    );

  const exportIdOf = (req: Request) => {
    const id = req.params.exportId;
    return typeof id === 'string' && uuid.test(id) ? id.toLowerCase() : undefined;
  };

  admin.get('/accounts/:accountId/exports', async (req, res) => {
    const accountId = ctx.accountId(res);
    const rows = await listExports(ctx.db, accountId);
    const exports = await Promise.all(
      rows.map(async (r) => {
        let summary = r.sentence ?? '';
        if (!r.sentence) {
          // Running (or finished without its sentence yet): how far it has got.
          const view = await exportView(ctx.db, accountId, r.id);
          const m = view && exportPageModel(view);
          summary = m ? `${m.progressText} so far` : '';
        }
        return {
          id: r.id,
          url: `${base(accountId)}/${r.id}`,
          created: when(r.created_at),
          status: r.status,
          statusLabel: STATUS_LABELS[r.status],
          total: r.total,
          summary,
        };
      }),
    );
    renderPage(res, 'exports', ctx.page(req, res, { title: 'Exports', nav: 'exports', exports }));
  });

  admin.get('/accounts/:accountId/exports/:exportId', async (req, res) => {
    const accountId = ctx.accountId(res);
    const exportId = exportIdOf(req);
    const view = exportId ? await exportView(ctx.db, accountId, exportId) : undefined;
    if (!view) return notFound(req, res, accountId);
    renderPage(
      res,
      'export',
      ctx.page(req, res, {
        title: 'Export',
        nav: 'exports',
        notice: exportNotice(req.query as Record<string, unknown>),
        exp: exportPageModel(view),
        listUrl: base(accountId),
        selfUrl: `${base(accountId)}/${view.exportId}`,
      }),
    );
  });

  /** Polled by /assets/export-progress.js while the export runs. */
  admin.get('/accounts/:accountId/exports/:exportId/progress', async (req, res) => {
    const accountId = ctx.accountId(res);
    const exportId = exportIdOf(req);
    const view = exportId ? await exportView(ctx.db, accountId, exportId) : undefined;
    if (!view) return res.status(404).json({ error: 'export_not_found', message: 'There is no such export.' });
    res.json(exportPageModel(view));
  });

  admin.post('/accounts/:accountId/exports/:exportId/retry', ctx.protect, async (req, res) => {
    const accountId = ctx.accountId(res);
    const exportId = exportIdOf(req);
    const result = exportId ? await retryFailedExportItems(ctx.db, ctx.temporal, accountId, exportId) : undefined;
    if (!result) return notFound(req, res, accountId);
    ctx.log.info({ accountId, exportId, retried: result.retried.length }, 'admin retried failed export documents');
    const n = result.retried.length;
    res.redirect(
      303,
      `${base(accountId)}/${exportId}?notice=${n > 0 ? `export_retry_sent&n=${n}` : 'export_retry_nothing'}`,
    );
  });

  admin.post('/accounts/:accountId/exports/:exportId/cancel', ctx.protect, async (req, res) => {
    const accountId = ctx.accountId(res);
    const exportId = exportIdOf(req);
    const result = exportId ? await cancelExport(ctx.db, ctx.temporal, accountId, exportId) : undefined;
    if (!result) return notFound(req, res, accountId);
    ctx.log.info({ accountId, exportId, cancelled: result.cancelled }, 'admin cancelled an export');
    res.redirect(303, `${base(accountId)}/${exportId}?notice=export_cancelled&n=${result.cancelled}`);
  });
}
