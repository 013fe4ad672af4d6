import { sql } from 'kysely';
import type { Db } from '../db/database';
import { hostContactHash, type HostContact } from '../domain/contact';
import type { HostContactStatus } from '../db/schema-contact-sync';

/**
 * Contacts the host sent (`PUT …/contacts/{id}` and the bulk form). Storing is all the API does:
 * the next scheduled run pushes what changed, in batches. Re-sending an unchanged contact is a
 * no-op, so hosts may safely send everything every time.
 */

export interface StoredContact {
  id: string;
  /** `created`: first time seen; `changed`: will be pushed again; `unchanged`: identical to what we have. */
  result: 'created' | 'changed' | 'unchanged';
}

export async function storeHostContacts(db: Db, accountId: string, contacts: HostContact[]): Promise<StoredContact[]> {
  if (contacts.length === 0) return [];
  const rows = contacts.map((c) => ({
    account_id: accountId,
    host_id: c.id,
    data: JSON.stringify(c),
    data_hash: hostContactHash(c),
  }));
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('host_contacts')
      .select(['host_id', 'data_hash'])
      .where('account_id', '=', accountId)
      .where(
        'host_id',
        'in',
        rows.map((r) => r.host_id),
      )
      .execute();
    const known = new Map(before.map((b) => [b.host_id, b.data_hash]));
    await trx
      .insertInto('host_contacts')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'host_id'])
          .doUpdateSet((eb) => ({
            data: eb.ref('excluded.data'),
            data_hash: eb.ref('excluded.data_hash'),
            received_at: sql<Date>`now()`,
            // A changed contact is pending again (its held or failed state belonged to the old version).
            status: sql<HostContactStatus>`case when host_contacts.pushed_key is not null and split_part(host_contacts.pushed_key, '|', 1) = excluded.data_hash then host_contacts.status else 'pending' end`,
          }))
          .where('host_contacts.data_hash', '!=', (eb) => eb.ref('excluded.data_hash')),
      )
      .execute();
    return rows.map((r) => ({
      id: r.host_id,
      result: !known.has(r.host_id) ? 'created' : known.get(r.host_id) === r.data_hash ? 'unchanged' : 'changed',
    }));
  });
}

export interface HostContactState {
  id: string;
  status: HostContactStatus;
  message: string | null;
  errors: string[];
  xeroContactId: string | null;
  receivedAt: Date;
  lastAttemptAt: Date | null;
}

/** Where a host contact's sync stands, for the API and the account page. */
export async function hostContactState(
  db: Db,
  accountId: string,
  hostId: string,
): Promise<HostContactState | undefined> {
  const r = await db
    .selectFrom('host_contacts')
    .select(['host_id', 'status', 'status_message', 'errors', 'xero_contact_id', 'received_at', 'last_attempt_at'])
    .where('account_id', '=', accountId)
    .where('host_id', '=', hostId)
    .executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.host_id,
    status: r.status,
    message: r.status_message,
    errors: r.errors ?? [],
    xeroContactId: r.xero_contact_id,
    receivedAt: r.received_at,
    lastAttemptAt: r.last_attempt_at,
  };
}
