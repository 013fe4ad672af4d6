import { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import type { ReferenceDataKind } from '../../src/db/schema-contact-sync';
import { hostContactBulkSchema, hostContactIdSchema, hostContactSchema } from '../../src/domain/contact';
import { hostContactState, storeHostContacts } from '../../src/contact-sync/host-contacts';
import { listMirror } from '../../src/contact-sync/mirror';
import { readReferenceData, REFERENCE_DATA_KINDS } from '../../src/contact-sync/reference-data';
import { describeContactSync, startContactImport, triggerContactSync } from '../../src/contact-sync/schedules';
import { connectionState, importProgress } from '../../src/contact-sync/runs';
import { friendlyFieldErrors, sendApiError } from '../api/errors';

/**
 * Contacts and reference data for hosts (mounted under /api/v1 behind the API-key check):
 *
 *   PUT  /accounts/{accountId}/contacts/{contactId}     a host contact (customer, supplier, contractor), stored for the next sync
 *   POST /accounts/{accountId}/contacts/bulk            up to 500 at once: {contacts: [{id, …}]}
 *   GET  /accounts/{accountId}/contacts/{contactId}     where its sync to Xero stands
 *   GET  /accounts/{accountId}/xero/contacts?since=&cursor=&limit=   Xero contacts changed since (for hosts that poll)
 *   POST /accounts/{accountId}/xero/contacts/import     "Import Xero customers": every Xero contact, once
 *   GET  /accounts/{accountId}/xero/{tax-rates|items|accounts|tracking-categories}
 *   GET  /accounts/{accountId}/contact-sync             the schedule, the last runs and the import's progress
 *   POST /accounts/{accountId}/contact-sync             run the contact sync now (skipped if one is running)
 */

export interface ContactsRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
}

const pollQuery = z.object({
  since: z.iso.datetime({ offset: true, error: 'expected an ISO date-time, e.g. 2026-01-31T00:00:00Z' }).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'use the nextCursor of the previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function contactsRouter(deps: ContactsRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/accounts/:accountId/contacts', deps.loadAccount);
  router.use('/accounts/:accountId/xero', deps.loadAccount);
  router.use('/accounts/:accountId/contact-sync', deps.loadAccount);
  const account = (res: Response) => res.locals.account as Account;

  router.post('/accounts/:accountId/contacts/bulk', async (req, res) => {
    const parsed = hostContactBulkSchema.safeParse(req.body);
    if (!parsed.success)
      return sendApiError(
        res,
        400,
        'invalid_contacts',
        'Some contacts are not valid; nothing was stored.',
        friendlyFieldErrors(parsed.error),
      );
    const badId = parsed.data.contacts.findIndex((c) => !hostContactIdSchema.safeParse(c.id).success);
    if (badId >= 0)
      return sendApiError(res, 400, 'invalid_contacts', 'Some contacts are not valid; nothing was stored.', {
        [`contacts.${badId}.id`]: 'letters, digits and . _ : @ - only',
      });
    const stored = await storeHostContacts(db, account(res).id, parsed.data.contacts);
    res.json({ contacts: stored });
  });

  router.put('/accounts/:accountId/contacts/:contactId', async (req, res) => {
    const id = hostContactIdSchema.safeParse(req.params.contactId);
    if (!id.success)
      return sendApiError(res, 400, 'invalid_contact_id', 'The contact id in the URL is not valid.', {
        contactId: id.error.issues[0]?.message ?? 'invalid',
      });
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return sendApiError(res, 400, 'invalid_request', 'Send the contact as a JSON object.');
    if (body.id !== undefined && body.id !== id.data)
      return sendApiError(res, 400, 'invalid_contact', 'The contact is not valid.', {
        id: 'must match the id in the URL (or be left out)',
      });
    const parsed = hostContactSchema.safeParse({ ...body, id: id.data });
    if (!parsed.success)
      return sendApiError(res, 400, 'invalid_contact', 'The contact is not valid.', friendlyFieldErrors(parsed.error));
    const [stored] = await storeHostContacts(db, account(res).id, [parsed.data]);
    res
      .status(stored!.result === 'created' ? 201 : 200)
      .json({ contact: { ...stored, sync: await hostContactState(db, account(res).id, id.data) } });
  });

  router.get('/accounts/:accountId/contacts/:contactId', async (req, res) => {
    const state = await hostContactState(db, account(res).id, String(req.params.contactId));
    if (!state)
      return sendApiError(res, 404, 'contact_not_found', 'No contact with this id was sent for this account.');
    res.json({ contact: state });
  });

  router.get('/accounts/:accountId/xero/contacts', async (req, res) => {
    const q = pollQuery.safeParse(req.query);
    if (!q.success)
      return sendApiError(res, 400, 'invalid_query', 'The query is not valid.', friendlyFieldErrors(q.error));
    const page = await listMirror(db, account(res).id, {
      since: q.data.since ? new Date(q.data.since) : undefined,
      cursor: q.data.cursor,
      limit: q.data.limit,
    });
    res.json(page);
  });

  router.post('/accounts/:accountId/xero/contacts/import', async (_req, res) => {
    if ((await connectionState(db, account(res).id)) !== 'active')
      return sendApiError(res, 409, 'not_connected', 'The account is not connected to Xero (or needs reconnecting).');
    const started = await startContactImport(deps.temporal, { accountId: account(res).id, taskQueue: deps.taskQueue });
    res.status(202).json({ workflowId: started.workflowId, progress: await importProgress(db, account(res).id) });
  });

  router.get('/accounts/:accountId/xero/:kind', async (req, res) => {
    const kind = String(req.params.kind);
    if (!(REFERENCE_DATA_KINDS as readonly string[]).includes(kind)) {
      return sendApiError(
        res,
        404,
        'not_found',
        `No such reference data; use one of: contacts, ${REFERENCE_DATA_KINDS.join(', ')}.`,
      );
    }
    res.json(await readReferenceData(db, account(res).id, kind as ReferenceDataKind));
  });

  router.get('/accounts/:accountId/contact-sync', async (_req, res) => {
    const id = account(res).id;
    const [schedule, runs, progress] = await Promise.all([
      describeContactSync(deps.temporal, id),
      db
        .selectFrom('contact_sync_runs')
        .select([
          'mode',
          'workflow_id',
          'started_at',
          'finished_at',
          'status',
          'pushed',
          'linked',
          'pulled',
          'failed',
          'skipped',
          'error',
        ])
        .where('account_id', '=', id)
        .orderBy('started_at', 'desc')
        .limit(10)
        .execute(),
      importProgress(db, id),
    ]);
    res.json({ schedule: schedule ?? null, runs, import: progress });
  });

  router.post('/accounts/:accountId/contact-sync', async (_req, res) => {
    const id = account(res).id;
    if (!(await describeContactSync(deps.temporal, id)))
      return sendApiError(
        res,
        409,
        'not_scheduled',
        'Contact sync is not scheduled for this account (connect it to Xero first).',
      );
    await triggerContactSync(deps.temporal, id);
    res.status(202).json({ triggered: true });
  });

  return router;
}
