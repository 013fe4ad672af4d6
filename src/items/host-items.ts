import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database';
import type { HostItemStatus } from '../db/schema';
import { hostItemFingerprint, itemCodeKey, type HostItem } from '../domain/item';

/**
 * Items the host sent (`PUT …/items/{code}` and the bulk form). Storing is all the API does; the
 * push (on demand, and on the contact-sync schedule) sends what is pending. Re-sending an identical
 * item is a no-op, so hosts may send everything every time — except that an identical item Xero
 * refused is queued again: the refusal may have been fixed in Xero since (an account code added).
 */

export interface StoredItem {
  code: string;
  /** `pending`: will be pushed; `unchanged`: identical to what was stored and not refused. */
  result: 'pending' | 'unchanged';
}

export async function storeHostItems(db: Db, accountId: string, items: HostItem[]): Promise<StoredItem[]> {
  if (items.length === 0) return [];
  const rows = items.map((i) => ({
    account_id: accountId,
    code: i.code,
    code_lower: itemCodeKey(i.code),
    body: JSON.stringify(i),
    fingerprint: hostItemFingerprint(i),
  }));
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('host_items')
      .select(['code_lower', 'fingerprint', 'status', 'code'])
      .where('account_id', '=', accountId)
      .where(
        'code_lower',
        'in',
        rows.map((r) => r.code_lower),
      )
      .execute();
    const known = new Map(before.map((b) => [b.code_lower, b]));
    const changed = rows.filter((r) => {
      const k = known.get(r.code_lower);
      return !k || k.fingerprint !== r.fingerprint || k.status === 'failed';
    });
    const pending = new Set<string>();
    if (changed.length > 0) {
      const written = await trx
        .insertInto('host_items')
        .values(changed)
        .onConflict((oc) =>
          oc.columns(['account_id', 'code_lower']).doUpdateSet((eb) => ({
            code: eb.ref('excluded.code'),
            body: eb.ref('excluded.body'),
            fingerprint: eb.ref('excluded.fingerprint'),
            // The version Xero holds needs no push; any other is pending (its old error belonged to the old version).
            status: sql<HostItemStatus>`case when host_items.pushed_fingerprint = excluded.fingerprint then 'pushed' else 'pending' end`,
            error: null,
            updated_at: sql<Date>`now()`,
          })),
        )
        .returning(['code_lower', 'status'])
        .execute();
      for (const w of written) if (w.status === 'pending') pending.add(w.code_lower);
    }
    return rows.map((r) => ({ code: r.code, result: pending.has(r.code_lower) ? 'pending' : 'unchanged' }));
  });
}

export interface HostItemState {
  code: string;
  status: HostItemStatus;
  xeroItemId: string | null;
  /** Xero's own words when it refused the item. */
  errors: string[];
  pushedAt: Date | null;
  updatedAt: Date;
}

const errorsSchema = z.array(z.string()).nullable();

const columns = ['code', 'status', 'xero_item_id', 'error', 'pushed_at', 'updated_at'] as const;

function toState(r: {
  code: string;
  status: HostItemStatus;
  xero_item_id: string | null;
  error: unknown;
  pushed_at: Date | null;
  updated_at: Date;
}): HostItemState {
  return {
    code: r.code,
    status: r.status,
    xeroItemId: r.xero_item_id,
    errors: errorsSchema.catch(null).parse(r.error) ?? [],
    pushedAt: r.pushed_at,
    updatedAt: r.updated_at,
  };
}

/** Where one host item's push stands (codes match without case, as in Xero). */
export async function hostItemState(db: Db, accountId: string, code: string): Promise<HostItemState | undefined> {
  const r = await db
    .selectFrom('host_items')
    .select(columns)
    .where('account_id', '=', accountId)
    .where('code_lower', '=', itemCodeKey(code))
    .executeTakeFirst();
  return r && toState(r);
}

/** Every host item of an account, by code; optionally only those in one state. */
export async function listHostItems(
  db: Db,
  accountId: string,
  opts: { status?: HostItemStatus; limit?: number } = {},
): Promise<HostItemState[]> {
  let q = db.selectFrom('host_items').select(columns).where('account_id', '=', accountId);
  if (opts.status) q = q.where('status', '=', opts.status);
  const rows = await q
    .orderBy('code_lower')
    .limit(opts.limit ?? 1000)
    .execute();
  return rows.map(toState);
}

/** How many items are pushed, pending and failed (the account page's card, the API's summary). */
export async function hostItemCounts(db: Db, accountId: string): Promise<Record<HostItemStatus, number>> {
  const rows = await db
    .selectFrom('host_items')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('account_id', '=', accountId)
    .groupBy('status')
    .execute();
  const counts: Record<HostItemStatus, number> = { pending: 0, pushed: 0, failed: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}
