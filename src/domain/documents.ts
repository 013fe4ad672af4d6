import { z } from 'zod';
import { documentNumber } from './text';
import {
  addressSchema,
  customerSchema,
  documentOptions,
  DOCUMENT_STATUSES,
  orderLineSchema,
  schemaParts,
  type Customer,
  type Order,
} from './order';

/**
 * The host documents beside orders — bills, credit notes, CRM deal invoices — as the REST API and
 * the client take them, and the one internal shape every kind becomes (`HostDocument`): the order's
 * shape, with the contact optional (a deal may name a Xero contact instead) and what credit notes add.
 * The workflow, the mapping and the activities see only `HostDocument` and the document's kind.
 */

const { isoDate, line, text, amount, decimals, versionFields } = schemaParts;

const currency = z
  .string()
  .trim()
  .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as NZD');
const pdfUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional();
const lines = z.array(orderLineSchema).min(1, 'a document needs at least one line').max(500, 'at most 500 lines');

/** Where a credit note goes: allocated to an order's sales invoice or to a bill, once both are in Xero. */
export const appliesToSchema = z.object({
  kind: z.enum(['order', 'bill']),
  id: text(100),
  /** Default: the credit note's total. */
  amount: z
    .number()
    .finite()
    .positive('must be more than zero')
    .refine((n) => decimals(n, 2), 'at most 2 decimals')
    .optional(),
});
export type AppliesTo = z.infer<typeof appliesToSchema>;

/** The one shape every kind becomes inside the engine. */
export type HostDocument = Omit<Order, 'customer'> & {
  /** Absent when the document names a Xero contact (`xeroContactId`). */
  customer?: Customer;
  /** A contact chosen in Xero (the host's picker): used as it is. */
  xeroContactId?: string;
  /** The contact is found by its name (ignoring case) or created without a ContactNumber (CRM deals). */
  contactByName?: boolean;
  /** The date was not given (today was used): a repeat keeps the first date. */
  dateDefaulted?: boolean;
  /** Credit notes: sales (ACCRECCREDIT) or purchases (ACCPAYCREDIT). */
  side?: 'sales' | 'purchases';
  appliesTo?: AppliesTo;
};

// ---- bills ----

/** Purchase orders are refused before validation (they are not bills): see the bills route. */
export const PURCHASE_ORDER_TYPES = new Set(['purchase_order', 'purchaseorder', 'po']);

export const billSchema = z.object({
  /** The supplier's invoice number (Xero does not keep bill numbers unique). */
  number: documentNumber(255),
  date: isoDate,
  dueDate: isoDate.optional(),
  currency,
  supplier: customerSchema,
  lines,
  /** The supplier's PDF, attached when given. */
  pdfUrl,
  ...documentOptions,
});
export type Bill = z.infer<typeof billSchema>;

export const billEventSchema = z.object({ bill: billSchema, ...versionFields });
export type BillEventInput = z.input<typeof billEventSchema>;

export function billDocument(bill: Bill): HostDocument {
  const { supplier, ...rest } = bill;
  return { ...rest, customer: supplier };
}

// ---- credit notes ----

export const creditNoteSchema = z
  .object({
    number: documentNumber(255),
    /** Sales credit (to a customer) or purchases credit (from a supplier). Default: from appliesTo, else sales. */
    side: z.enum(['sales', 'purchases']).optional(),
    date: isoDate,
    currency,
    contact: customerSchema,
    lines,
    pdfUrl,
    appliesTo: appliesToSchema.optional(),
    ...documentOptions,
  })
  .superRefine((cn, ctx) => {
    const implied = cn.appliesTo ? (cn.appliesTo.kind === 'bill' ? 'purchases' : 'sales') : undefined;
    if (cn.side && implied && cn.side !== implied)
      ctx.addIssue({
        code: 'custom',
        path: ['side'],
        message: `a ${cn.side} credit note cannot apply to ${cn.appliesTo!.kind === 'bill' ? 'a bill' : "an order's invoice"}`,
      });
  });
export type CreditNote = z.infer<typeof creditNoteSchema>;

export const creditNoteEventSchema = z.object({ creditNote: creditNoteSchema, ...versionFields });
export type CreditNoteEventInput = z.input<typeof creditNoteEventSchema>;

export function creditNoteDocument(cn: CreditNote): HostDocument {
  const { contact, side, ...rest } = cn;
  return {
    ...rest,
    customer: contact,
    side: side ?? (cn.appliesTo?.kind === 'bill' ? 'purchases' : 'sales'),
  };
}

// ---- CRM deal invoices ----

const dealContactSchema = z.union([
  z.strictObject({ xeroContactId: z.uuid('expected a Xero ContactID') }),
  z.strictObject({
    /** The contact's name in Xero (an organisation's name, or the person's). */
    name: text(255),
    firstName: line(255).optional(),
    lastName: line(255).optional(),
    /** The organisation the person works for: Xero's contact name when given. */
    organisation: line(255).optional(),
    email: z.email('expected an e-mail address').max(255).optional(),
    workPhone: line(50).optional(),
    address: addressSchema.optional(),
  }),
]);

export const dealInvoiceSchema = z.object({
  contact: dealContactSchema,
  /** Default: today in the organisation's time zone. */
  date: isoDate.optional(),
  /** Default: the date plus Setup's due days (30). */
  dueDate: isoDate.optional(),
  reference: line(255).optional(),
  /** The deal's name: the invoice line's description. */
  description: line(4000).min(1, 'must not be empty'),
  /** The deal's amount. */
  amount: amount.refine((n) => decimals(n, 2), 'at most 2 decimals'),
  /** Default: the organisation's base currency. */
  currency: currency.optional(),
  /** Default: Setup's status for deal invoices (a draft). */
  status: z.enum(DOCUMENT_STATUSES).optional(),
  brandingThemeId: documentOptions.brandingThemeId,
  url: documentOptions.url,
  /** The account of the line; default Setup's revenue account. */
  accountCode: text(50).optional(),
  taxCode: text(50).optional(),
  ...versionFields,
});
export type DealInvoice = z.infer<typeof dealInvoiceSchema>;
export type DealInvoiceInput = z.input<typeof dealInvoiceSchema>;

/** A deal invoice as a document; `date` is the default the caller computed (today in the organisation). */
export function dealDocument(dealId: string, deal: DealInvoice, today: string): HostDocument {
  const contact = deal.contact;
  const doc: HostDocument = {
    number: '',
    date: deal.date ?? today,
    ...(deal.date ? {} : { dateDefaulted: true }),
    ...(deal.dueDate ? { dueDate: deal.dueDate } : {}),
    currency: deal.currency ?? '',
    lines: [
      {
        description: deal.description,
        quantity: 1,
        unitPrice: deal.amount,
        ...(deal.accountCode ? { accountCode: deal.accountCode } : {}),
        ...(deal.taxCode ? { taxCode: deal.taxCode } : {}),
      },
    ],
    reference: deal.reference ?? '',
    ...(deal.status ? { status: deal.status } : {}),
    ...(deal.brandingThemeId ? { brandingThemeId: deal.brandingThemeId } : {}),
    ...(deal.url ? { url: deal.url } : {}),
    attachPdf: false,
  };
  if ('xeroContactId' in contact) return { ...doc, xeroContactId: contact.xeroContactId };
  return {
    ...doc,
    contactByName: true,
    customer: {
      type: 'organisation',
      // Not sent to Xero (found by name, created without a ContactNumber): the key of the contact step.
      id: `deal:${dealId}`.slice(0, 50),
      name: contact.organisation || contact.name,
      ...(contact.firstName ? { firstName: contact.firstName } : {}),
      ...(contact.lastName ? { lastName: contact.lastName } : {}),
      ...(contact.email ? { email: contact.email } : {}),
      phones: contact.workPhone ? [{ type: 'default', number: contact.workPhone }] : [],
      addresses: contact.address ? [contact.address] : [],
    },
  };
}
