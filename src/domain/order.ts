import { z } from 'zod';

/**
 * A host order and the events a host reports about it. These schemas are the REST API's bodies
 * and the TypeScript client's argument types; everything downstream (workflow, mapping, PDF) gets
 * values that already passed them.
 */

const isoDate = z.iso.date('expected a date as YYYY-MM-DD');
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/**
 * Order numbers end up in a workflow id, a URL path and Xero's InvoiceNumber (255 max with the
 * prefix): printable characters only, no slash so the REST path stays one segment.
 */
export const orderNumberSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(50, 'at most 50 characters')
  .regex(/^[^\s/\\?#%][^/\\?#%]*$/, 'letters, digits, spaces and punctuation except / \\ ? # %');

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
  lines: z.array(z.string().trim().max(500)).max(4, 'at most 4 lines').default([]),
  city: z.string().trim().max(255).optional(),
  region: z.string().trim().max(255).optional(),
  postalCode: z.string().trim().max(50).optional(),
  country: z.string().trim().max(50).optional(),
  attentionTo: z.string().trim().max(255).optional(),
});

const customerCommon = {
  /** The host's id of the customer: kept as the Xero contact's ContactNumber to find it again. */
  id: text(50),
  email: z.email('expected an e-mail address').max(255).optional(),
  phones: z.array(phoneSchema).max(4).default([]),
  addresses: z.array(addressSchema).max(2).default([]),
  /** The host's payer reference; becomes Xero's AccountNumber when setup says so. */
  payerReference: z.string().trim().max(50).optional(),
};

/** An order's customer; host contacts (src/domain/contact.ts) share this schema and its mapping. */
export const customerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('person'),
    firstName: z.string().trim().max(255).default(''),
    lastName: text(255),
    ...customerCommon,
  }),
  z.object({ type: z.literal('organisation'), name: text(255), ...customerCommon }),
]);

export const orderLineSchema = z.object({
  description: text(4000),
  quantity: amount.refine((n) => n !== 0, 'must not be zero').refine((n) => decimals(n, 4), 'at most 4 decimals'),
  unitPrice: amount.refine((n) => decimals(n, 4), 'at most 4 decimals'),
  /** Percent, 0–100. */
  discountRate: z.number().min(0).max(100).optional(),
  /** A Xero TaxType; the account's default tax applies when absent. */
  taxCode: z.string().trim().min(1).max(50).optional(),
  itemCode: z.string().trim().min(1).max(30).optional(),
  /** The host's cost centre: mapped to a tracking option through setup. */
  costCentre: z.string().trim().min(1).max(100).optional(),
});

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
  jobDescription: z.string().trim().max(4000).optional(),
  customerReference: z.string().trim().max(255).optional(),
  jobLocation: z.string().trim().max(500).optional(),
  /** Where the host serves the order's PDF; the engine renders one when absent. */
  pdfUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
});

export type Order = z.infer<typeof orderSchema>;
export type OrderInput = z.input<typeof orderSchema>;
export type OrderLine = z.infer<typeof orderLineSchema>;
export type Customer = z.infer<typeof customerSchema>;

// ---- events ----

export const orderConvertedSchema = z.object({
  order: orderSchema,
  /** When the quote became an order; only orders converted after the Xero connection sync. Default: now. */
  convertedAt: z.iso.datetime({ offset: true, error: 'expected an ISO date-time' }).optional(),
});

export const orderRevisedSchema = z.object({
  order: orderSchema,
  /**
   * The host's own revision counter, when it has one: a revision not newer than the last one seen
   * is ignored, so a late retry of an old revision cannot undo a newer one.
   */
  revision: z.number().int().nonnegative().optional(),
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
  reference: z.string().trim().max(255).optional(),
});

export const paymentRemovedSchema = z.object({ paymentId: text(100) });

export const orderCancelledSchema = z.object({ reason: z.string().trim().max(500).optional() });

export type OrderConverted = z.infer<typeof orderConvertedSchema>;
export type OrderConvertedInput = z.input<typeof orderConvertedSchema>;
export type OrderRevised = z.infer<typeof orderRevisedSchema>;
export type OrderRevisedInput = z.input<typeof orderRevisedSchema>;
export type Payment = z.infer<typeof paymentSchema>;
export type PaymentInput = z.input<typeof paymentSchema>;
export type PaymentRemoved = z.infer<typeof paymentRemovedSchema>;
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;
