import { sql } from 'kysely';
import type { Contact } from 'xero-node';
import type { Db } from '../db/database';
import { contactNameKey, fromXeroContact, type PulledContact } from '../domain/contact';

/**
 * The engine's copy of an organisation's contacts. It answers "does a contact of this name or
 * number already exist?" without a Xero call, tells a real change from a contact seen again
 * (If-Modified-Since is to the second and inclusive, and paging may repeat), and backs
 * `GET …/xero/contacts` for hosts that poll.
 */

export interface MirrorRow {
  contactId: string;
  name: string;
  contactNumber: string | null;
  status: string;
}

const updatedOf = (c: Contact) => (c.updatedDateUTC ? new Date(c.updatedDateUTC) : null);

/**
 * Stores these versions; returns the contacts that were new or changed (a version already stored,
 * same UpdatedDateUTC, is not a change). Run it in the transaction that reports the changes.
 */
export async function upsertMirror(db: Db, accountId: string, contacts: Contact[]): Promise<Contact[]> {
  const unique = new Map<string, Contact>();
  for (const c of contacts) if (c.contactID) unique.set(c.contactID, c);
  if (unique.size === 0) return [];
  const rows = [...unique.values()].map((c) => ({
    account_id: accountId,
    contact_id: c.contactID!,
    name: c.name ?? '',
    name_key: contactNameKey(c.name ?? ''),
    contact_number: c.contactNumber || null,
    status: String(c.contactStatus ?? 'ACTIVE'),
    xero_updated_at: updatedOf(c),
    data: JSON.stringify(c),
  }));
  const changed = await db
    .insertInto('xero_contacts')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'contact_id'])
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          name_key: eb.ref('excluded.name_key'),
          contact_number: eb.ref('excluded.contact_number'),
          status: eb.ref('excluded.status'),
          xero_updated_at: eb.ref('excluded.xero_updated_at'),
          data: eb.ref('excluded.data'),
          changed_at: sql<Date>`now()`,
          change_seq: sql<string>`nextval(pg_get_serial_sequence('xero_contacts', 'change_seq'))`,
        }))
        // Same version as stored: no change, no row returned. An older version never overwrites a newer one.
        .where((eb) =>
          eb.or([
            eb('xero_contacts.xero_updated_at', 'is', null),
            eb('excluded.xero_updated_at', 'is', null),
            eb('xero_contacts.xero_updated_at', '<', eb.ref('excluded.xero_updated_at')),
          ]),
        ),
    )
    .returning('contact_id')
    .execute();
  const ids = new Set(changed.map((r) => r.contact_id));
  return [...unique.values()].filter((c) => ids.has(c.contactID!));
}

export async function mirrorByIds(db: Db, accountId: string, ids: string[]): Promise<Map<string, MirrorRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('xero_contacts')
    .select(['contact_id', 'name', 'contact_number', 'status'])
    .where('account_id', '=', accountId)
    .where('contact_id', 'in', ids)
    .execute();
  return new Map(
    rows.map((r) => [
      r.contact_id,
      { contactId: r.contact_id, name: r.name, contactNumber: r.contact_number, status: r.status },
    ]),
  );
}

/** Contacts whose ContactNumber is one of these host ids (Xero compares numbers without case). */
export async function mirrorByNumbers(db: Db, accountId: string, numbers: string[]): Promise<Map<string, MirrorRow>> {
  if (numbers.length === 0) return new Map();
  const rows = await db
    .selectFrom('xero_contacts')
    .select(['contact_id', 'name', 'contact_number', 'status'])
    .where('account_id', '=', accountId)
    .where(
      sql<string>`lower(contact_number)`,
      'in',
      numbers.map((n) => n.toLowerCase()),
    )
    .execute();
  return new Map(
    rows.map((r) => [
      r.contact_number!.toLowerCase(),
      { contactId: r.contact_id, name: r.name, contactNumber: r.contact_number, status: r.status },
    ]),
  );
}

/** Contacts by name key; an active one first when both exist. */
export async function mirrorByNames(db: Db, accountId: string, nameKeys: string[]): Promise<Map<string, MirrorRow>> {
  if (nameKeys.length === 0) return new Map();
  const rows = await db
    .selectFrom('xero_contacts')
    .select(['contact_id', 'name', 'name_key', 'contact_number', 'status'])
    .where('account_id', '=', accountId)
    .where('name_key', 'in', nameKeys)
    .orderBy(sql`status = 'ACTIVE'`, 'desc')
    .orderBy('contact_id')
    .execute();
  const out = new Map<string, MirrorRow>();
  for (const r of rows)
    if (!out.has(r.name_key))
      out.set(r.name_key, { contactId: r.contact_id, name: r.name, contactNumber: r.contact_number, status: r.status });
  return out;
}

/** The host contact linked to each Xero contact (by link, else by ContactNumber = host id). */
export async function hostIdsFor(db: Db, accountId: string, contacts: Contact[]): Promise<Map<string, string>> {
  const ids = contacts.map((c) => c.contactID).filter((id): id is string => !!id);
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  const links = await db
    .selectFrom('entity_links')
    .select(['xero_id', 'host_id'])
    .where('account_id', '=', accountId)
    .where('kind', '=', 'contact')
    .where('xero_id', 'in', ids)
    .execute();
  for (const l of links) out.set(l.xero_id, l.host_id);
  const numbers = contacts
    .filter((c) => c.contactID && !out.has(c.contactID) && c.contactNumber)
    .map((c) => c.contactNumber!);
  if (numbers.length > 0) {
    const known = await db
      .selectFrom('host_contacts')
      .select('host_id')
      .where('account_id', '=', accountId)
      .where('host_id', 'in', numbers)
      .execute();
    const set = new Set(known.map((k) => k.host_id));
    for (const c of contacts)
      if (c.contactID && !out.has(c.contactID) && c.contactNumber && set.has(c.contactNumber))
        out.set(c.contactID, c.contactNumber);
  }
  return out;
}

export async function toPulled(db: Db, accountId: string, contacts: Contact[]): Promise<PulledContact[]> {
  const hostIds = await hostIdsFor(db, accountId, contacts);
  return contacts.map((c) => fromXeroContact(c, hostIds.get(c.contactID ?? '') ?? null));
}

export interface MirrorPage {
  contacts: PulledContact[];
  /** Pass back as `cursor` for the next page; absent on the last one. */
  nextCursor?: string;
}

/**
 * For hosts that poll: contacts Xero changed after `since` (UpdatedDateUTC), in the order the engine
 * learnt them, paged by an opaque cursor.
 */
export async function listMirror(
  db: Db,
  accountId: string,
  q: { since?: Date; cursor?: string; limit: number },
): Promise<MirrorPage> {
  let query = db.selectFrom('xero_contacts').select(['data', 'change_seq']).where('account_id', '=', accountId);
  if (q.since) query = query.where('xero_updated_at', '>', q.since);
  if (q.cursor) query = query.where('change_seq', '>', q.cursor);
  const rows = await query
    .orderBy('change_seq')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const contacts = await toPulled(
    db,
    accountId,
    page.map((r) => r.data as Contact),
  );
  const last = page[page.length - 1];
  return rows.length > q.limit && last ? { contacts, nextCursor: String(last.change_seq) } : { contacts };
}
