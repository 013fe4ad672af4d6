import type { AccountingApi, Contact } from 'xero-node';
import { XeroApiError } from '../xero/errors';
import { contactsNamedVia } from '../xero/lookups';
import type { ReferenceDataKind } from '../db/schema-contact-sync';

/**
 * Every Xero call contact sync makes, one request each, through the gateway's door (`XeroGateway.call`:
 * fresh token, shared per-tenant rate limiter, typed errors, one refresh after a 401). Batches always
 * send summarizeErrors=false: without it one bad contact turns the answer into a 400 while the good
 * ones are still created (xero-facts.md), and a retry would duplicate them.
 */

export type XeroCall = <T>(
  accountId: string,
  run: (api: AccountingApi, tenantId: string) => Promise<{ response: { headers?: unknown }; body: T }>,
) => Promise<T>;

export interface XeroDeps {
  call: XeroCall;
}

export interface ContactsPage {
  contacts: Contact[];
  /** Xero's item count across pages, when it sends one. */
  itemCount: number | null;
  /** Xero's clock when it answered (the Date header): the next pull's checkpoint is taken from it, not ours. */
  serverTime: Date | null;
}

/**
 * One page of contacts changed since `since` (every contact when undefined), archived ones
 * included. Ordered by ContactID, which never changes: a contact edited while we page stays where
 * it was, so paging can repeat a contact (harmless) but never skip one.
 */
export async function getContactsPage(
  xero: XeroDeps,
  accountId: string,
  opts: { since?: Date; page: number; pageSize: number },
): Promise<ContactsPage> {
  let date: string | undefined;
  const body = await xero.call(accountId, async (api, tenantId) => {
    const r = await api.getContacts(
      tenantId,
      opts.since,
      undefined,
      'ContactID ASC',
      undefined,
      opts.page,
      true,
      undefined,
      undefined,
      opts.pageSize,
    );
    date = headerOf(r.response.headers, 'date');
    return r;
  });
  const serverTime = date ? new Date(date) : null;
  return {
    contacts: body.contacts ?? [],
    itemCount: body.pagination?.itemCount ?? null,
    serverTime: serverTime && !Number.isNaN(serverTime.getTime()) ? serverTime : null,
  };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const value = (headers as Record<string, unknown>)[name];
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * Active and archived contacts of exactly this name (Xero compares names without case). A name with
 * `"` cannot be put in a `where` literal (no escape exists): it is searched and compared in code.
 */
export async function findContactsByName(xero: XeroDeps, accountId: string, name: string): Promise<Contact[]> {
  return contactsNamedVia(xero.call, accountId, name, { includeArchived: true });
}

/** The contact carrying this ContactNumber (the host id), if any. */
export async function findContactByNumber(
  xero: XeroDeps,
  accountId: string,
  contactNumber: string,
): Promise<Contact | undefined> {
  try {
    const body = await xero.call(accountId, (api, t) => api.getContactByContactNumber(t, contactNumber));
    return body.contacts?.[0];
  } catch (thrown) {
    if (thrown instanceof XeroApiError && thrown.kind === 'not_found') return undefined;
    throw thrown;
  }
}

/** PUT /Contacts: creates; one result per element, in order. */
export async function createContacts(
  xero: XeroDeps,
  accountId: string,
  contacts: Contact[],
  idempotencyKey: string,
): Promise<Contact[]> {
  const body = await xero.call(accountId, (api, t) => api.createContacts(t, { contacts }, false, idempotencyKey));
  return body.contacts ?? [];
}

/** POST /Contacts with ContactIDs: updates; one result per element, in order. */
export async function updateContacts(
  xero: XeroDeps,
  accountId: string,
  contacts: Contact[],
  idempotencyKey: string,
): Promise<Contact[]> {
  const body = await xero.call(accountId, (api, t) =>
    api.updateOrCreateContacts(t, { contacts }, false, idempotencyKey),
  );
  return body.contacts ?? [];
}

/** A batch element's own errors (empty when it was written). */
export function elementErrors(c: Contact): string[] {
  const messages = (c.validationErrors ?? []).map((v) => v.message ?? '').filter(Boolean);
  if (
    messages.length === 0 &&
    (c.hasValidationErrors || String(c.statusAttributeString ?? '').toUpperCase() === 'ERROR')
  )
    return ['Xero refused the contact'];
  return messages;
}

export const isDuplicateNameError = (m: string) => /contact name .* is already assigned to another contact/i.test(m);
export const isDuplicateNumberError = (m: string) =>
  /contact number .* is already assigned to another contact/i.test(m);

/** Reference data as the host reads it: Xero's objects, as xero-node parsed them. */
export async function getReferenceData(xero: XeroDeps, accountId: string, kind: ReferenceDataKind): Promise<unknown[]> {
  switch (kind) {
    case 'accounts':
      return (await xero.call(accountId, (api, t) => api.getAccounts(t))).accounts ?? [];
    case 'tax-rates':
      return (await xero.call(accountId, (api, t) => api.getTaxRates(t))).taxRates ?? [];
    case 'items':
      return (await xero.call(accountId, (api, t) => api.getItems(t))).items ?? [];
    case 'tracking-categories':
      return (
        (await xero.call(accountId, (api, t) => api.getTrackingCategories(t, undefined, undefined, true)))
          .trackingCategories ?? []
      );
    case 'currencies':
      return (await xero.call(accountId, (api, t) => api.getCurrencies(t))).currencies ?? [];
  }
}
