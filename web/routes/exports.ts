import { randomUUID } from 'node:crypto';
import { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { cancelExport } from '../../src/exports/cancel';
import { EXPORT_WORKFLOW_TYPE, exportWorkflowId, type ExportWorkflowInput } from '../../src/exports/messages';
import { exportRequestSchema, parseExportItems } from '../../src/exports/request';
import { retryFailedExportItems } from '../../src/exports/retry';
import { createExport, exportView, listExports } from '../../src/exports/store';
import { AccountIdKey } from '../../src/temporal/search-attributes';
import { exportPriority } from '../../src/temporal/priorities';
import { sendApiError } from '../api/errors';
import { parseBody } from '../api/host-event-request';

/**
 * Bulk exports (mounted under /api/v1 behind the API-key check):
 *
 *   POST /accounts/{accountId}/exports                      {documents: [{kind, id, approved, document}], notify?} → 202 {exportId}
 *   GET  /accounts/{accountId}/exports                      recent exports
 *   GET  /accounts/{accountId}/exports/{exportId}           progress: counts, each document's outcome, ETA
 *   POST /accounts/{accountId}/exports/{exportId}/cancel    what has not been sent is not sent
 *   POST /accounts/{accountId}/exports/{exportId}/retry     retry the documents that failed
 *
 * Each document is validated on its own: an invalid one or a draft is refused for that document.
 */

export interface ExportsRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  loadAccount: RequestHandler;
  /** Overrides for tests (wave size, polling). */
  workflowInput?: Partial<ExportWorkflowInput>;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function exportsRouter(deps: ExportsRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/accounts/:accountId/exports', deps.loadAccount);
  const account = (res: Response) => res.locals.account as Account;

  function exportIdFrom(param: unknown, res: Response): string | undefined {
    if (typeof param === 'string' && uuid.test(param)) return param.toLowerCase();
    sendApiError(res, 404, 'export_not_found', 'There is no such export for this account.');
    return undefined;
  }

  router.post('/accounts/:accountId/exports', async (req, res, next) => {
    try {
      const body = parseBody(exportRequestSchema, req.body, res);
      if (!body) return;
      const acc = account(res);
      const items = parseExportItems(body.documents);
      const exportId = randomUUID();
      await createExport(db, acc.id, exportId, items, body.notify);
      await deps.temporal.workflow.start(EXPORT_WORKFLOW_TYPE, {
        workflowId: exportWorkflowId(acc.id, exportId),
        taskQueue: deps.taskQueue,
        args: [{ accountId: acc.id, exportId, ...deps.workflowInput } satisfies ExportWorkflowInput],
        priority: exportPriority(acc.id),
        typedSearchAttributes: [{ key: AccountIdKey, value: acc.id }],
      });
      const refused = items.filter((i) => !i.ok);
      res.status(202).json({
        exportId,
        total: items.length,
        accepted: items.length - refused.length,
        refused: refused.map((i) => ({ kind: i.kind, id: i.id, reason: (i as { reason: string }).reason })),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/accounts/:accountId/exports', async (_req, res, next) => {
    try {
      const rows = await listExports(db, account(res).id);
      res.json({
        exports: rows.map((r) => ({
          exportId: r.id,
          status: r.status,
          total: r.total,
          createdAt: r.created_at.toISOString(),
          ...(r.completed_at ? { completedAt: r.completed_at.toISOString() } : {}),
          ...(r.sentence ? { sentence: r.sentence } : {}),
        })),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/accounts/:accountId/exports/:exportId', async (req, res, next) => {
    try {
      const exportId = exportIdFrom(req.params.exportId, res);
      if (!exportId) return;
      const view = await exportView(db, account(res).id, exportId);
      if (!view) return sendApiError(res, 404, 'export_not_found', 'There is no such export for this account.');
      res.json(view);
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:accountId/exports/:exportId/cancel', async (req, res, next) => {
    try {
      const exportId = exportIdFrom(req.params.exportId, res);
      if (!exportId) return;
      const result = await cancelExport(db, deps.temporal, account(res).id, exportId);
      if (!result) return sendApiError(res, 404, 'export_not_found', 'There is no such export for this account.');
      res.status(202).json({ exportId, cancelled: result.cancelled });
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:accountId/exports/:exportId/retry', async (req, res, next) => {
    try {
      const exportId = exportIdFrom(req.params.exportId, res);
      if (!exportId) return;
      const result = await retryFailedExportItems(db, deps.temporal, account(res).id, exportId);
      if (!result) return sendApiError(res, 404, 'export_not_found', 'There is no such export for this account.');
      res.status(202).json({ exportId, retried: result.retried });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
