import type { Contact } from 'xero-node';
import type { HostDocument } from '../../src/domain/documents';
import { contactFor } from '../../src/domain/invoice-mapping';
import type { Customer } from '../../src/domain/order';
import { businessFailure } from '../../src/orders/failures';
import { XeroApiError } from '../../src/xero/errors';
import { settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { deleteLink, linkedXeroId, upsertLink } from './links';
import { writeKey, type Base, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';
import { createSingleFlight } from '../../src/xero/single-flight';

type Deps = Pick<OrderModuleDeps, 'db' | 'xero'>;

const isActive = (c: Contact) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE';

/**
 * Resolutions in flight in this worker, per account and host customer: orders of one new customer
 * often arrive together and share one lookup (and one create); so do documents that find the same
 * stale link. Across workers the loser of the race links to the winner's contact.
 */
const resolutions = createSingleFlight<string | undefined>();

function once(accountId: string, customerId: string, run: () => Promise<string | undefined>) {
  return resolutions(`${accountId}\u0000${customerId}`, run);
}

/**
 * The customer's contact in Xero. A first resolution creates it and adopts on conflict (by
 * ContactNumber, the host id, else the active contact of the same name). Replacing a stale link
 * (`skip`: a contact not to use) looks first: by ContactNumber, else an active contact of the same
 * name, else a new one (unless `mayCreate` is false).
 */
async function findOrCreate(
  { db, xero }: Deps,
  input: Base,
  customer: Customer,
  opts: { keyQualifiers: string[]; skip?: string; mayCreate: boolean },
): Promise<{ contact: Contact; action: string } | undefined> {
  const settings = await settingsOf(db, input.accountId);
  const gw = xero.forAccount(input.accountId);
  const wanted = contactFor(customer, settings);
  const usable = (c: Contact | undefined) =>
    c && c.contactID !== opts.skip && (opts.skip === undefined || isActive(c)) ? c : undefined;
  const activeNamed = async () =>
    (await gw.contactsNamed(wanted.name ?? '')).find((c) => isActive(c) && c.contactID !== opts.skip);
  const key = writeKey(input.workflowId, 'contact', customer.id, ...opts.keyQualifiers);
  if (opts.skip === undefined && opts.mayCreate) {
    // Create first, adopt on conflict: no look-up before a create. Xero refuses a second active
    // contact of the same name (ignoring case) and our ContactNumber twice, so a customer Xero
    // already has — our own earlier write, another order's racing create, or an existing contact of
    // that name — is refused, and the refusal is the signal to find and adopt it. New customers'
    // creates arriving together share one request (the gateway batches them).
    try {
      return { contact: await gw.createContact(wanted, { idempotencyKey: key }), action: 'create' };
    } catch (err) {
      if (!(err instanceof XeroApiError) || err.kind !== 'validation') throw err;
      const byNumber = usable(await gw.contactByNumber(customer.id));
      if (byNumber) return { contact: byNumber, action: 'match_number' };
      const byName = await activeNamed();
      if (byName) return { contact: byName, action: 'match_name' };
      throw err;
    }
  }
  let contact = usable(await gw.contactByNumber(customer.id));
  if (contact) return { contact, action: 'match_number' };
  contact = await activeNamed();
  if (contact) return { contact, action: 'match_name' };
  if (!opts.mayCreate) return undefined;
  try {
    contact = await gw.createContact(wanted, { idempotencyKey: key });
    return { contact, action: 'create' };
  } catch (err) {
    // Two orders of one new customer race: both searched, found nothing and created; Xero
    // refuses the loser (name and ContactNumber are unique). The winner's contact is the one.
    if (!(err instanceof XeroApiError) || err.kind !== 'validation') throw err;
    contact = usable(await gw.contactByNumber(customer.id)) ?? (await activeNamed());
    if (!contact) throw err;
    return { contact, action: 'match_after_race' };
  }
}

/**
 * Xero refused a document naming `staleId` as its contact: the contact is gone ('missing': deleted,
 * merged away, or Xero was reset) or archived. The link is replaced by the customer's contact found
 * again (by ContactNumber, then name) or, when it is gone, created — once, however many documents
 * of the customer hit the stale link together. Undefined when the document's contact cannot be
 * re-resolved: the host chose that Xero contact itself, or an archived one has no active successor.
 */
export async function replaceStaleContact(
  deps: Deps,
  input: Base,
  doc: Pick<HostDocument, 'customer' | 'xeroContactId' | 'contactByName'>,
  staleId: string,
  why: 'missing' | 'archived',
): Promise<string | undefined> {
  const customer = doc.customer;
  if (doc.xeroContactId || !customer) return undefined;
  if (doc.contactByName) {
    const found = await contactNamed(deps, input, customer, { skip: staleId, mayCreate: why === 'missing' });
    return found?.contactId;
  }
  const { db } = deps;
  // Keyed apart from first resolutions: one of those may be returning the stale link right now.
  return once(input.accountId, `relink\u0000${customer.id}`, async () => {
    const link = await db
      .selectFrom('entity_links')
      .select(['xero_id', 'data'])
      .where('account_id', '=', input.accountId)
      .where('kind', '=', 'contact')
      .where('host_id', '=', customer.id)
      .executeTakeFirst();
    // Another document of the customer replaced it already.
    if (link && link.xero_id !== staleId) return link.xero_id;
    const earlier = (link?.data as { replaced?: unknown } | undefined)?.replaced;
    const replaced = [...(Array.isArray(earlier) ? earlier.filter((x) => typeof x === 'string') : []), staleId];
    const found = await findOrCreate(deps, input, customer, {
      keyQualifiers: ['relink', staleId],
      skip: staleId,
      mayCreate: why === 'missing',
    });
    if (!found?.contact.contactID) return undefined;
    const { contact, action } = found;
    const contactId = contact.contactID!;
    await commitXeroResult(db, async (trx) => {
      await deleteLink(trx, input.accountId, 'contact', customer.id);
      await upsertLink(trx, input.accountId, 'contact', customer.id, contactId, contact.contactNumber ?? null, {
        name: contact.name,
        // The workflows that still carry a replaced id write with this one (live-contact.ts).
        replaced: [...new Set(replaced)].slice(-20),
      });
      // The engine's copy of Xero's contacts must not offer the missing contact again.
      if (why === 'missing')
        await trx
          .deleteFrom('xero_contacts')
          .where('account_id', '=', input.accountId)
          .where('contact_id', '=', staleId)
          .execute();
      await writeSyncLog(trx, input, {
        kind: 'contact',
        action: 'relink',
        outcome: 'success',
        xeroId: contactId,
        message: `the linked Xero contact ${staleId} ${why === 'missing' ? 'no longer exists in Xero' : 'is archived'}: ${action === 'create' ? 'created' : 'linked'} contact "${contact.name}" instead`,
      });
    });
    return contactId;
  });
}

/** CRM contacts: found by name, or created (without a ContactNumber: the host keeps no id for them here). */
async function contactNamed(
  { db, xero }: Deps,
  input: Base,
  customer: Customer,
  opts: { skip?: string; mayCreate: boolean } = { mayCreate: true },
): Promise<{ contactId: string } | undefined> {
  const settings = await settingsOf(db, input.accountId);
  const gw = xero.forAccount(input.accountId);
  const wanted = contactFor(customer, settings);
  delete wanted.contactNumber;
  const active = (cs: Contact[]) => cs.find((c) => isActive(c) && c.contactID !== opts.skip);
  let contact = active(await gw.contactsNamed(wanted.name ?? ''));
  let action = 'match_name';
  if (!contact) {
    if (!opts.mayCreate) return undefined;
    try {
      contact = await gw.createContact(wanted, {
        idempotencyKey: writeKey(
          input.workflowId,
          'contact',
          wanted.name ?? '',
          ...(opts.skip ? ['relink', opts.skip] : []),
        ),
      });
      action = 'create';
    } catch (err) {
      if (!(err instanceof XeroApiError) || err.kind !== 'validation') throw err;
      contact = active(await gw.contactsNamed(wanted.name ?? ''));
      if (!contact) throw err;
      action = 'match_after_race';
    }
  }
  await writeSyncLog(db, input, {
    kind: 'contact',
    action: opts.skip ? 'relink' : action,
    outcome: 'success',
    xeroId: contact.contactID ?? null,
    message: `${opts.skip ? `the Xero contact ${opts.skip} is gone or archived: ` : ''}${action === 'create' ? 'created' : 'found'} contact "${contact.name}" by name`,
  });
  return { contactId: contact.contactID! };
}

/** The order's customer as a Xero contact. */
export function createContactActivities(deps: OrderModuleDeps) {
  const { db, xero } = deps;

  async function resolveContactOnce(input: Base & { customer: Customer }): Promise<string | undefined> {
    const { customer } = input;
    const known = await linkedXeroId(db, input.accountId, 'contact', customer.id);
    if (known !== undefined) return known;
    const found = await findOrCreate(deps, input, customer, { keyQualifiers: [], mayCreate: true });
    const { contact, action } = found!;
    const contactId = contact.contactID!;
    await commitXeroResult(db, async (trx) => {
      await upsertLink(trx, input.accountId, 'contact', customer.id, contactId, contact.contactNumber ?? null, {
        name: contact.name,
      });
      await writeSyncLog(trx, input, {
        kind: 'contact',
        action,
        outcome: 'success',
        xeroId: contactId,
        message: `${action === 'create' ? 'created' : 'linked'} contact "${contact.name}"`,
      });
    });
    return contactId;
  }

  /** A contact the host chose in Xero: used as it is, once Xero confirms it exists. */
  async function chosenContact(input: Base, contactId: string): Promise<{ contactId: string }> {
    let found: string | undefined;
    try {
      const body = await xero.call(input.accountId, (api, t) => api.getContact(t, contactId));
      const c = body.contacts?.[0];
      if (c && String(c.contactStatus ?? 'ACTIVE') !== 'ARCHIVED') found = c.contactID;
    } catch (err) {
      if (!(err instanceof XeroApiError && err.kind === 'not_found')) throw err;
    }
    if (!found)
      throw businessFailure(
        'not_found',
        `the Xero contact ${contactId} does not exist or is archived (deleted or merged in Xero?): choose another contact and send the document again`,
        { xeroContactId: contactId },
      );
    return { contactId: found };
  }

  return {
    /**
     * The Xero contact for the document: a contact the host chose in Xero; a CRM contact by name;
     * else the host customer's stored link, else by ContactNumber, else by exact name, else a new one.
     * A stored link Xero no longer knows is found when a document is refused for it, and replaced
     * then (`replaceStaleContact`): checking it here would cost a call on every order.
     */
    async resolveContact(
      input: Base & { customer: Customer; xeroContactId?: string; byName?: boolean },
    ): Promise<{ contactId: string }> {
      if (input.xeroContactId) return chosenContact(input, input.xeroContactId);
      if (input.byName) return (await contactNamed(deps, input, input.customer))!;
      const contactId = await once(input.accountId, input.customer.id, () => resolveContactOnce(input));
      return { contactId: contactId! };
    },
  };
}
