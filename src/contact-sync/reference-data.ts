import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { ReferenceDataKind } from '../db/schema-contact-sync';
import { getReferenceData, type XeroDeps } from './xero-contacts';

/**
 * Tax rates, items, the chart of accounts and tracking categories, refreshed by the contact-sync
 * schedule (and an import) and served to hosts from the database: reading them costs the host no
 * Xero calls, and they stay readable while Xero is rate-limiting or down.
 */

export const REFERENCE_DATA_KINDS: readonly ReferenceDataKind[] = [
  'tax-rates',
  'items',
  'accounts',
  'tracking-categories',
  'currencies',
];

export async function refreshReferenceData(
  db: Db,
  xero: XeroDeps,
  accountId: string,
  kind: ReferenceDataKind,
): Promise<number> {
  const items = await getReferenceData(xero, accountId, kind);
  // JSON round trip: xero-node's model objects become plain JSON (enums as Xero's strings, dates ISO).
  const json = JSON.stringify(items);
  await db
    .insertInto('xero_reference_data')
    .values({ account_id: accountId, kind, items: json })
    .onConflict((oc) => oc.columns(['account_id', 'kind']).doUpdateSet({ items: json, refreshed_at: sql<Date>`now()` }))
    .execute();
  return items.length;
}

export interface ReferenceData {
  kind: ReferenceDataKind;
  /** When the engine last read it from Xero; null before the first refresh. */
  refreshedAt: string | null;
  items: unknown[];
}

export async function readReferenceData(db: Db, accountId: string, kind: ReferenceDataKind): Promise<ReferenceData> {
  const row = await db
    .selectFrom('xero_reference_data')
    .select(['items', 'refreshed_at'])
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return { kind, refreshedAt: row?.refreshed_at.toISOString() ?? null, items: row?.items ?? [] };
}

/** Several stored lists in one read: a kind absent from the map was never read by the engine. */
export async function readStoredReferenceLists(
  db: Db,
  accountId: string,
  kinds: readonly ReferenceDataKind[],
): Promise<Map<ReferenceDataKind, unknown[]>> {
  if (kinds.length === 0) return new Map();
  const rows = await db
    .selectFrom('xero_reference_data')
    .select(['kind', 'items'])
    .where('account_id', '=', accountId)
    .where('kind', 'in', kinds)
    .execute();
  return new Map(rows.map((r) => [r.kind, r.items]));
}

/** The stored list, or undefined when the engine never read it. */
export async function readStoredReferenceData(
  db: Db,
  accountId: string,
  kind: ReferenceDataKind,
): Promise<unknown[] | undefined> {
  return (await readStoredReferenceLists(db, accountId, [kind])).get(kind);
}
