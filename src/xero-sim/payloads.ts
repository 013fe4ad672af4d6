import { z } from 'zod';

/**
 * The shapes Xero accepts on writes. Unknown fields are ignored (as Xero does); a field of the wrong
 * JSON type fails the whole request as PostDataInvalidException, as Xero's deserializer does, before
 * any rule runs. Rules (codes exist, statuses allowed, totals) live with each document type.
 */

const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const str = z.string();
const opt = <T extends z.ZodTypeAny>(t: T) => t.nullish().transform((v) => (v === null ? undefined : v));
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const trackingInput = z.looseObject({
  TrackingCategoryID: opt(str),
  TrackingOptionID: opt(str),
  Name: opt(str),
  Option: opt(str),
});

export const lineItemInput = z.looseObject({
  LineItemID: opt(str),
  Description: opt(str),
  Quantity: opt(num),
  UnitAmount: opt(num),
  ItemCode: opt(str),
  AccountCode: opt(str),
  AccountID: opt(str),
  TaxType: opt(str),
  TaxAmount: opt(num),
  LineAmount: opt(num),
  DiscountRate: opt(num),
  DiscountAmount: opt(num),
  Tracking: opt(z.array(trackingInput)),
});
export type LineItemInput = z.infer<typeof lineItemInput>;

export const addressInput = z.looseObject({
  AddressType: opt(z.enum(['POBOX', 'STREET', 'DELIVERY'])),
  AddressLine1: opt(str),
  AddressLine2: opt(str),
  AddressLine3: opt(str),
  AddressLine4: opt(str),
  City: opt(str),
  Region: opt(str),
  PostalCode: opt(str),
  Country: opt(str),
  AttentionTo: opt(str),
});

export const phoneInput = z.looseObject({
  PhoneType: opt(z.enum(['DEFAULT', 'DDI', 'MOBILE', 'FAX', 'OFFICE'])),
  PhoneNumber: opt(str),
  PhoneAreaCode: opt(str),
  PhoneCountryCode: opt(str),
});

export const contactInput = z.looseObject({
  ContactID: opt(str),
  ContactNumber: opt(str),
  AccountNumber: opt(str),
  ContactStatus: opt(z.enum(['ACTIVE', 'ARCHIVED', 'GDPRREQUEST'])),
  Name: opt(str),
  FirstName: opt(str),
  LastName: opt(str),
  EmailAddress: opt(str),
  CompanyNumber: opt(str),
  TaxNumber: opt(str),
  BankAccountDetails: opt(str),
  AccountsReceivableTaxType: opt(str),
  AccountsPayableTaxType: opt(str),
  DefaultCurrency: opt(str),
  Addresses: opt(z.array(addressInput)),
  Phones: opt(z.array(phoneInput)),
});
export type ContactInput = z.infer<typeof contactInput>;

export const itemDetailsInput = z.looseObject({
  UnitPrice: opt(num),
  AccountCode: opt(str),
  COGSAccountCode: opt(str),
  TaxType: opt(str),
});

export const itemInput = z.looseObject({
  ItemID: opt(str),
  Code: opt(str),
  Name: opt(str),
  Description: opt(str),
  PurchaseDescription: opt(str),
  IsSold: opt(bool),
  IsPurchased: opt(bool),
  SalesDetails: opt(itemDetailsInput),
  PurchaseDetails: opt(itemDetailsInput),
});
export type ItemInput = z.infer<typeof itemInput>;

const dateLike = z.union([z.string(), z.date()]);

export const invoiceInput = z.looseObject({
  InvoiceID: opt(str),
  Type: opt(z.enum(['ACCREC', 'ACCPAY'])),
  Contact: opt(contactInput),
  LineItems: opt(z.array(lineItemInput)),
  Date: opt(dateLike),
  DueDate: opt(dateLike),
  LineAmountTypes: opt(z.enum(['Exclusive', 'Inclusive', 'NoTax'])),
  InvoiceNumber: opt(str),
  Reference: opt(str),
  BrandingThemeID: opt(str),
  Url: opt(str),
  CurrencyCode: opt(str),
  CurrencyRate: opt(num),
  Status: opt(z.enum(['DRAFT', 'SUBMITTED', 'DELETED', 'AUTHORISED', 'PAID', 'VOIDED'])),
  SentToContact: opt(bool),
  ExpectedPaymentDate: opt(dateLike),
  PlannedPaymentDate: opt(dateLike),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;

export const creditNoteInput = z.looseObject({
  CreditNoteID: opt(str),
  Type: opt(z.enum(['ACCRECCREDIT', 'ACCPAYCREDIT'])),
  Contact: opt(contactInput),
  LineItems: opt(z.array(lineItemInput)),
  Date: opt(dateLike),
  LineAmountTypes: opt(z.enum(['Exclusive', 'Inclusive', 'NoTax'])),
  CreditNoteNumber: opt(str),
  Reference: opt(str),
  BrandingThemeID: opt(str),
  CurrencyCode: opt(str),
  CurrencyRate: opt(num),
  Status: opt(z.enum(['DRAFT', 'SUBMITTED', 'DELETED', 'AUTHORISED', 'PAID', 'VOIDED'])),
});
export type CreditNoteInput = z.infer<typeof creditNoteInput>;

export const paymentInput = z.looseObject({
  PaymentID: opt(str),
  Invoice: opt(z.looseObject({ InvoiceID: opt(str), InvoiceNumber: opt(str) })),
  CreditNote: opt(z.looseObject({ CreditNoteID: opt(str), CreditNoteNumber: opt(str) })),
  Account: opt(z.looseObject({ AccountID: opt(str), Code: opt(str) })),
  Date: opt(dateLike),
  Amount: opt(num),
  Reference: opt(str),
  CurrencyRate: opt(num),
  IsReconciled: opt(bool),
  Status: opt(str),
});
export type PaymentInput = z.infer<typeof paymentInput>;

export const allocationInput = z.looseObject({
  Invoice: opt(z.looseObject({ InvoiceID: opt(str), InvoiceNumber: opt(str) })),
  Amount: opt(num),
  Date: opt(dateLike),
});
export type AllocationInput = z.infer<typeof allocationInput>;

/** The error text Xero's deserializer gives, close enough to tell which field was wrong. */
export function describeParseError(error: z.ZodError): string {
  const first = error.issues[0];
  const where = first ? first.path.join('.') : '';
  return `JSON for post data was invalid,Error converting value for '${where}': ${first?.message ?? 'invalid'}`;
}

/**
 * The list a write carries: `{"Invoices":[…]}` (what xero-node sends) or a single object. Returns
 * undefined when the body is neither.
 */
export function elementsOf(body: unknown, key: string): unknown[] | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return Array.isArray(body) ? body : undefined;
  const list = (body as Record<string, unknown>)[key];
  if (Array.isArray(list)) return list;
  if (list === undefined) return [body];
  return undefined;
}
