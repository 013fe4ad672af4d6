import type { Request, RequestHandler, Response, Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import { documentLabel } from '../../src/documents/kinds';
import type { Logger } from '../../src/log';
import type { OrderEventReason } from '../../src/orders/messages';
import { DRIFT_ACTIONS, type DriftAction } from '../../src/xero-changes/contract';
import { resolveDrift } from '../../src/xero-changes/drift-actions';
import {
  driftListQuerySchema,
  getDrift,
  isDriftId,
  listDrifts,
  type DriftResolution,
  type DriftView,
} from '../../src/xero-changes/drift-queries';
import { reconciliationStatus, startReconciliation } from '../../src/xero-changes/reconciliation-schedules';
import type { ConnectionState } from '../../src/xero/connections';
import { renderPage } from '../views/render';
import type { Notice } from './notices';

/**
 * The admin's "Reconciliation" page: documents whose Xero copy differs from what the engine wrote
 * (an accountant's change, seen through Xero's webhooks or the scheduled reconciliation), what
 * differs in plain words, and per document *Send our version again* / *Accept Xero's* / *Ignore* —
 * handed to the document's own workflow, as the API does (src/xero-changes/drift-actions.ts).
 * "Reconcile now" starts a run. Registered on the admin router, behind its session (this account
 * only) and CSRF checks; another account's drift is 404.
 */

export interface ReconciliationPagesContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  protect: RequestHandler;
  page(req: Request, res: Response, extra?: object): object;
  accountId(res: Response): string;
}

const when = (d: Date | string) =>
  `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(d))} UTC`;
const time = (iso: string) => ({ iso, utc: when(iso) });

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const VIA_WORDS = { webhook: "Xero's notification", reconciliation: 'scheduled reconciliation' } as const;

export const RESOLUTION_WORDS: Record<DriftResolution, string> = {
  sent_ours: 'Our version sent again',
  accepted_xero: "Xero's version accepted",
  ignored: 'Ignored',
  overwritten: "Overwritten by your app's revision",
};

export const ACTION_LABELS: Record<DriftAction, string> = {
  send_ours: 'Send our version again',
  accept_xero: "Accept Xero's",
  ignore: 'Ignore',
};

const REASON_WORDS: Partial<Record<OrderEventReason, string>> = {
  duplicate: 'this was already done',
  stale: 'a newer change has arrived since',
  not_connected: 'the account is not connected to Xero',
  unknown_order: 'the engine has no record of this document',
  cancelled: 'the document was cancelled',
  removed: 'the document was removed',
  skipped: 'the document is not synced',
  invalid: "the document's sync could not take this action",
  no_drift: 'it has no open change from Xero to resolve',
};

export interface DriftRow {
  id: string;
  label: string;
  xeroNumber: string;
  xeroUrl: string;
  sentences: string[];
  detected: { iso: string; utc: string };
  updated: { iso: string; utc: string };
  via: string;
  status: 'open' | 'resolved';
  resolution: string;
  resolved?: { iso: string; utc: string };
}

export function driftRow(d: DriftView): DriftRow {
  return {
    id: d.id,
    label: capitalised(documentLabel(d.kind, d.documentId)),
    // Shown only when it says something the label does not (a prefix, Xero's own numbering).
    xeroNumber: d.xeroNumber && d.xeroNumber !== d.documentId ? d.xeroNumber : '',
    // Only Xero's own https deep links become links.
    xeroUrl: d.xeroUrl && /^https:\/\//.test(d.xeroUrl) ? d.xeroUrl : '',
    sentences: d.summary,
    detected: time(d.detectedAt),
    updated: time(d.updatedAt),
    via: VIA_WORDS[d.via] ?? d.via,
    status: d.status,
    resolution: d.resolution ? RESOLUTION_WORDS[d.resolution] : '',
    ...(d.resolvedAt ? { resolved: time(d.resolvedAt) } : {}),
  };
}

type RunStatus = Awaited<ReturnType<typeof reconciliationStatus>>;

const TRIGGER_WORDS = { schedule: 'scheduled', manual: 'started from this page', api: 'started by your app' } as const;

/** The last run and the next one, in words. */
export function runModel(s: RunStatus) {
  const last = s.lastRun;
  const counts = (last?.counts ?? {}) as Record<string, unknown>;
  const n = (k: string) => (typeof counts[k] === 'number' ? (counts[k] as number) : undefined);
  const read = [
    n('documentsRead') !== undefined
      ? `${n('documentsRead')} ${n('documentsRead') === 1 ? 'document' : 'documents'}`
      : '',
    n('paymentsRead') !== undefined ? `${n('paymentsRead')} ${n('paymentsRead') === 1 ? 'payment' : 'payments'}` : '',
  ].filter(Boolean);
  const trigger = last && 'trigger' in last ? (last as { trigger: keyof typeof TRIGGER_WORDS }).trigger : undefined;
  return {
    running: s.running,
    last: last
      ? {
          started: time(last.startedAt),
          finished: last.finishedAt ? time(last.finishedAt) : undefined,
          status: last.status,
          statusWords: last.status === 'completed' ? 'finished' : last.status === 'failed' ? 'failed' : 'still running',
          readWords: read.length > 0 ? `${read.join(' and ')} read from Xero` : '',
          error: typeof counts.error === 'string' ? counts.error : '',
          trigger: trigger ? (TRIGGER_WORDS[trigger] ?? '') : '',
        }
      : undefined,
    next: s.nextRunAt ? time(s.nextRunAt) : undefined,
  };
}

/** Notices after this page's forms: a code and the drift's id in the URL, the words from here. */
async function reconciliationNotice(
  db: Db,
  accountId: string,
  query: Record<string, unknown>,
): Promise<Notice | undefined> {
  const drift = isDriftId(query.drift) ? await getDrift(db, accountId, query.drift) : undefined;
  const label = drift ? capitalised(documentLabel(drift.kind, drift.documentId)) : 'The document';
  const reason =
    typeof query.reason === 'string' && Object.hasOwn(REASON_WORDS, query.reason)
      ? REASON_WORDS[query.reason as OrderEventReason]
      : 'its sync did not apply it';
  const done = drift?.status === 'resolved';
  switch (query.notice) {
    case 'drift_send_ours':
      return {
        tone: 'ok',
        text: done
          ? `${label}: our version was sent to Xero again.`
          : `${label}: our version is being sent to Xero again. It moves to the resolved list once Xero has it; if Xero refuses it, the reason is listed under sync failures.`,
      };
    case 'drift_accept_xero':
      return {
        tone: 'ok',
        text: `${label}: Xero's version is accepted. The engine takes what Xero has as the document's current state.`,
      };
    case 'drift_ignore':
      return { tone: 'ok', text: `${label}: ignored. Xero keeps its version and nothing is sent.` };
    case 'drift_not_applied':
      return { tone: 'warning', text: `Nothing was changed for ${drift ? label : 'the document'}: ${reason}.` };
    case 'drift_resolved':
      return { tone: 'warning', text: `${label} was already resolved; nothing was changed.` };
    case 'drift_not_connected':
      return { tone: 'warning', text: 'Nothing was changed: this account is not connected to Xero.' };
    case 'reconcile_started':
      return {
        tone: 'ok',
        text: 'Reconciliation started: it reads what changed in Xero since the last run. New differences show here when it has finished (reload the page).',
      };
    case 'reconcile_running':
      return {
        tone: 'ok',
        text: 'A reconciliation is already running; its results show here when it has finished.',
      };
    case 'reconcile_not_connected':
      return { tone: 'warning', text: 'Connect to Xero first: there is nothing to reconcile.' };
    default:
      return undefined;
  }
}

export function registerReconciliationPages(admin: Router, ctx: ReconciliationPagesContext): void {
  const base = (accountId: string) => `/admin/accounts/${accountId}/reconciliation`;

  admin.get('/accounts/:accountId/reconciliation', async (req, res) => {
    const accountId = ctx.accountId(res);
    const q = driftListQuerySchema.safeParse(req.query);
    const query = q.success ? q.data : driftListQuerySchema.parse({});
    // The default view: open drifts, with the most recent resolved ones below them.
    const onlyResolved = query.status === 'resolved';
    const [open, resolved, status, notice] = await Promise.all([
      onlyResolved ? undefined : listDrifts(ctx.db, accountId, { ...query, status: 'open' }),
      listDrifts(ctx.db, accountId, onlyResolved ? query : { status: 'resolved', limit: 20, offset: 0 }),
      reconciliationStatus(ctx.db, ctx.temporal, accountId),
      reconciliationNotice(ctx.db, accountId, req.query as Record<string, unknown>),
    ]);
    const connection = res.locals.connection as ConnectionState;
    renderPage(
      res,
      'reconciliation',
      ctx.page(req, res, {
        title: 'Reconciliation',
        nav: 'reconciliation',
        ...(notice ? { notice } : {}),
        selfUrl: base(accountId),
        onlyResolved,
        canRun: connection.status === 'active',
        actions: DRIFT_ACTIONS.map((a) => ({ value: a, label: ACTION_LABELS[a] })),
        open: open && {
          total: open.total,
          rows: open.drifts.map(driftRow),
          nextUrl: open.nextOffset !== undefined ? `${base(accountId)}?offset=${open.nextOffset}` : '',
        },
        resolved: {
          total: resolved.total,
          rows: resolved.drifts.map(driftRow),
          moreUrl: onlyResolved
            ? resolved.nextOffset !== undefined
              ? `${base(accountId)}?status=resolved&offset=${resolved.nextOffset}`
              : ''
            : resolved.total > resolved.drifts.length
              ? `${base(accountId)}?status=resolved`
              : '',
        },
        run: runModel(status),
      }),
    );
  });

  admin.post('/accounts/:accountId/reconciliation/run', ctx.protect, async (req, res) => {
    const accountId = ctx.accountId(res);
    if ((res.locals.connection as ConnectionState).status !== 'active')
      return res.redirect(303, `${base(accountId)}?notice=reconcile_not_connected`);
    const run = await startReconciliation(ctx.temporal, ctx.taskQueue, accountId, 'manual', ctx.db);
    ctx.log.info({ accountId, alreadyRunning: run.alreadyRunning }, 'admin started a reconciliation');
    res.redirect(303, `${base(accountId)}?notice=${run.alreadyRunning ? 'reconcile_running' : 'reconcile_started'}`);
  });

  admin.post('/accounts/:accountId/reconciliation/:driftId/actions', ctx.protect, async (req, res) => {
    const accountId = ctx.accountId(res);
    const action = (DRIFT_ACTIONS as readonly string[]).includes(req.body?.action)
      ? (req.body.action as DriftAction)
      : undefined;
    const outcome = action
      ? await resolveDrift(ctx.db, ctx.temporal, ctx.taskQueue, accountId, req.params.driftId as string, action)
      : undefined;
    if (!outcome || outcome.kind === 'not_found')
      return renderPage(
        res,
        'message',
        ctx.page(req, res, {
          title: 'Not found',
          heading: action ? 'Difference not found' : 'Choose an action',
          text: action
            ? 'This difference does not exist for this account, so nothing was changed.'
            : `Use one of the buttons: ${DRIFT_ACTIONS.map((a) => ACTION_LABELS[a]).join(', ')}.`,
          backUrl: base(accountId),
          backLabel: 'Back to reconciliation',
        }),
        action ? 404 : 400,
      );
    const driftId = outcome.drift.id;
    if (outcome.kind === 'already_resolved')
      return res.redirect(303, `${base(accountId)}?notice=drift_resolved&drift=${driftId}`);
    ctx.log.info(
      { accountId, driftId, action, applied: outcome.applied, reason: outcome.reason },
      'admin resolved a drift',
    );
    if (outcome.applied) return res.redirect(303, `${base(accountId)}?notice=drift_${action}&drift=${driftId}`);
    if (outcome.reason === 'not_connected')
      return res.redirect(303, `${base(accountId)}?notice=drift_not_connected&drift=${driftId}`);
    res.redirect(
      303,
      `${base(accountId)}?notice=drift_not_applied&drift=${driftId}${outcome.reason ? `&reason=${outcome.reason}` : ''}`,
    );
  });
}
