import type { CreditNote, Invoice, Payment } from 'xero-node';
import { z } from 'zod';
import type { XeroDocumentCopy, XeroLineCopy, XeroPaymentCopy } from './contract';

/**
 * "What the engine last wrote": Xero's answer to each engine write (create, revise, cancel, adopt),
 * normalised to the copy shape the intake hands in (contract.ts), so a later copy read from Xero is
 * compared field by field with like. Stored with the document's link (`entity_links.data.written`)
 * in the transaction of the link itself: a retry that commits the same answer writes the same copy.
 */

/** YYYY-MM-DD from xero-node's date forms ("/Date(ms+0000)/", ISO, a Date). */
function dayOf(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value !== 'string' || value === '') return undefined;
  const m = /\/Date\((-?\d+)/.exec(value);
  if (m) return new Date(Number(m[1])).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}

/** ISO date-time of UpdatedDateUTC ('' when Xero gave none: such a copy is never taken as newer). */
export function instantOf(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (typeof value !== 'string' || value === '') return '';
  const m = /\/Date\((-?\d+)/.exec(value);
  if (m) return new Date(Number(m[1])).toISOString();
  const ms = Date.parse(value.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

type XeroLine = NonNullable<Invoice['lineItems']>[number];

function lineCopy(l: XeroLine): XeroLineCopy {
  const out: XeroLineCopy = { tracking: [] };
  const set = <K extends keyof XeroLineCopy>(k: K, v: XeroLineCopy[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('lineItemId', str(l.lineItemID));
  set('description', str(l.description));
  set('quantity', num(l.quantity));
  set('unitAmount', num(l.unitAmount));
  set('accountCode', str(l.accountCode));
  set('taxType', str(l.taxType));
  set('itemCode', str(l.itemCode));
  set('discountRate', num(l.discountRate));
  set('lineAmount', num(l.lineAmount));
  out.tracking = (l.tracking ?? []).map((t) => ({ name: String(t.name ?? ''), option: String(t.option ?? '') }));
  return out;
}

export function paymentCopy(p: Payment): XeroPaymentCopy {
  return {
    paymentId: String(p.paymentID ?? ''),
    amount: Number(p.amount ?? 0),
    date: dayOf(p.date) ?? '',
    ...(str(p.reference) ? { reference: str(p.reference) } : {}),
    ...(str(p.account?.code) ? { accountCode: str(p.account?.code) } : {}),
    ...(str(p.status) ? { status: str(p.status) } : {}),
  };
}

interface CommonFields {
  type?: unknown;
  status?: unknown;
  contact?: { contactID?: string; name?: string };
  date?: unknown;
  dueDate?: unknown;
  reference?: unknown;
  currencyCode?: unknown;
  lineAmountTypes?: unknown;
  lineItems?: XeroLine[];
  subTotal?: unknown;
  totalTax?: unknown;
  total?: unknown;
  amountPaid?: unknown;
  amountDue?: unknown;
  remainingCredit?: unknown;
  payments?: Payment[];
  updatedDateUTC?: unknown;
}

function common(doc: CommonFields) {
  const out = {
    type: String(doc.type ?? ''),
    status: String(doc.status ?? ''),
    contactId: String(doc.contact?.contactID ?? ''),
    ...(str(doc.contact?.name) ? { contactName: str(doc.contact?.name) } : {}),
    ...(dayOf(doc.date) ? { date: dayOf(doc.date) } : {}),
    ...(dayOf(doc.dueDate) ? { dueDate: dayOf(doc.dueDate) } : {}),
    ...(str(doc.reference) ? { reference: str(doc.reference) } : {}),
    ...(str(doc.currencyCode) ? { currencyCode: str(doc.currencyCode) } : {}),
    ...(str(doc.lineAmountTypes) ? { lineAmountTypes: str(doc.lineAmountTypes) } : {}),
    lines: (doc.lineItems ?? []).map(lineCopy),
    subTotal: Number(doc.subTotal ?? 0),
    totalTax: Number(doc.totalTax ?? 0),
    total: Number(doc.total ?? 0),
    ...(num(doc.amountPaid) !== undefined ? { amountPaid: num(doc.amountPaid) } : {}),
    ...(num(doc.amountDue ?? doc.remainingCredit) !== undefined
      ? { amountDue: num(doc.amountDue ?? doc.remainingCredit) }
      : {}),
    payments: (doc.payments ?? []).filter((p) => p.paymentID).map(paymentCopy),
    updatedDateUtc: instantOf(doc.updatedDateUTC),
  };
  return out;
}

export function copyOfInvoice(inv: Invoice): XeroDocumentCopy {
  return {
    family: 'invoice',
    xeroId: String(inv.invoiceID ?? ''),
    number: String(inv.invoiceNumber ?? ''),
    ...common(inv as unknown as CommonFields),
  };
}

export function copyOfCreditNote(cn: CreditNote): XeroDocumentCopy {
  return {
    family: 'credit_note',
    xeroId: String(cn.creditNoteID ?? ''),
    number: String(cn.creditNoteNumber ?? ''),
    ...common(cn as unknown as CommonFields),
  };
}

/** The stored copy, read back (entity_links.data.written, xero_drift.xero_copy): parsed, never cast. */
export const xeroDocumentCopySchema = z.object({
  family: z.enum(['invoice', 'credit_note']),
  xeroId: z.string(),
  number: z.string(),
  type: z.string(),
  status: z.string(),
  contactId: z.string(),
  contactName: z.string().optional(),
  date: z.string().optional(),
  dueDate: z.string().optional(),
  reference: z.string().optional(),
  currencyCode: z.string().optional(),
  lineAmountTypes: z.string().optional(),
  lines: z.array(
    z.object({
      lineItemId: z.string().optional(),
      description: z.string().optional(),
      quantity: z.number().optional(),
      unitAmount: z.number().optional(),
      accountCode: z.string().optional(),
      taxType: z.string().optional(),
      itemCode: z.string().optional(),
      discountRate: z.number().optional(),
      lineAmount: z.number().optional(),
      tracking: z.array(z.object({ name: z.string(), option: z.string() })),
    }),
  ),
  subTotal: z.number(),
  totalTax: z.number(),
  total: z.number(),
  amountPaid: z.number().optional(),
  amountDue: z.number().optional(),
  payments: z.array(
    z.object({
      paymentId: z.string(),
      amount: z.number(),
      date: z.string(),
      reference: z.string().optional(),
      accountCode: z.string().optional(),
      status: z.string().optional(),
    }),
  ),
  updatedDateUtc: z.string(),
}) satisfies z.ZodType<XeroDocumentCopy>;
