import { CreditNote, Invoice, LineAmountTypes, type LineItem } from 'xero-node';
import type { DocumentKind } from '../documents/kinds';
export { attachesPdf } from '../documents/kinds';
import type { HostDocument } from './documents';
import { dueDateFor, invoiceFor, referenceFor, trackingFor } from './invoice-mapping';
import type { Order } from './order';
import type { Settings } from './settings';

/**
 * Every kind of host document → its Xero payload, as pure functions (table-tested in
 * test/document-mapping.test.ts). Orders keep their mapping (./invoice-mapping.ts); the per-document
 * options (status, reference, branding theme, Url) and per-line accounts apply to every kind.
 */

export type Side = 'sales' | 'purchases';

/** Sales (customer) or purchases (supplier) side of a document. */
export function sideOf(kind: DocumentKind, doc: Pick<HostDocument, 'side'>): Side {
  if (kind === 'bill') return 'purchases';
  if (kind === 'credit_note') return doc.side ?? 'sales';
  return 'sales';
}

/** The Xero Type of a kind's document. */
export function xeroTypeOf(kind: DocumentKind, doc: Pick<HostDocument, 'side'>): string {
  const side = sideOf(kind, doc);
  if (kind === 'credit_note') return side === 'sales' ? 'ACCRECCREDIT' : 'ACCPAYCREDIT';
  return side === 'sales' ? 'ACCREC' : 'ACCPAY';
}

/**
 * A line's account: its own; else, when it names an item, the item's account for this side (as the
 * activity read it from the organisation); else Setup's default for the side.
 */
export function lineAccountFor(
  line: { accountCode?: string; itemCode?: string },
  side: Side,
  settings: Pick<Settings, 'revenueAccountCode' | 'expenseAccountCode'>,
  itemAccount?: (itemCode: string) => string | undefined,
): string | undefined {
  if (line.accountCode) return line.accountCode;
  if (line.itemCode) {
    const fromItem = itemAccount?.(line.itemCode);
    if (fromItem) return fromItem;
  }
  return side === 'sales' ? settings.revenueAccountCode : settings.expenseAccountCode;
}

/** The default tax of a side: Setup's tax rate for bills on purchases (required there), the default tax on sales. */
export function defaultTaxFor(side: Side, settings: Pick<Settings, 'defaultTaxType' | 'defaultPurchaseTaxType'>) {
  return side === 'purchases' ? settings.defaultPurchaseTaxType : settings.defaultTaxType;
}

export interface MappingContext {
  settings: Settings;
  contactId: string;
  /** The Url Xero keeps on the document: the host's link, marked so the engine can recognise its own write. */
  url?: string;
  /** Items' account codes for the side (from the organisation), when lines name items. */
  itemAccount?: (itemCode: string) => string | undefined;
  forUpdate?: boolean;
  /** Lines the engine adds after the host's (a rounding line: activities/orders/pre-write-checks.ts). */
  extraLines?: LineItem[];
}

function linesFor(doc: HostDocument, side: Side, m: MappingContext): LineItem[] {
  return [...hostLinesFor(doc, side, m), ...(m.extraLines ?? [])];
}

function hostLinesFor(doc: HostDocument, side: Side, m: MappingContext): LineItem[] {
  return doc.lines.map((line) => {
    const item: LineItem = {
      description: line.description,
      quantity: line.quantity,
      unitAmount: line.unitPrice,
    };
    const account = lineAccountFor(line, side, m.settings, m.itemAccount);
    if (account) item.accountCode = account;
    const tax = line.taxCode ?? defaultTaxFor(side, m.settings);
    if (tax) item.taxType = tax;
    if (line.itemCode) item.itemCode = line.itemCode;
    if (line.discountRate) item.discountRate = line.discountRate;
    const tracking = trackingFor(line.costCentre, m.settings);
    if (tracking.length > 0) item.tracking = tracking;
    return item;
  });
}

function statusFor(kind: DocumentKind, doc: HostDocument, settings: Settings): string {
  if (doc.status) return doc.status;
  switch (kind) {
    case 'bill':
      return settings.billStatus;
    case 'credit_note':
      return settings.creditNoteStatus;
    case 'deal':
      return settings.dealInvoiceStatus;
    default:
      return settings.invoiceStatus;
  }
}

/** A sales invoice (order, deal) or a bill. */
export function xeroInvoiceFor(kind: DocumentKind, doc: HostDocument, m: MappingContext): Invoice {
  const { settings } = m;
  const side = sideOf(kind, doc);
  let invoice: Invoice;
  if (kind === 'order') {
    invoice = invoiceFor(doc as Order, settings, m.contactId, { forUpdate: m.forUpdate === true });
    invoice.lineItems = linesFor(doc, side, m);
    if (doc.reference !== undefined) invoice.reference = doc.reference;
  } else {
    invoice = {
      type: side === 'sales' ? Invoice.TypeEnum.ACCREC : Invoice.TypeEnum.ACCPAY,
      contact: { contactID: m.contactId },
      date: doc.date,
      dueDate: dueDateFor(doc, settings),
      lineAmountTypes: LineAmountTypes[settings.lineAmountTypes],
      lineItems: linesFor(doc, side, m),
    };
    // Deals have no number of their own: Xero numbers the invoice.
    if (doc.number) invoice.invoiceNumber = doc.number;
    if (doc.currency) invoice.currencyCode = doc.currency as unknown as Invoice['currencyCode'];
    if (side === 'sales' && doc.reference) invoice.reference = doc.reference;
  }
  if (!m.forUpdate) invoice.status = Invoice.StatusEnum[statusFor(kind, doc, settings) as 'DRAFT'];
  else delete invoice.status;
  const theme = doc.brandingThemeId ?? settings.brandingThemeId;
  if (theme && side === 'sales') invoice.brandingThemeID = theme;
  if (m.url) invoice.url = m.url;
  return invoice;
}

/** The Xero number of a credit note: Setup's prefix on sales credit notes (unique in Xero like invoice numbers). */
export function creditNoteNumberFor(doc: Pick<HostDocument, 'number' | 'side'>, settings: Settings): string {
  return (doc.side ?? 'sales') === 'sales' ? `${settings.creditNoteNumberPrefix}${doc.number}` : doc.number;
}

export function xeroCreditNoteFor(doc: HostDocument, m: MappingContext): CreditNote {
  const { settings } = m;
  const side = sideOf('credit_note', doc);
  const cn: CreditNote = {
    type: side === 'sales' ? CreditNote.TypeEnum.ACCRECCREDIT : CreditNote.TypeEnum.ACCPAYCREDIT,
    contact: { contactID: m.contactId },
    creditNoteNumber: creditNoteNumberFor(doc, settings),
    date: doc.date,
    lineAmountTypes: LineAmountTypes[settings.lineAmountTypes],
    lineItems: linesFor(doc, side, m),
  };
  if (doc.currency) cn.currencyCode = doc.currency as unknown as CreditNote['currencyCode'];
  // Xero keeps a Reference on sales credit notes only.
  if (side === 'sales') {
    const reference = doc.reference ?? referenceFor(doc as Order, settings);
    if (reference) cn.reference = reference;
    const theme = doc.brandingThemeId ?? settings.brandingThemeId;
    if (theme) cn.brandingThemeID = theme;
  }
  if (!m.forUpdate) cn.status = CreditNote.StatusEnum[statusFor('credit_note', doc, settings) as 'DRAFT'];
  return cn;
}

/** Xero's deep link that opens a document in the organisation (needs the organisation's ShortCode). */
export function xeroDeepLink(shortCode: string, xeroType: string, id: string): string {
  const path =
    xeroType === 'ACCREC'
      ? `/AccountsReceivable/View.aspx?InvoiceID=${id}`
      : xeroType === 'ACCPAY'
        ? `/AccountsPayable/View.aspx?InvoiceID=${id}`
        : xeroType === 'ACCRECCREDIT'
          ? `/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${id}`
          : `/AccountsPayable/ViewCreditNote.aspx?creditNoteID=${id}`;
  return `https://go.xero.com/organisationlogin/default.aspx?shortcode=${encodeURIComponent(shortCode)}&redirecturl=${path}`;
}
