import type { AccountingApi, Contact, Invoice } from 'xero-node';

/**
 * Finding a document or contact again by a value Xero accepted, whatever characters it holds. Xero
 * gives three ways, each with a hole:
 * - `InvoiceNumbers=a,b` (and `IDs=`, `ContactIDs=`) split the list at every comma, so `a,b` is two numbers;
 * - a `where` string literal has no escape (a backslash is a plain character; `\"` is a syntax error),
 *   so a value holding `"` cannot be written at all;
 * - `searchTerm` is a case-insensitive "contains" search, so it finds neighbours as well.
 * Each value takes the first way that can express it, and every answer is compared exactly in code.
 * An error always propagates: a failed look-up must never pass for "not found", or the caller
 * creates a duplicate.
 */

export type XeroRawCall = <T>(
  accountId: string,
  run: (api: AccountingApi, tenantId: string) => Promise<{ response: { headers?: unknown }; body: T }>,
) => Promise<T>;

/** Results per searchTerm page; paging continues until a page comes back short. */
export const SEARCH_PAGE_SIZE = 100;

/** `"value"` as a `where` literal, or undefined when no literal can express it (it holds `"`). */
export function whereLiteral(value: string): string | undefined {
  return value.includes('"') ? undefined : `"${value}"`;
}

/**
 * Whether a number can go in an `InvoiceNumbers=` list: no comma (the list's separator) and no quote
 * (list values are not quoted in Xero's documentation, so what a quote does there is unknown).
 */
export function fitsNumberList(value: string): boolean {
  return value !== '' && !/[,"]/.test(value);
}

async function everyPage<T>(read: (page: number) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; ; page++) {
    const items = await read(page);
    all.push(...items);
    if (items.length < SEARCH_PAGE_SIZE) return all;
  }
}

/** Invoices with exactly these numbers (each fitsNumberList), in one `InvoiceNumbers=` request. */
export async function invoicesInNumberList(
  call: XeroRawCall,
  accountId: string,
  numbers: string[],
): Promise<Invoice[]> {
  const unfit = numbers.find((n) => !fitsNumberList(n));
  if (unfit !== undefined)
    throw new Error(`invoice number ${JSON.stringify(unfit)} cannot go in an InvoiceNumbers list`);
  const wanted = new Set(numbers);
  const body = await call(accountId, (api, t) =>
    api.getInvoices(t, undefined, undefined, undefined, undefined, [...wanted]),
  );
  return (body.invoices ?? []).filter((i) => wanted.has(i.invoiceNumber ?? ''));
}

/**
 * Every invoice with exactly this number, any number at all: a list request when the number fits
 * one, else `where=InvoiceNumber=="…"`, else (it holds `"`) searchTerm paged to the end.
 */
export async function invoicesNumberedExactly(
  call: XeroRawCall,
  accountId: string,
  number: string,
): Promise<Invoice[]> {
  if (fitsNumberList(number)) return invoicesInNumberList(call, accountId, [number]);
  const exact = (invoices: Invoice[] | undefined) => (invoices ?? []).filter((i) => i.invoiceNumber === number);
  const literal = whereLiteral(number);
  if (literal !== undefined) {
    const body = await call(accountId, (api, t) => api.getInvoices(t, undefined, `InvoiceNumber==${literal}`));
    return exact(body.invoices);
  }
  return exact(
    await everyPage(async (page) => {
      const body = await call(accountId, (api, t) =>
        api.getInvoices(
          t,
          undefined,
          undefined,
          'InvoiceID ASC',
          undefined,
          undefined,
          undefined,
          undefined,
          page,
          undefined,
          undefined,
          undefined,
          undefined,
          SEARCH_PAGE_SIZE,
          number,
        ),
      );
      return body.invoices ?? [];
    }),
  );
}

export interface ContactNameLookup {
  /** Archived contacts too (Xero lists active ones only by default). */
  includeArchived?: boolean;
}

/**
 * Contacts with this name ignoring case, as Xero's uniqueness rule counts them:
 * `where=Name.ToLower()=="…"`, or for a name holding `"` a searchTerm read to the last page,
 * compared in code.
 */
export async function contactsNamedVia(
  call: XeroRawCall,
  accountId: string,
  name: string,
  opts: ContactNameLookup = {},
): Promise<Contact[]> {
  // Xero keeps contact names unique ignoring case, but its `==` keeps case: compare lower-cased.
  const literal = whereLiteral(name.toLowerCase());
  if (literal !== undefined) {
    const body = await call(accountId, (api, t) =>
      api.getContacts(
        t,
        undefined,
        `Name!=null&&Name.ToLower()==${literal}`,
        undefined,
        undefined,
        undefined,
        opts.includeArchived,
      ),
    );
    return body.contacts ?? [];
  }
  const same = (c: Contact) => (c.name ?? '').toLowerCase() === name.toLowerCase();
  const found = await everyPage(async (page) => {
    const body = await call(accountId, (api, t) =>
      api.getContacts(
        t,
        undefined,
        undefined,
        'ContactID ASC',
        undefined,
        page,
        opts.includeArchived,
        undefined,
        name,
        SEARCH_PAGE_SIZE,
      ),
    );
    return body.contacts ?? [];
  });
  return found.filter(same);
}
