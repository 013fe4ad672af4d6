import type { Contact } from 'xero-node';
import type { Db } from '../db/database';
import { fromXeroContact, type PulledContact } from '../domain/contact';
import { accountInfo } from '../contact-sync/runs';
import { hostIdsFor, upsertMirror } from '../contact-sync/mirror';
import { enqueueHostEventOnce } from '../host-webhooks/outbox';
import { contactsByIds, type CountingXero } from './read-xero';

/**
 * CONTACT webhooks: a contact the engine links to a host contact, changed in Xero, is compared with
 * the engine's copy (the contact mirror) and the host hears `contact.changed_in_xero` with the
 * fields old → new, once per Xero version (the fact is the contact and its UpdatedDateUTC). The
 * mirror takes the new version in the same transaction, so the scheduled contact pull does not
 * announce it a second time; a contact the mirror does not hold yet is left to that pull.
 */

/** Contacts among these ids that the engine links to a host contact (by link, or ContactNumber = host id). */
async function linkedContactIds(db: Db, accountId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const linked = await db
    .selectFrom('entity_links')
    .select('xero_id')
    .where('account_id', '=', accountId)
    .where('kind', '=', 'contact')
    .where('xero_id', 'in', ids)
    .execute();
  const byNumber = await db
    .selectFrom('xero_contacts as x')
    .innerJoin('host_contacts as h', (j) =>
      j.onRef('h.account_id', '=', 'x.account_id').onRef('h.host_id', '=', 'x.contact_number'),
    )
    .select('x.contact_id')
    .where('x.account_id', '=', accountId)
    .where('x.contact_id', 'in', ids)
    .execute();
  return [...new Set([...linked.map((r) => r.xero_id), ...byNumber.map((r) => r.contact_id)])];
}

export interface ContactFieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

const COMPARED: Array<keyof PulledContact> = [
  'name',
  'contactNumber',
  'firstName',
  'lastName',
  'email',
  'accountNumber',
  'status',
  'phones',
  'addresses',
];

export function contactChanges(before: PulledContact, after: PulledContact): ContactFieldChange[] {
  return COMPARED.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f])).map((f) => ({
    field: f,
    old: before[f],
    new: after[f],
  }));
}

export interface ContactBatchResult {
  linked: number;
  reported: number;
}

export async function applyContactChanges(
  db: Db,
  xero: CountingXero,
  accountId: string,
  contactIds: string[],
): Promise<ContactBatchResult> {
  const ids = await linkedContactIds(db, accountId, contactIds);
  if (ids.length === 0) return { linked: 0, reported: 0 };
  const account = await accountInfo(db, accountId);
  if (!account) return { linked: 0, reported: 0 };
  const contacts = await contactsByIds(xero, accountId, ids);
  let reported = 0;
  for (const contact of contacts) {
    const id = contact.contactID;
    if (!id) continue;
    await db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('xero_contacts')
        .select('data')
        .where('account_id', '=', accountId)
        .where('contact_id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      // No earlier copy: nothing to compare with, and the scheduled pull reports a contact it first sees.
      if (!old) return;
      const changed = await upsertMirror(trx, accountId, [contact]);
      if (changed.length === 0) return;
      const hostIds = await hostIdsFor(trx, accountId, [contact]);
      const hostContactId = hostIds.get(id) ?? null;
      const before = fromXeroContact(old.data as Contact, hostContactId);
      const after = fromXeroContact(contact, hostContactId);
      const changes = contactChanges(before, after);
      if (changes.length === 0) return;
      const { enqueued } = await enqueueHostEventOnce(trx, {
        hostAppId: account.hostAppId,
        accountId,
        hostAccountId: account.hostAccountId,
        type: 'contact.changed_in_xero',
        orderingKey: `contacts:${accountId}`,
        factKey: `contact.changed_in_xero|${accountId}|${id}|${after.updatedDateUtc ?? ''}`,
        data: { xeroContactId: id, hostContactId, changes, contact: after },
      });
      if (enqueued) reported++;
    });
  }
  return { linked: ids.length, reported };
}
