import express, { Router, type RequestHandler, type Response } from 'express';
import type { Db } from '../../src/db/database';
import type { Account, SyncLogEntry } from '../../src/db/schema';
import {
  deliveriesQuery,
  hostWebhookView,
  listDeliveries,
  setHostWebhook,
  webhookConfigInput,
  webhookUrlProblems,
} from '../../src/host-webhooks/host-config';
import type { TokenCipher } from '../../src/security/token-cipher';
import { openFailures, type TemporalUi } from '../../src/sync-log/failures';
import { getSyncLogEntry, listSyncLog, syncLogQuerySchema } from '../../src/sync-log/query';
import { friendlyFieldErrors, sendApiError } from '../api/errors';
import { parseDocumentRef } from '../../src/documents/kinds';

/**
 * The host's view of what synced and what it heard (mounted under /api/v1 behind the API-key check):
 *
 *   GET    /accounts/{accountId}/sync-log?outcome=&kind=&orderNumber=&before=&limit=   newest first, paged
 *   GET    /accounts/{accountId}/sync-log/{id}                                        one entry, full error
 *   GET    /accounts/{accountId}/failures                                             open failures, in plain words
 *   GET    /webhook                                                                   the host app's webhook (never the secret)
 *   PUT    /webhook          {url, secret}                                            set it (secret stored encrypted; a
 *                                                                                    private address is a 400 unless allowed)
 *   DELETE /webhook                                                                   stop deliveries (events wait in the outbox)
 *   GET    /webhook/deliveries?status=pending|delivered&before=&limit=                recent events and their delivery
 */

export interface ApiSyncRouterDeps {
  db: Db;
  cipher: TokenCipher;
  temporalUi?: TemporalUi;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
  /** Accept webhook URLs on loopback and private addresses (OUTBOUND_ALLOW_PRIVATE_NETWORKS); default: 400. */
  allowPrivateNetworks?: boolean;
}

export function syncLogEntryView(e: SyncLogEntry) {
  return {
    id: String(e.id),
    at: e.created_at,
    kind: e.kind,
    action: e.action,
    // Orders keep `orderNumber`; other documents are named by kind and the host's id.
    ...(e.host_ref && parseDocumentRef(e.host_ref).kind !== 'order'
      ? { documentKind: parseDocumentRef(e.host_ref).kind, documentId: parseDocumentRef(e.host_ref).hostId }
      : { orderNumber: e.host_ref }),
    outcome: e.outcome,
    xeroId: e.xero_id,
    ...(e.xero_url ? { xeroUrl: e.xero_url } : {}),
    message: e.message,
    error: e.error,
    workflowId: e.workflow_id,
    runId: e.run_id,
  };
}

export function apiSyncRouter(deps: ApiSyncRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  const account = (res: Response) => res.locals.account as Account;
  const hostAppId = (res: Response) => res.locals.hostAppId as string;

  router.use('/accounts/:accountId/sync-log', deps.loadAccount);
  router.use('/accounts/:accountId/failures', deps.loadAccount);

  router.get('/accounts/:accountId/sync-log', async (req, res) => {
    const query = syncLogQuerySchema.safeParse(req.query);
    if (!query.success)
      return sendApiError(res, 400, 'invalid_query', 'Some filters are not valid.', friendlyFieldErrors(query.error));
    const page = await listSyncLog(db, account(res).id, query.data);
    res.json({
      entries: page.entries.map(syncLogEntryView),
      ...(page.nextBefore ? { nextBefore: page.nextBefore } : {}),
    });
  });

  router.get('/accounts/:accountId/sync-log/:entryId', async (req, res) => {
    const entry = await getSyncLogEntry(db, account(res).id, req.params.entryId as string);
    if (!entry) return sendApiError(res, 404, 'not_found', 'No such sync log entry for this account.');
    res.json(syncLogEntryView(entry));
  });

  router.get('/accounts/:accountId/failures', async (_req, res) => {
    const failures = await openFailures(db, account(res).id, deps.temporalUi);
    res.json({ failures: failures.map(({ todo, ...f }) => ({ ...f, whatToDo: todo })) });
  });

  router.get('/webhook', async (_req, res) => {
    res.json(await hostWebhookView(db, hostAppId(res)));
  });

  router.put('/webhook', express.json({ limit: '10kb' }), async (req, res) => {
    const input = webhookConfigInput.safeParse(req.body ?? {});
    if (!input.success)
      return sendApiError(res, 400, 'invalid_webhook', 'The webhook is not valid.', friendlyFieldErrors(input.error));
    const problems = await webhookUrlProblems(input.data, { allowPrivateNetworks: deps.allowPrivateNetworks === true });
    if (problems) return sendApiError(res, 400, 'invalid_webhook', 'The webhook is not valid.', problems);
    await setHostWebhook(db, deps.cipher, hostAppId(res), input.data);
    res.json(await hostWebhookView(db, hostAppId(res)));
  });

  router.delete('/webhook', async (_req, res) => {
    await setHostWebhook(db, deps.cipher, hostAppId(res), null);
    res.json(await hostWebhookView(db, hostAppId(res)));
  });

  router.get('/webhook/deliveries', async (req, res) => {
    const query = deliveriesQuery.safeParse(req.query);
    if (!query.success)
      return sendApiError(res, 400, 'invalid_query', 'Some filters are not valid.', friendlyFieldErrors(query.error));
    res.json(await listDeliveries(db, hostAppId(res), query.data));
  });

  return router;
}
