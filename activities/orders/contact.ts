import { contactFor } from '../../src/domain/invoice-mapping';
import type { Customer } from '../../src/domain/order';
import { businessFailure } from '../../src/orders/failures';
import { XeroApiError } from '../../src/xero/errors';
import { settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { linkedXeroId, upsertLink } from './links';
import { writeKey, type Base, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/** The order's customer as a Xero contact. */
export function createContactActivities({ db, xero }: OrderModuleDeps) {
  const contactsInFlight = new Map<string, Promise<{ contactId: string }>>();

  async function resolveContactOnce(input: Base & { customer: Customer }): Promise<{ contactId: string }> {
    const { customer } = input;
    const known = await linkedXeroId(db, input.accountId, 'contact', customer.id);
    if (known !== undefined) return { contactId: known };
    const settings = await settingsOf(db, input.accountId);
    const gw = xero.forAccount(input.accountId);
    const wanted = contactFor(customer, settings);
    let contact = await gw.contactByNumber(customer.id);
    let action = 'match_number';
    if (!contact) {
      const named = await gw.contactsNamed(wanted.name ?? '');
      contact = named.find((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE') ?? undefined;
      action = 'match_name';
    }
    if (!contact) {
      try {
        contact = await gw.createContact(wanted, {
          idempotencyKey: writeKey(input.workflowId, 'contact', customer.id),
        });
        action = 'create';
      } catch (err) {
        // Two orders of one new customer race: both searched, found nothing and created; Xero
        // refuses the loser (name and ContactNumber are unique). The winner's contact is the one.
        if (!(err instanceof XeroApiError) || err.kind !== 'validation') throw err;
        contact =
          (await gw.contactByNumber(customer.id)) ??
          (await gw.contactsNamed(wanted.name ?? '')).find((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE');
        if (!contact) throw err;
        action = 'match_after_race';
      }
    }
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
    return { contactId };
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

  /** CRM contacts: found by name, or created (without a ContactNumber: the host keeps no id for them here). */
  async function contactByName(input: Base, customer: Customer): Promise<{ contactId: string }> {
    const settings = await settingsOf(db, input.accountId);
    const gw = xero.forAccount(input.accountId);
    const wanted = contactFor(customer, settings);
    delete wanted.contactNumber;
    const active = (cs: Awaited<ReturnType<typeof gw.contactsNamed>>) =>
      cs.find((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE');
    let contact = active(await gw.contactsNamed(wanted.name ?? ''));
    let action = 'match_name';
    if (!contact) {
      try {
        contact = await gw.createContact(wanted, {
          idempotencyKey: writeKey(input.workflowId, 'contact', wanted.name ?? ''),
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
      action,
      outcome: 'success',
      xeroId: contact.contactID ?? null,
      message: `${action === 'create' ? 'created' : 'found'} contact "${contact.name}" by name`,
    });
    return { contactId: contact.contactID! };
  }

  return {
    /**
     * The Xero contact for the document: a contact the host chose in Xero; a CRM contact by name;
     * else the host customer's stored link, else by ContactNumber, else by exact name, else a new one.
     */
    async resolveContact(
      input: Base & { customer: Customer; xeroContactId?: string; byName?: boolean },
    ): Promise<{ contactId: string }> {
      if (input.xeroContactId) return chosenContact(input, input.xeroContactId);
      if (input.byName) return contactByName(input, input.customer);
      // Orders of one new customer often arrive together: within this worker they share one lookup
      // (and one create); across workers the loser of the race links to the winner's contact.
      const key = `${input.accountId}\u0000${input.customer.id}`;
      const running = contactsInFlight.get(key);
      if (running) return running;
      const resolving = resolveContactOnce(input).finally(() => contactsInFlight.delete(key));
      contactsInFlight.set(key, resolving);
      return resolving;
    },
  };
}
