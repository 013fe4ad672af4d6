import { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { DRIFT_ACTIONS } from '../../src/xero-changes/contract';
import { resolveDrift } from '../../src/xero-changes/drift-actions';
import { countOpenDrifts, driftListQuerySchema, listDrifts } from '../../src/xero-changes/drift-queries';
import { reconciliationStatus, startReconciliation } from '../../src/xero-changes/reconciliation-schedules';
import { connectionState } from '../../src/xero/connections';
import { friendlyFieldErrors, sendApiError } from '../api/errors';
import { parseBody } from '../api/host-event-request';

/**
 * Changes made in Xero, for the host (mounted under /api/v1 behind the API-key check):
 *
 *   GET  /accounts/{accountId}/reconciliation?status=open|resolved|all&limit=&offset=
 *        → {open, total, drifts: [...], nextOffset?, lastRun?, nextRunAt?, running}
 *   POST /accounts/{accountId}/reconciliation/{driftId}/actions   {action: send_ours|accept_xero|ignore}
 *        → 202 applied / 200 `applied: false` with the workflow's reason; 404 another account's drift;
 *          409 already resolved or not connected
 *   POST /accounts/{accountId}/reconciliation/run                 "Reconcile now" → 202 {workflowId, alreadyRunning}
 *
 * The same operations as the admin's Reconciliation page (web/admin/reconciliation-pages.ts).
 */

export interface ReconciliationRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  loadAccount: RequestHandler;
}

const actionSchema = z.strictObject({ action: z.enum(DRIFT_ACTIONS) });
const runSchema = z.strictObject({});

export function reconciliationRouter(deps: ReconciliationRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/accounts/:accountId/reconciliation', deps.loadAccount);
  const account = (res: Response) => res.locals.account as Account;

  router.get('/accounts/:accountId/reconciliation', async (req, res, next) => {
    try {
      const query = driftListQuerySchema.safeParse(req.query);
      if (!query.success)
        return sendApiError(res, 400, 'invalid_query', 'Some filters are not valid.', friendlyFieldErrors(query.error));
      const acc = account(res);
      const [page, open, status] = await Promise.all([
        listDrifts(db, acc.id, query.data),
        countOpenDrifts(db, acc.id),
        reconciliationStatus(db, deps.temporal, acc.id),
      ]);
      res.json({ open, ...page, ...status });
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:accountId/reconciliation/run', async (req, res, next) => {
    try {
      if (!parseBody(runSchema, req.body, res)) return;
      const acc = account(res);
      if ((await connectionState(db, acc.id)).status !== 'active')
        return sendApiError(
          res,
          409,
          'not_connected',
          'This account is not connected to Xero (or the connection needs reconnecting): there is nothing to reconcile.',
        );
      const run = await startReconciliation(deps.temporal, deps.taskQueue, acc.id, 'api', db);
      res.status(202).json(run);
    } catch (err) {
      next(err);
    }
  });

  router.post('/accounts/:accountId/reconciliation/:driftId/actions', async (req, res, next) => {
    try {
      const body = parseBody(actionSchema, req.body, res);
      if (!body) return;
      const acc = account(res);
      const outcome = await resolveDrift(
        db,
        deps.temporal,
        deps.taskQueue,
        acc.id,
        req.params.driftId as string,
        body.action,
      );
      if (outcome.kind === 'not_found')
        return sendApiError(res, 404, 'drift_not_found', 'There is no such drift for this account.');
      if (outcome.kind === 'already_resolved')
        return sendApiError(
          res,
          409,
          'drift_resolved',
          `This drift was already resolved (${outcome.drift.resolution ?? 'resolved'}); nothing was changed.`,
        );
      if (!outcome.applied && outcome.reason === 'not_connected')
        return sendApiError(res, 409, 'not_connected', outcome.message ?? 'not connected to Xero');
      res.status(outcome.applied ? 202 : 200).json({
        driftId: outcome.drift.id,
        action: body.action,
        applied: outcome.applied,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.message ? { message: outcome.message } : {}),
        workflowId: outcome.workflowId,
        drift: outcome.drift,
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
