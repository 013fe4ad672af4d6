import type { Contact } from 'xero-node';
import { z } from 'zod';
import type { XeroCall } from '../contact-sync/xero-contacts';
import type { XeroDocumentCopy, XeroLineCopy, XeroPaymentCopy } from './contract';

/**
 * The intake's Xero reads, each one request through the gateway's door (token, shared per-tenant
 * limiter, typed errors), and Xero's answers normalised to the contract's copies. Every read that
 * takes ids takes at most 50 of them (Xero's comma lists and long `where` clauses fail beyond that).
 */

export const MAX_IDS_PER_READ = 50;

/** Counts the calls made, so batches and runs can report what they cost. */
export interface CountingXero {
  call: XeroCall;
  calls: number;
}

export function countingXero(call: XeroCall): CountingXero {
  const counter: CountingXero = {
    calls: 0,
    call: (accountId, run) => {
      counter.calls++;
      return call(accountId, run);
    },
  };
  return counter;
}

// ---- Xero's answers (as xero-node parsed them): only the fields the comparison depends on ----

const text = z.union([z.string(), z.number()]).transform(String);
const num = z.union([z.number(), z.string().transform(Number)]).pipe(z.number().finite());

const lineSchema = z.object({
  lineItemID: z.string().optional(),
  description: z.string().optional(),
  quantity: num.optional(),
  unitAmount: num.optional(),
  accountCode: z.string().optional(),
  taxType: z.string().optional(),
  itemCode: z.string().optional(),
  discountRate: num.optional(),
  lineAmount: num.optional(),
  tracking: z.array(z.object({ name: z.string().optional(), option: z.string().optional() })).optional(),
});

const paymentSchema = z.object({
  paymentID: z.string(),
  amount: num.optional(),
  date: z.unknown(),
  reference: z.string().optional(),
  status: text.optional(),
  account: z.object({ code: z.string().optional(), accountID: z.string().optional() }).optional(),
});

const documentFields = {
  type: text,
  status: text,
  contact: z.object({ contactID: z.string().optional(), name: z.string().optional() }).optional(),
  date: z.unknown(),
  dueDate: z.unknown(),
  reference: z.string().optional(),
  currencyCode: text.optional(),
  lineAmountTypes: text.optional(),
  lineItems: z.array(lineSchema).optional(),
  subTotal: num.optional(),
  totalTax: num.optional(),
  total: num.optional(),
  payments: z.array(paymentSchema).optional(),
  updatedDateUTC: z.unknown(),
};

const invoiceSchema = z.object({
  invoiceID: z.string(),
  invoiceNumber: z.string().optional(),
  amountPaid: num.optional(),
  amountDue: num.optional(),
  ...documentFields,
});

const creditNoteSchema = z.object({
  creditNoteID: z.string(),
  creditNoteNumber: z.string().optional(),
  remainingCredit: num.optional(),
  ...documentFields,
});

/** Xero's "/Date(1539993600000+0000)/", an ISO string, or a Date (xero-node parses some fields) → epoch ms. */
export function xeroTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value);
  if (ms) return Number(ms[1]);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** A document date (YYYY-MM-DD); Xero's dates are days at UTC midnight. */
export function xeroDay(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  const t = xeroTime(value);
  return t === undefined ? undefined : new Date(t).toISOString().slice(0, 10);
}

function lineCopy(l: z.infer<typeof lineSchema>): XeroLineCopy {
  return {
    ...(l.lineItemID ? { lineItemId: l.lineItemID } : {}),
    ...(l.description !== undefined ? { description: l.description } : {}),
    ...(l.quantity !== undefined ? { quantity: l.quantity } : {}),
    ...(l.unitAmount !== undefined ? { unitAmount: l.unitAmount } : {}),
    ...(l.accountCode ? { accountCode: l.accountCode } : {}),
    ...(l.taxType ? { taxType: l.taxType } : {}),
    ...(l.itemCode ? { itemCode: l.itemCode } : {}),
    ...(l.discountRate !== undefined ? { discountRate: l.discountRate } : {}),
    ...(l.lineAmount !== undefined ? { lineAmount: l.lineAmount } : {}),
    tracking: (l.tracking ?? []).map((t) => ({ name: t.name ?? '', option: t.option ?? '' })),
  };
}

function paymentCopy(p: z.infer<typeof paymentSchema>): XeroPaymentCopy {
  return {
    paymentId: p.paymentID,
    amount: p.amount ?? 0,
    date: xeroDay(p.date) ?? '',
    ...(p.reference ? { reference: p.reference } : {}),
    ...(p.account?.code ? { accountCode: p.account.code } : {}),
    ...(p.status ? { status: p.status } : {}),
  };
}

function commonCopy(d: z.infer<z.ZodObject<typeof documentFields>>) {
  const date = xeroDay(d.date);
  const dueDate = xeroDay(d.dueDate);
  const updated = xeroTime(d.updatedDateUTC);
  return {
    type: d.type,
    status: d.status,
    contactId: d.contact?.contactID ?? '',
    ...(d.contact?.name ? { contactName: d.contact.name } : {}),
    ...(date ? { date } : {}),
    ...(dueDate ? { dueDate } : {}),
    ...(d.reference !== undefined ? { reference: d.reference } : {}),
    ...(d.currencyCode ? { currencyCode: d.currencyCode } : {}),
    ...(d.lineAmountTypes ? { lineAmountTypes: d.lineAmountTypes } : {}),
    lines: (d.lineItems ?? []).map(lineCopy),
    subTotal: d.subTotal ?? 0,
    totalTax: d.totalTax ?? 0,
    total: d.total ?? 0,
    payments: (d.payments ?? []).map(paymentCopy),
    updatedDateUtc: updated === undefined ? '' : new Date(updated).toISOString(),
  };
}

/** Xero's invoice (or bill) → the contract's copy; throws naming the field when Xero's answer lacks one we need. */
export function invoiceCopy(raw: unknown): XeroDocumentCopy {
  const d = invoiceSchema.parse(raw);
  return {
    family: 'invoice',
    xeroId: d.invoiceID,
    number: d.invoiceNumber ?? '',
    ...commonCopy(d),
    ...(d.amountPaid !== undefined ? { amountPaid: d.amountPaid } : {}),
    ...(d.amountDue !== undefined ? { amountDue: d.amountDue } : {}),
  };
}

export function creditNoteCopy(raw: unknown): XeroDocumentCopy {
  const d = creditNoteSchema.parse(raw);
  return {
    family: 'credit_note',
    xeroId: d.creditNoteID,
    number: d.creditNoteNumber ?? '',
    ...commonCopy(d),
    ...(d.remainingCredit !== undefined ? { amountDue: d.remainingCredit } : {}),
  };
}

// ---- reads by id (webhooks) ----

function chunks<T>(items: T[], size = MAX_IDS_PER_READ): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `Field==Guid("…") OR …`: ids are GUIDs (checked), so nothing in them can break the clause. */
function guidClause(field: string, ids: string[]): string {
  for (const id of ids) if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a Xero id: ${JSON.stringify(id)}`);
  return ids.map((id) => `${field}==Guid("${id}")`).join(' OR ');
}

/**
 * `GET /Invoices?IDs=…&page=1`: up to 50 per call, with their lines (Xero lists lines only on paged
 * reads) and payments. Voided and deleted ones are included (IDs asks for them by name).
 */
export async function invoicesByIds(xero: CountingXero, accountId: string, ids: string[]): Promise<XeroDocumentCopy[]> {
  const out: XeroDocumentCopy[] = [];
  for (const part of chunks(ids)) {
    const body = await xero.call(accountId, (api, t) =>
      api.getInvoices(t, undefined, undefined, undefined, part, undefined, undefined, undefined, 1, true, undefined, 4),
    );
    for (const inv of body.invoices ?? []) out.push(invoiceCopy(inv));
  }
  return out;
}

/** `GET /CreditNotes?where=CreditNoteID==Guid(…) OR …&page=1`: Xero's credit notes take no IDs list. */
export async function creditNotesByIds(
  xero: CountingXero,
  accountId: string,
  ids: string[],
): Promise<XeroDocumentCopy[]> {
  const out: XeroDocumentCopy[] = [];
  for (const part of chunks(ids)) {
    const body = await xero.call(accountId, (api, t) =>
      api.getCreditNotes(t, undefined, guidClause('CreditNoteID', part), undefined, 1, 4, MAX_IDS_PER_READ),
    );
    for (const cn of body.creditNotes ?? []) out.push(creditNoteCopy(cn));
  }
  return out;
}

/**
 * The bank account of payments the engine did not write: Xero's invoice lists its payments without
 * one, so one `GET /Payments?where=PaymentID==Guid(…) OR …` per 50 fills them in place.
 */
export async function fillPaymentAccounts(
  xero: CountingXero,
  accountId: string,
  copies: XeroDocumentCopy[],
  enginePaymentIds: ReadonlySet<string>,
): Promise<number> {
  const wanted = [
    ...new Set(
      copies.flatMap((c) =>
        c.payments.filter((p) => !p.accountCode && !enginePaymentIds.has(p.paymentId)).map((p) => p.paymentId),
      ),
    ),
  ];
  if (wanted.length === 0) return 0;
  const codes = new Map<string, string>();
  for (const part of chunks(wanted)) {
    const body = await xero.call(accountId, (api, t) =>
      api.getPayments(t, undefined, guidClause('PaymentID', part), undefined, 1, MAX_IDS_PER_READ),
    );
    for (const p of body.payments ?? []) if (p.paymentID && p.account?.code) codes.set(p.paymentID, p.account.code);
  }
  for (const c of copies)
    for (const p of c.payments) {
      const code = codes.get(p.paymentId);
      if (code && !p.accountCode) p.accountCode = code;
    }
  return wanted.length;
}

/** `GET /Contacts?IDs=…`: up to 50 per call, archived included. */
export async function contactsByIds(xero: CountingXero, accountId: string, ids: string[]): Promise<Contact[]> {
  const out: Contact[] = [];
  for (const part of chunks(ids)) {
    const body = await xero.call(accountId, (api, t) =>
      api.getContacts(t, undefined, undefined, undefined, part, undefined, true),
    );
    out.push(...(body.contacts ?? []));
  }
  return out;
}

// ---- reads by time (reconciliation) ----

export interface ChangedPage<T> {
  items: T[];
  /** Another page may follow (this one was full). */
  more: boolean;
}

/** Invoices (and bills) changed since `since`, one page, ordered by a key that never changes. */
export async function invoicesChangedSince(
  xero: CountingXero,
  accountId: string,
  since: Date | undefined,
  page: number,
  pageSize: number,
): Promise<ChangedPage<XeroDocumentCopy>> {
  const body = await xero.call(accountId, (api, t) =>
    api.getInvoices(
      t,
      since,
      undefined,
      'InvoiceID ASC',
      undefined,
      undefined,
      undefined,
      undefined,
      page,
      true,
      undefined,
      4,
      undefined,
      pageSize,
    ),
  );
  const items = (body.invoices ?? []).map(invoiceCopy);
  return { items, more: items.length >= pageSize };
}

export async function creditNotesChangedSince(
  xero: CountingXero,
  accountId: string,
  since: Date | undefined,
  page: number,
  pageSize: number,
): Promise<ChangedPage<XeroDocumentCopy>> {
  const body = await xero.call(accountId, (api, t) =>
    api.getCreditNotes(t, since, undefined, 'CreditNoteID ASC', page, 4, pageSize),
  );
  const items = (body.creditNotes ?? []).map(creditNoteCopy);
  return { items, more: items.length >= pageSize };
}

/** A payment changed in Xero, reduced to the document it belongs to. */
export interface ChangedPayment {
  paymentId: string;
  invoiceId?: string;
  creditNoteId?: string;
}

export async function paymentsChangedSince(
  xero: CountingXero,
  accountId: string,
  since: Date | undefined,
  page: number,
  pageSize: number,
): Promise<ChangedPage<ChangedPayment>> {
  const body = await xero.call(accountId, (api, t) =>
    api.getPayments(t, since, undefined, 'PaymentID ASC', page, pageSize),
  );
  const items = (body.payments ?? [])
    .filter((p) => !!p.paymentID)
    .map((p) => ({
      paymentId: p.paymentID!,
      ...(p.invoice?.invoiceID ? { invoiceId: p.invoice.invoiceID } : {}),
      ...(p.creditNote?.creditNoteID ? { creditNoteId: p.creditNote.creditNoteID } : {}),
    }));
  return { items, more: items.length >= pageSize };
}
