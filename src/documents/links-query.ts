import { sql } from 'kysely';
import type { Db } from '../db/database';
import type { EntityLink } from '../db/schema';
import { paymentHostIdPrefix } from '../orders/link-ids';

/** Every link of one document (by its stored key): its Xero document, its attachment, its payments. */
export async function documentLinks(db: Db, accountId: string, ref: string): Promise<EntityLink[]> {
  return db
    .selectFrom('entity_links')
    .selectAll()
    .where('account_id', '=', accountId)
    .where((eb) =>
      eb.or([
        eb.and([eb('kind', 'in', ['invoice', 'credit_note', 'attachment']), eb('host_id', '=', ref)]),
        eb.and([
          eb('kind', '=', 'payment'),
          // starts_with, not a length: JS counts UTF-16 units, PostgreSQL code points.
          eb(sql<boolean>`starts_with(host_id, ${paymentHostIdPrefix(ref)})`, '=', true),
        ]),
      ]),
    )
    .execute();
}
