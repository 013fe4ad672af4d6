import { z } from 'zod';
import type { Contact } from 'xero-node';
import { identifier } from '../domain/text';
import type { XeroGateway } from './gateway';

/**
 * The host's contact picker: Xero's own `searchTerm` on GET /Contacts — a case-insensitive
 * "contains" across Name, FirstName, LastName, ContactNumber and EmailAddress — one page of at most
 * CONTACT_SEARCH_LIMIT. Read live (one call, one limiter permit) rather than from the contact mirror,
 * which is only as fresh as the last scheduled pull. Archived contacts are left out: Xero lists only
 * active ones unless asked, and they are dropped here too, as a picker must never offer one.
 */

export const CONTACT_SEARCH_LIMIT = 20;

/** What the host types: trimmed, 1–100 characters (UTF-16 units, as Xero counts), one line, no control characters. */
export const contactSearchTermSchema = identifier(100, { empty: 'required' });

export const contactSearchHitSchema = z.object({
  xeroContactId: z.string(),
  name: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  contactNumber: z.string().optional(),
  isCustomer: z.boolean().optional(),
  isSupplier: z.boolean().optional(),
});
export type ContactSearchHit = z.infer<typeof contactSearchHitSchema>;

/** Xero leaves empty fields out or sends them empty: the host sees neither. */
const present = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

export function contactSearchHit(c: Contact): ContactSearchHit | undefined {
  // ARCHIVED (and GDPRREQUEST) contacts cannot be used on a new document.
  if (!c.contactID || String(c.contactStatus ?? 'ACTIVE') !== 'ACTIVE') return undefined;
  const hit: Record<keyof ContactSearchHit, unknown> = {
    xeroContactId: c.contactID,
    name: c.name ?? '',
    firstName: present(c.firstName),
    lastName: present(c.lastName),
    email: present(c.emailAddress),
    contactNumber: present(c.contactNumber),
    isCustomer: c.isCustomer,
    isSupplier: c.isSupplier,
  };
  return contactSearchHitSchema.parse(Object.fromEntries(Object.entries(hit).filter(([, v]) => v !== undefined)));
}

/**
 * Active Xero contacts matching `term`, the first CONTACT_SEARCH_LIMIT as Xero orders them. Errors
 * propagate (NotConnectedError, XeroApiError, RateLimitWaitError): a failed search is never "no match".
 */
export async function searchXeroContacts(
  call: XeroGateway['call'],
  accountId: string,
  term: string,
): Promise<ContactSearchHit[]> {
  const body = await call(accountId, (api, tenantId) =>
    api.getContacts(
      tenantId,
      undefined, // If-Modified-Since
      undefined, // where
      undefined, // order
      undefined, // IDs
      1, // page: pageSize only applies to a paged read
      false, // includeArchived
      true, // summaryOnly: no addresses, phones or groups — the picker shows none of them
      term,
      CONTACT_SEARCH_LIMIT,
    ),
  );
  return (body.contacts ?? []).flatMap((c) => contactSearchHit(c) ?? []).slice(0, CONTACT_SEARCH_LIMIT);
}
