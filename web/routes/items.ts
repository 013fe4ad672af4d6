import { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import { hostItemSchema, itemCodeKey, itemCodeSchema, MAX_BULK_ITEMS, type HostItem } from '../../src/domain/item';
import { hostItemCounts, hostItemState, listHostItems, storeHostItems } from '../../src/items/host-items';
import { requestItemPush } from '../../src/items/request';
import { connectionState } from '../../src/contact-sync/runs';
import { friendlyFieldErrors, sendApiError } from '../api/errors';

/**
 * Items (products and services) the host pushes to Xero (mounted under /api/v1 behind the API-key check):
 *
 *   PUT /accounts/{accountId}/items/{code}   one item: 202 {code, status: "pending"}, 200 when identical to what was sent
 *   PUT /accounts/{accountId}/items          up to 500 at once: {items: [{code, …}]}; each checked on its own
 *   GET /accounts/{accountId}/items          counts and every item's push state (?status=pending|pushed|failed)
 *   GET /accounts/{accountId}/items/{code}   one item's push state, Xero's ItemID and Xero's messages if refused
 *
 * Storing is the route's whole job; the push runs in Temporal (src/items/): right away when the
 * account is connected, else on the contact-sync schedule once it is.
 */

export interface ItemsRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
}

const listQuery = z.object({ status: z.enum(['pending', 'pushed', 'failed']).optional() });

interface Refused {
  index: number;
  code?: string;
  fields: Record<string, string>;
}

export function itemsRouter(deps: ItemsRouterDeps): Router {
  const { db } = deps;
  const router = Router();
  router.use('/accounts/:accountId/items', deps.loadAccount);
  const account = (res: Response) => res.locals.account as Account;

  /** Stores items and, when any is pending and the account is connected, asks for a push now. */
  async function store(accountId: string, items: HostItem[]) {
    const stored = await storeHostItems(db, accountId, items);
    if (stored.some((s) => s.result === 'pending') && (await connectionState(db, accountId)) === 'active')
      await requestItemPush(deps.temporal, { accountId, taskQueue: deps.taskQueue });
    return stored;
  }

  router.put('/accounts/:accountId/items', async (req, res) => {
    const body = req.body as { items?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(body.items))
      return sendApiError(res, 400, 'invalid_request', 'Send {"items": [...]}, a list of items.', {
        items: 'expected a list',
      });
    if (body.items.length === 0)
      return sendApiError(res, 400, 'invalid_items', 'The list of items is empty.', { items: 'choose at least 1' });
    if (body.items.length > MAX_BULK_ITEMS)
      return sendApiError(
        res,
        400,
        'too_many_items',
        `At most ${MAX_BULK_ITEMS} items per request; this one has ${body.items.length}. Nothing was stored.`,
        { items: `at most ${MAX_BULK_ITEMS}` },
      );
    const accepted: HostItem[] = [];
    const refused: Refused[] = [];
    const seen = new Set<string>();
    body.items.forEach((raw, index) => {
      const parsed = hostItemSchema.safeParse(raw);
      if (!parsed.success) {
        const code = (raw as { code?: unknown } | null)?.code;
        refused.push({
          index,
          ...(typeof code === 'string' ? { code } : {}),
          fields: friendlyFieldErrors(parsed.error),
        });
        return;
      }
      // Xero has one item per code without case: a second one in the same request is ambiguous.
      const key = itemCodeKey(parsed.data.code);
      if (seen.has(key)) {
        refused.push({
          index,
          code: parsed.data.code,
          fields: { code: 'appears more than once in this request (codes are compared without case)' },
        });
        return;
      }
      seen.add(key);
      accepted.push(parsed.data);
    });
    if (accepted.length === 0) {
      const fields: Record<string, string> = {};
      for (const r of refused)
        for (const [field, reason] of Object.entries(r.fields)) fields[`items.${r.index}.${field}`] = reason;
      return sendApiError(res, 400, 'invalid_items', 'No item is valid; nothing was stored.', fields);
    }
    const stored = await store(account(res).id, accepted);
    res.status(stored.some((s) => s.result === 'pending') ? 202 : 200).json({
      accepted: stored.map((s) => ({ code: s.code, status: s.result })),
      refused,
    });
  });

  router.put('/accounts/:accountId/items/:code', async (req, res) => {
    const code = itemCodeSchema.safeParse(req.params.code);
    if (!code.success)
      return sendApiError(res, 400, 'invalid_item_code', 'The item code in the URL is not valid.', {
        code: code.error.issues[0]?.message ?? 'invalid',
      });
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return sendApiError(res, 400, 'invalid_request', 'Send the item as a JSON object.');
    if (body.code !== undefined && body.code !== code.data)
      return sendApiError(res, 400, 'invalid_item', 'The item is not valid.', {
        code: 'must match the code in the URL (or be left out)',
      });
    const parsed = hostItemSchema.safeParse({ ...body, code: code.data });
    if (!parsed.success)
      return sendApiError(res, 400, 'invalid_item', 'The item is not valid.', friendlyFieldErrors(parsed.error));
    const [stored] = await store(account(res).id, [parsed.data]);
    if (stored!.result === 'pending') return res.status(202).json({ code: code.data, status: 'pending' });
    const state = await hostItemState(db, account(res).id, code.data);
    res.json({ code: code.data, status: 'unchanged', item: state });
  });

  router.get('/accounts/:accountId/items', async (req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success)
      return sendApiError(res, 400, 'invalid_query', 'The query is not valid.', friendlyFieldErrors(q.error));
    const id = account(res).id;
    const [counts, items] = await Promise.all([
      hostItemCounts(db, id),
      listHostItems(db, id, q.data.status ? { status: q.data.status } : {}),
    ]);
    res.json({ counts, items });
  });

  router.get('/accounts/:accountId/items/:code', async (req, res) => {
    const state = await hostItemState(db, account(res).id, String(req.params.code));
    if (!state) return sendApiError(res, 404, 'item_not_found', 'No item with this code was sent for this account.');
    res.json({ item: state });
  });

  return router;
}
