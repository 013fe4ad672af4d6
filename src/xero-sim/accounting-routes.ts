import type { ApiContext } from './api-context';
import type { SimResponse } from './answers';
import { getAttachmentContent, listAttachments, uploadAttachment } from './attachments';
import { getContact, getContacts, writeContacts } from './contacts';
import { getCurrencies } from './currencies';
import {
  allocateCreditNote,
  deleteCreditNoteAllocation,
  getCreditNote,
  getCreditNotes,
  writeCreditNotes,
} from './credit-notes';
import { getInvoice, getInvoices, getOnlineInvoice, writeInvoices } from './invoices';
import { writeItems } from './items';
import { createPayments, deletePayment, getPayment, getPayments } from './payments';
import {
  getAccount,
  getAccounts,
  getBrandingThemes,
  getItem,
  getItems,
  getOrganisation,
  getTaxRate,
  getTaxRates,
  getTrackingCategories,
  getTrackingCategory,
} from './reference-data';

/**
 * The accounting endpoints the simulator serves, below /api.xro/2.0. Literal segments match
 * without case (Xero's paths do); `:x` captures a segment. Each route names the scopes that may
 * call it (the granular ones and the broad ones older apps still use).
 */

type Handler = (ctx: ApiContext, params: string[]) => SimResponse;

export interface Route {
  method: string;
  segments: string[];
  scopes: string[];
  /** The raw body is the payload (attachments), not JSON. */
  rawBody?: boolean;
  handler: Handler;
}

const SETTINGS = ['accounting.settings'];
const INVOICES = ['accounting.invoices', 'accounting.transactions'];
const PAYMENTS = ['accounting.payments', 'accounting.transactions'];
const CONTACTS = ['accounting.contacts'];
const ATTACHMENTS = ['accounting.attachments'];
const ITEMS = ['accounting.invoices', 'accounting.settings', 'accounting.transactions'];

const r = (method: string, path: string, scopes: string[], handler: Handler, rawBody = false): Route => ({
  method,
  segments: path.split('/').filter(Boolean),
  scopes,
  handler,
  rawBody,
});

export const ROUTES: Route[] = [
  r('GET', 'Organisation', SETTINGS, getOrganisation),
  r('GET', 'Accounts', SETTINGS, getAccounts),
  r('GET', 'Accounts/:id', SETTINGS, (c, [id]) => getAccount(c, id!)),
  r('GET', 'TaxRates', SETTINGS, getTaxRates),
  r('GET', 'TaxRates/:type', SETTINGS, (c, [t]) => getTaxRate(c, t!)),
  r('GET', 'TrackingCategories', SETTINGS, getTrackingCategories),
  r('GET', 'TrackingCategories/:id', SETTINGS, (c, [id]) => getTrackingCategory(c, id!)),
  r('GET', 'BrandingThemes', SETTINGS, getBrandingThemes),
  r('GET', 'Currencies', SETTINGS, getCurrencies),
  r('GET', 'Items', ITEMS, getItems),
  r('GET', 'Items/:id', ITEMS, (c, [id]) => getItem(c, id!)),
  r('PUT', 'Items', ITEMS, (c) => writeItems(c, 'create')),
  r('POST', 'Items', ITEMS, (c) => writeItems(c, 'upsert')),

  r('GET', 'Contacts', CONTACTS, getContacts),
  r('PUT', 'Contacts', CONTACTS, (c) => writeContacts(c, 'create')),
  r('POST', 'Contacts', CONTACTS, (c) => writeContacts(c, 'upsert')),
  r('GET', 'Contacts/:key', CONTACTS, (c, [k]) => getContact(c, k!)),
  r('POST', 'Contacts/:key', CONTACTS, (c, [k]) => writeContacts(c, 'upsert', k)),

  r('GET', 'Invoices', INVOICES, getInvoices),
  r('PUT', 'Invoices', INVOICES, (c) => writeInvoices(c, 'create')),
  r('POST', 'Invoices', INVOICES, (c) => writeInvoices(c, 'upsert')),
  r('GET', 'Invoices/:key', INVOICES, (c, [k]) => getInvoice(c, k!)),
  r('POST', 'Invoices/:key', INVOICES, (c, [k]) => writeInvoices(c, 'upsert', k)),
  r('GET', 'Invoices/:key/OnlineInvoice', INVOICES, (c, [k]) => getOnlineInvoice(c, k!)),
  r('GET', 'Invoices/:key/Attachments', ATTACHMENTS, (c, [k]) => listAttachments(c, 'Invoices', k!)),
  r('GET', 'Invoices/:key/Attachments/:name', ATTACHMENTS, (c, [k, n]) => getAttachmentContent(c, 'Invoices', k!, n!)),
  r(
    'PUT',
    'Invoices/:key/Attachments/:name',
    ATTACHMENTS,
    (c, [k, n]) => uploadAttachment(c, 'Invoices', k!, n!),
    true,
  ),
  r(
    'POST',
    'Invoices/:key/Attachments/:name',
    ATTACHMENTS,
    (c, [k, n]) => uploadAttachment(c, 'Invoices', k!, n!),
    true,
  ),

  r('GET', 'Payments', PAYMENTS, getPayments),
  r('PUT', 'Payments', PAYMENTS, createPayments),
  r('POST', 'Payments', PAYMENTS, createPayments),
  r('GET', 'Payments/:id', PAYMENTS, (c, [id]) => getPayment(c, id!)),
  r('POST', 'Payments/:id', PAYMENTS, (c, [id]) => deletePayment(c, id!)),

  r('GET', 'CreditNotes', INVOICES, getCreditNotes),
  r('PUT', 'CreditNotes', INVOICES, (c) => writeCreditNotes(c, 'create')),
  r('POST', 'CreditNotes', INVOICES, (c) => writeCreditNotes(c, 'upsert')),
  r('GET', 'CreditNotes/:key', INVOICES, (c, [k]) => getCreditNote(c, k!)),
  r('POST', 'CreditNotes/:key', INVOICES, (c, [k]) => writeCreditNotes(c, 'upsert', k)),
  r('PUT', 'CreditNotes/:key/Allocations', INVOICES, (c, [k]) => allocateCreditNote(c, k!)),
  r('DELETE', 'CreditNotes/:key/Allocations/:id', INVOICES, (c, [k, id]) => deleteCreditNoteAllocation(c, k!, id!)),
  r('GET', 'CreditNotes/:key/Attachments', ATTACHMENTS, (c, [k]) => listAttachments(c, 'CreditNotes', k!)),
  r('GET', 'CreditNotes/:key/Attachments/:name', ATTACHMENTS, (c, [k, n]) =>
    getAttachmentContent(c, 'CreditNotes', k!, n!),
  ),
  r(
    'PUT',
    'CreditNotes/:key/Attachments/:name',
    ATTACHMENTS,
    (c, [k, n]) => uploadAttachment(c, 'CreditNotes', k!, n!),
    true,
  ),
  r(
    'POST',
    'CreditNotes/:key/Attachments/:name',
    ATTACHMENTS,
    (c, [k, n]) => uploadAttachment(c, 'CreditNotes', k!, n!),
    true,
  ),
];

export function matchRoute(method: string, segments: string[]): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < segments.length; i++) {
      const want = route.segments[i]!;
      const got = segments[i]!;
      if (want.startsWith(':')) params.push(got);
      else if (want.toLowerCase() !== got.toLowerCase()) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params };
  }
  return undefined;
}

/** A token's scopes allow a route when it holds one of the route's scopes (or its `.read` form, for GET). */
export function scopeAllows(route: Route, granted: string[]): boolean {
  return route.scopes.some((s) => granted.includes(s) || (route.method === 'GET' && granted.includes(`${s}.read`)));
}
