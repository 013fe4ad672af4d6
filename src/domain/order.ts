import { z } from 'zod';
import { documentNumber, freeText, identifier, maxUtf16, oneLine } from './text';

/**
 * A host order and the events a host reports about it. These schemas are the REST API's bodies
 * and the TypeScript client's argument types; everything downstream (workflow, mapping, PDF) gets
 * values that already passed them.
 */

const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
/** A required single-line value (ids, names): no control characters; lengths counted as Xero counts them. */
const text = (max: number) => identifier(max);
/** An optional single-line value (address parts, codes). */
const line = (max: number) => oneLine(maxUtf16(z.string().trim(), max));

/**
 * Order numbers end up in a workflow id, a URL path (percent-encoded) and Xero's InvoiceNumber (255
 * max with the prefix): any printable character Xero accepts — commas, slashes, quotes, unicode —
 * and no control characters.
 */
export const orderNumberSchema = documentNumber(50);

/** Amounts in the order's currency; Xero keeps unit amounts to 4 decimals (unitdp=4). */
const amount = z
  .number()
  .finite()
  .refine((n) => Math.abs(n) < 1e12, 'too large');
const decimals = (n: number, dp: number) => Math.abs(Math.round(n * 10 ** dp) - n * 10 ** dp) < 1e-6;

export const phoneSchema = z.object({
  type: z.enum(['default', 'mobile', 'fax', 'ddi']).default('default'),
  number: text(50),
});

export const addressSchema = z.object({
  /** Xero has STREET and POBOX (postal) addresses. */
  type: z.enum(['street', 'postal']).default('street'),
  lines: z.array(line(500)).max(4, 'at most 4 lines').default([]),
  city: line(255).optional(),
  region: line(255).optional(),
  postalCode: line(50).optional(),
  country: line(50).optional(),
  attentionTo: line(255).optional(),
});

const customerCommon = {
  /** The host's id of the customer: kept as the Xero contact's ContactNumber to find it again. */
  id: text(50),
  email: z.email('expected an e-mail address').max(255).optional(),
  phones: z.array(phoneSchema).max(4).default([]),
  addresses: z.array(addressSchema).max(2).default([]),
  /** The host's payer reference; becomes Xero's AccountNumber when setup says so. */
  payerReference: line(50).optional(),
};

/** An order's customer; host contacts (src/domain/contact.ts) share this schema and its mapping. */
export const customerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('person'),
    firstName: line(255).default(''),
    lastName: text(255),
    ...customerCommon,
  }),
  z.object({
    type: z.literal('organisation'),
    name: text(255),
    /** The organisation's contact person, kept by Xero beside the organisation's name. */
    firstName: line(255).optional(),
    lastName: line(255).optional(),
    ...customerCommon,
  }),
]);

export const orderLineSchema = z.object({
  description: freeText(4000).min(1, 'must not be empty'),
  quantity: amount.refine((n) => n !== 0, 'must not be zero').refine((n) => decimals(n, 4), 'at most 4 decimals'),
  unitPrice: amount.refine((n) => decimals(n, 4), 'at most 4 decimals'),
  /** Percent, 0–100. */
  discountRate: z.number().min(0).max(100).optional(),
  /** A Xero TaxType; the account's default tax applies when absent. */
  taxCode: text(50).optional(),
  itemCode: text(30).optional(),
  /**
   * The line's own account: wins over the item's account (Xero's, when itemCode names an item that
   * has one) and over Setup's default for the document's side (revenue for sales, direct costs for bills).
   */
  accountCode: text(50).optional(),
  /** The host's cost centre: mapped to a tracking option through setup. */
  costCentre: text(100).optional(),
});

export const DOCUMENT_STATUSES = ['DRAFT', 'SUBMITTED', 'AUTHORISED'] as const;

/** A total the host computed, in the document's currency: compared with Xero's before writing. */
const hostTotal = amount.refine((n) => decimals(n, 2), 'at most 2 decimals');

/** Per-document choices every kind takes; each wins over Setup's default for this document only. */
export const documentOptions = {
  /** The status the document is created with in Xero. */
  status: z.enum(DOCUMENT_STATUSES).optional(),
  /** Xero's Reference as given (sales documents only: Xero keeps none on bills); default: Setup's composition. */
  reference: line(255).optional(),
  brandingThemeId: z.uuid('expected a branding theme id').optional(),
  /** Attach the document's PDF (default: orders yes — one is rendered when no pdfUrl is given; other kinds when they give a pdfUrl). */
  attachPdf: z.boolean().optional(),
  /**
   * The document's total as the host shows it (tax included). Checked against the total Xero will
   * compute (tax is rounded per line there); a difference is held or balanced by a rounding line, as Setup says.
   */
  total: hostTotal.optional(),
  /** The host's tax total, checked the same way; a tax difference is always held. */
  taxTotal: hostTotal.optional(),
  /** Link back to the document in the host app: Xero shows it on the document. */
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .max(1500, 'at most 1500 characters')
    .optional(),
};

export const orderSchema = z.object({
  number: orderNumberSchema,
  date: isoDate,
  /** When absent the account's default due days after `date` apply. */
  dueDate: isoDate.optional(),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as NZD'),
  customer: customerSchema,
  lines: z.array(orderLineSchema).min(1, 'an order needs at least one line').max(500, 'at most 500 lines'),
  jobDescription: freeText(4000).optional(),
  customerReference: line(255).optional(),
  jobLocation: freeText(500).optional(),
  /** Where the host serves the order's PDF; the engine renders one when absent. */
  pdfUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  ...documentOptions,
});

export type Order = z.infer<typeof orderSchema>;
export type OrderInput = z.input<typeof orderSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type Customer = z.infer<typeof customerSchema>;

// ---- events ----

/**
 * The host's version of the order, when it has one (either or both): an event whose version is not
 * newer than the newest the engine applied changes nothing and is answered `applied: false`.
 */
const versionFields = {
  /** The host's own revision counter (a non-negative integer that grows with every change). */
  revision: z.number().int('expected a whole number').nonnegative().optional(),
  /** When the host last changed the order (ISO date-time); compared when no revision is sent. */
  updatedAt: z.iso.datetime({ offset: true, error: 'expected an ISO date-time' }).optional(),
};

export const orderConvertedSchema = z.object({
  order: orderSchema,
  /** When the quote became an order; only orders converted after the Xero connection sync. Default: now. */
  convertedAt: z.iso.datetime({ offset: true, error: 'expected an ISO date-time' }).optional(),
  ...versionFields,
});

export const orderRevisedSchema = z.object({
  order: orderSchema,
  /**
   * A revision not newer than the last one applied is ignored, so a late retry of an old revision
   * cannot undo a newer one. Without a version, identical content is ignored and different content
   * wins by arrival.
   */
  ...versionFields,
});

export const paymentSchema = z.object({
  /** The host's id of the payment; unique within the order. */
  id: text(100),
  amount: z
    .number()
    .finite()
    .positive('must be more than zero')
    .refine((n) => decimals(n, 2), 'at most 2 decimals'),
  date: isoDate,
  reference: line(255).optional(),
});

export const paymentRemovedSchema = z.object({ paymentId: text(100) });

export const orderCancelledSchema = z.object({ reason: freeText(500).optional() });

export type OrderConverted = z.infer<typeof orderConvertedSchema>;
export type OrderConvertedInput = z.input<typeof orderConvertedSchema>;
export type OrderRevised = z.infer<typeof orderRevisedSchema>;
export type OrderRevisedInput = z.input<typeof orderRevisedSchema>;
export type Payment = z.infer<typeof paymentSchema>;
export type PaymentInput = z.input<typeof paymentSchema>;
export type PaymentRemoved = z.infer<typeof paymentRemovedSchema>;
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;

/** The building blocks other kinds' schemas (./documents.ts) share with orders. */
export const schemaParts = { isoDate, line, text, amount, decimals, versionFields };
