import type { Contact } from 'xero-node';
import type { Db } from '../../src/db/database';
import type { HostDocument } from '../../src/domain/documents';
import { XeroApiError } from '../../src/xero/errors';
import { replaceStaleContact } from './contact';
import type { Base, OrderModuleDeps } from './shared';

/**
 * A document's contact is a stored link (entity_links kind 'contact', or the workflow's copy of it):
 * Xero may no longer have it — deleted or merged there, or Xero (the demo's simulator) was reset.
 * Xero then refuses the document naming the ContactID, and the write is sent again once with the
 * customer's contact found again or created (see `replaceStaleContact`), instead of failing for good.
 */

const MISSING = /contact with the ContactID (\S+?) could not be found/i;
const ARCHIVED = /^The contact .+ has been archived/i;

/** Why Xero refused a document for its contact `contactId`: gone, archived, or not for that reason. */
export function staleContactRefusal(err: unknown, contactId: string): 'missing' | 'archived' | undefined {
  if (!(err instanceof XeroApiError) || err.kind !== 'validation') return undefined;
  const id = contactId.toLowerCase();
  if (err.validationMessages.some((m) => MISSING.exec(m)?.[1]?.toLowerCase() === id)) return 'missing';
  if (err.validationMessages.some((m) => ARCHIVED.test(m.trim()))) return 'archived';
  return undefined;
}

/**
 * The document's contact as it stands: the workflow carries the contact it resolved, which a later
 * replacement of a stale link (see `replaceStaleContact`: the link keeps the ids it `replaced`)
 * supersedes — one read of the database, no call to Xero.
 */
export async function liveContactId(db: Db, input: Base & { order: HostDocument; contactId: string }): Promise<string> {
  const customer = input.order.customer;
  if (input.order.xeroContactId || input.order.contactByName || !customer) return input.contactId;
  const row = await db
    .selectFrom('entity_links')
    .select(['xero_id', 'data'])
    .where('account_id', '=', input.accountId)
    .where('kind', '=', 'contact')
    .where('host_id', '=', customer.id)
    .executeTakeFirst();
  const replaced = (row?.data as { replaced?: unknown } | null | undefined)?.replaced;
  return row && Array.isArray(replaced) && replaced.includes(input.contactId) ? row.xero_id : input.contactId;
}

/** The payload for another contact (the mapping put the workflow's contact there). */
export function withContact<T extends { contact?: Contact }>(payload: T, contactId: string): T {
  payload.contact = { contactID: contactId };
  return payload;
}

/**
 * Runs a document write for its contact; when Xero refuses it because that contact is gone (or
 * archived, with an active successor), once more for the contact resolved again. `relinked` tells
 * the write to use another Idempotency-Key (Xero keeps the refused answer under the first). Returns
 * the contact the write went through with, for the links.
 */
export async function withLiveContact<T>(
  deps: Pick<OrderModuleDeps, 'db' | 'xero'>,
  input: Base & { order: HostDocument; contactId: string },
  write: (contactId: string, relinked: boolean) => Promise<T>,
): Promise<{ result: T; contactId: string }> {
  try {
    return { result: await write(input.contactId, false), contactId: input.contactId };
  } catch (err) {
    const why = staleContactRefusal(err, input.contactId);
    if (!why) throw err;
    const fresh = await replaceStaleContact(deps, input, input.order, input.contactId, why);
    if (!fresh || fresh === input.contactId) throw err;
    return { result: await write(fresh, true), contactId: fresh };
  }
}
