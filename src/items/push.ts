import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Item } from 'xero-node';
import type { Db } from '../db/database';
import { hostItemSchema, itemCodeKey, toXeroItem } from '../domain/item';
import { XeroApiError } from '../xero/errors';
import type { XeroDeps } from '../contact-sync/xero-contacts';
import { accountInfo, connectionState, logEntry, type RunRef } from '../contact-sync/runs';
import { enqueueHostEventOnce } from '../host-webhooks/outbox';
import type { ItemBatchResult } from './shared';
import { createItems, getAllItems, isDuplicateCodeError, itemErrors, updateOrCreateItems } from './xero-items';

/**
 * Pushes one batch (≤ 50) of pending host items.
 *
 * Planning claims the next pending items (a lease, so the scheduled run and an on-demand push never
 * send one item together), reads the organisation's items once and matches codes without case: an
 * item Xero has (by the stored ItemID, else by code) is updated by ItemID, the rest are created. The
 * plan with its exact bodies is stored before anything is sent; a retried batch resends the same
 * bodies, so its Idempotency-Key (derived from batch and bodies) makes Xero replay its first answer.
 *
 * Xero itself keeps codes unique, so nothing is ever duplicated: a create refused because the code
 * exists (created in Xero since we read, or our own write after Xero forgot the key) is sent again
 * with POST, which updates the item of that code. Any other refusal is stored on that item alone.
 */

const MAX_BATCH = 50;
/** Longer than an activity attempt (10 minutes); a batch abandoned by a dead run frees its items after it. */
const CLAIM_LEASE = '15 minutes';

const plannedSchema = z.object({
  codeLower: z.string(),
  code: z.string(),
  fingerprint: z.string(),
  /** The Xero item as sent (xero-node's camelCase model, as toXeroItem made it). */
  item: z.custom<Item>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string',
  ),
});
type Planned = z.infer<typeof plannedSchema>;
const plannedList = z.array(plannedSchema);

interface Batch {
  claimed: number;
  creates: Planned[];
  updates: Planned[];
}

type Outcome =
  { kind: 'pushed'; itemId: string; via: 'create' | 'update' | 'link' } | { kind: 'failed'; errors: string[] };

export function itemIdempotencyKey(accountId: string, batchKey: string, action: string, bodies: unknown[]): string {
  const digest = createHash('sha256')
    .update(`${accountId}|${batchKey}|${action}|${JSON.stringify(bodies)}`)
    .digest('hex');
  return `xs-items-${digest.slice(0, 48)}`;
}

export async function pushItemBatch(
  db: Db,
  xero: XeroDeps,
  run: RunRef,
  batchKey: string,
  batchSize = MAX_BATCH,
): Promise<ItemBatchResult> {
  const size = Math.min(Math.max(1, batchSize), MAX_BATCH);
  const stored = await loadBatch(db, run.accountId, batchKey);
  if (stored?.result) return stored.result;
  if ((await connectionState(db, run.accountId)) !== 'active')
    return { pushed: 0, failed: 0, done: true, notConnected: true };
  const batch = stored?.batch ?? (await planBatch(db, xero, run.accountId, batchKey, size));
  if (!batch) return { pushed: 0, failed: 0, done: true };

  const outcomes = new Map<string, Outcome>();
  if (batch.creates.length > 0) {
    const bodies = batch.creates.map((p) => p.item);
    const answers = await wholeBatch(batch.creates, () =>
      createItems(xero, run.accountId, bodies, itemIdempotencyKey(run.accountId, batchKey, 'create', bodies)),
    );
    const existing: Planned[] = [];
    for (const [i, p] of batch.creates.entries()) {
      const outcome = outcomeOf(answers[i], 'create');
      if (outcome.kind === 'failed' && outcome.errors.some(isDuplicateCodeError)) existing.push(p);
      else outcomes.set(p.codeLower, outcome);
    }
    if (existing.length > 0) {
      // POST with the code (no ItemID) updates the item Xero already has under it: linked, not duplicated.
      const again = existing.map((p) => p.item);
      const linked = await wholeBatch(existing, () =>
        updateOrCreateItems(xero, run.accountId, again, itemIdempotencyKey(run.accountId, batchKey, 'link', again)),
      );
      for (const [i, p] of existing.entries()) outcomes.set(p.codeLower, outcomeOf(linked[i], 'link'));
    }
  }
  if (batch.updates.length > 0) {
    const bodies = batch.updates.map((p) => p.item);
    const answers = await wholeBatch(batch.updates, () =>
      updateOrCreateItems(xero, run.accountId, bodies, itemIdempotencyKey(run.accountId, batchKey, 'update', bodies)),
    );
    for (const [i, p] of batch.updates.entries()) outcomes.set(p.codeLower, outcomeOf(answers[i], 'update'));
  }

  const result: ItemBatchResult = {
    pushed: [...outcomes.values()].filter((o) => o.kind === 'pushed').length,
    failed: [...outcomes.values()].filter((o) => o.kind === 'failed').length,
    done: batch.claimed < size,
  };
  await record(db, run, batchKey, [...batch.creates, ...batch.updates], outcomes, result);
  return result;
}

async function loadBatch(
  db: Db,
  accountId: string,
  batchKey: string,
): Promise<{ batch: Batch; result: ItemBatchResult | null } | undefined> {
  const row = await db
    .selectFrom('item_push_batches')
    .select(['creates', 'updates', 'claimed', 'result'])
    .where('account_id', '=', accountId)
    .where('batch_key', '=', batchKey)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    batch: { claimed: row.claimed, creates: plannedList.parse(row.creates), updates: plannedList.parse(row.updates) },
    result: (row.result as ItemBatchResult | null) ?? null,
  };
}

async function planBatch(
  db: Db,
  xero: XeroDeps,
  accountId: string,
  batchKey: string,
  size: number,
): Promise<Batch | undefined> {
  // Claim first (this batch's own earlier claims included, after a crash), then ask Xero.
  const claimed = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('host_items')
      .select(['code', 'code_lower', 'body', 'fingerprint', 'xero_item_id'])
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .where((eb) =>
        eb.or([
          eb('claim_key', 'is', null),
          eb('claim_key', '=', batchKey),
          eb('claimed_until', '<', sql<Date>`now()`),
        ]),
      )
      .orderBy('code_lower')
      .limit(size)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length > 0)
      await trx
        .updateTable('host_items')
        .set({ claim_key: batchKey, claimed_until: sql<Date>`now() + ${CLAIM_LEASE}::interval` })
        .where('account_id', '=', accountId)
        .where(
          'code_lower',
          'in',
          rows.map((r) => r.code_lower),
        )
        .execute();
    return rows;
  });
  if (claimed.length === 0) return undefined;

  const inXero = await getAllItems(xero, accountId);
  const byId = new Map(inXero.filter((i) => i.itemID).map((i) => [i.itemID!.toLowerCase(), i]));
  const byCode = new Map(inXero.filter((i) => i.code).map((i) => [itemCodeKey(i.code!), i]));
  const creates: Planned[] = [];
  const updates: Planned[] = [];
  for (const r of claimed) {
    const hostItem = hostItemSchema.parse(r.body);
    const known = (r.xero_item_id ? byId.get(r.xero_item_id.toLowerCase()) : undefined) ?? byCode.get(r.code_lower);
    const item = toXeroItem(hostItem, known?.itemID);
    const planned = { codeLower: r.code_lower, code: r.code, fingerprint: r.fingerprint, item };
    (known ? updates : creates).push(planned);
  }
  const batch: Batch = { claimed: claimed.length, creates, updates };
  // A concurrent attempt of this same batch may have stored its plan first: the stored one is sent.
  await db
    .insertInto('item_push_batches')
    .values({
      account_id: accountId,
      batch_key: batchKey,
      creates: JSON.stringify(creates),
      updates: JSON.stringify(updates),
      claimed: claimed.length,
    })
    .onConflict((oc) => oc.columns(['account_id', 'batch_key']).doNothing())
    .execute();
  return (await loadBatch(db, accountId, batchKey))?.batch ?? batch;
}

/**
 * A 400 for the whole request (despite summarizeErrors=false: a malformed body) fails every item
 * with Xero's message; anything else (429, 5xx, network) is thrown and the activity retried.
 */
async function wholeBatch(
  planned: Planned[],
  send: () => Promise<Item[]>,
): Promise<Array<Item | string[] | undefined>> {
  try {
    return await send();
  } catch (thrown) {
    if (thrown instanceof XeroApiError && (thrown.kind === 'validation' || thrown.kind === 'bad_request')) {
      const messages = thrown.validationMessages.length > 0 ? thrown.validationMessages : [thrown.message];
      return planned.map(() => messages);
    }
    throw thrown;
  }
}

function outcomeOf(answer: Item | string[] | undefined, via: 'create' | 'update' | 'link'): Outcome {
  if (Array.isArray(answer)) return { kind: 'failed', errors: answer };
  if (!answer) return { kind: 'failed', errors: ['Xero returned no result for this item'] };
  const errors = itemErrors(answer);
  if (errors.length > 0 || !answer.itemID)
    return { kind: 'failed', errors: errors.length > 0 ? errors : ['Xero returned no ItemID'] };
  return { kind: 'pushed', itemId: answer.itemID, via };
}

/**
 * Stores each item's outcome, the batch's result, sync-log entries and host events in one
 * transaction. An item the host changed meanwhile keeps `pending` (its new version is pushed next);
 * its ItemID is kept either way, so the next push updates instead of creating.
 */
async function record(
  db: Db,
  run: RunRef,
  batchKey: string,
  planned: Planned[],
  outcomes: Map<string, Outcome>,
  result: ItemBatchResult,
): Promise<void> {
  const account = await accountInfo(db, run.accountId);
  await db.transaction().execute(async (trx) => {
    for (const p of planned) {
      const o = outcomes.get(p.codeLower)!;
      const same = sql<boolean>`host_items.fingerprint = ${p.fingerprint}`;
      await trx
        .updateTable('host_items')
        .set({
          status: sql`case when ${same} then ${o.kind === 'pushed' ? 'pushed' : 'failed'} else host_items.status end`,
          error: sql`case when ${same} then ${o.kind === 'failed' ? JSON.stringify(o.errors) : null}::jsonb else host_items.error end`,
          ...(o.kind === 'pushed'
            ? {
                xero_item_id: o.itemId,
                pushed_fingerprint: p.fingerprint,
                pushed_at: sql<Date>`now()`,
              }
            : {}),
          claim_key: sql`case when host_items.claim_key = ${batchKey} then null else host_items.claim_key end`,
          claimed_until: sql`case when host_items.claim_key = ${batchKey} then null else host_items.claimed_until end`,
        })
        .where('account_id', '=', run.accountId)
        .where('code_lower', '=', p.codeLower)
        .execute();
      const message =
        o.kind === 'failed'
          ? o.errors.join('; ')
          : o.via === 'link'
            ? `Linked to the Xero item with code ${p.code} (it existed already) and updated it`
            : `${o.via === 'create' ? 'Created' : 'Updated'} Xero item ${p.code}`;
      await trx
        .insertInto('sync_log')
        .values(
          logEntry(run, {
            kind: 'item',
            action: o.kind === 'pushed' ? o.via : 'push',
            hostRef: p.code,
            outcome: o.kind === 'pushed' ? 'success' : 'failure',
            xeroId: o.kind === 'pushed' ? o.itemId : null,
            message,
            error: o.kind === 'failed' ? { kind: 'validation', messages: o.errors } : null,
          }),
        )
        .execute();
      if (account) {
        // One event per item version and outcome, whichever attempt commits it.
        await enqueueHostEventOnce(trx, {
          hostAppId: account.hostAppId,
          accountId: account.accountId,
          hostAccountId: account.hostAccountId,
          type: o.kind === 'pushed' ? 'item.synced' : 'item.failed',
          orderingKey: `item:${run.accountId}:${p.codeLower}`,
          factKey: `item:${run.accountId}:${p.codeLower}|${p.fingerprint}|${o.kind}`,
          data:
            o.kind === 'pushed'
              ? { code: p.code, xeroItemId: o.itemId }
              : { code: p.code, errors: o.errors, message: `Xero refused the item ${p.code}: ${o.errors.join('; ')}` },
        });
      }
    }
    await trx
      .updateTable('item_push_batches')
      .set({ result: JSON.stringify(result) })
      .where('account_id', '=', run.accountId)
      .where('batch_key', '=', batchKey)
      .execute();
  });
}
