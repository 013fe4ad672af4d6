import { z } from 'zod';
import { identifier, maxUtf16, oneLine } from './text';

/**
 * An account's setup: how its host documents become Xero documents. Stored as JSON per account,
 * edited on the Setup page and through the API. Codes refer to the connected organisation's
 * live data; whether they still exist there is checked when a document is synced.
 */

export const INVOICE_STATUSES = ['DRAFT', 'SUBMITTED', 'AUTHORISED'] as const;
export const REFERENCE_FIELDS = ['orderNumber', 'jobDescription', 'customerReference', 'jobLocation'] as const;
export const PERSON_NAME_FORMATS = ['first_last', 'last_first', 'last_comma_first'] as const;
export const LINE_AMOUNT_TYPES = ['Exclusive', 'Inclusive', 'NoTax'] as const;

const code = identifier(50, { empty: 'choose one' });
/** A name matched exactly against the organisation's (tracking categories and options are at most 100 in Xero). */
const xeroName = identifier(100);

export const settingsSchema = z
  .object({
    /** Account for sales (invoice) lines. */
    revenueAccountCode: code.optional(),
    /** Direct-costs account for bill lines; must differ from the revenue account. */
    expenseAccountCode: code.optional(),
    /** Bank account that receives payments. */
    bankAccountCode: code.optional(),
    /** Xero TaxType used when a host line names no tax code. */
    defaultTaxType: code.optional(),
    /** Xero TaxType for bill and purchase credit lines that name none (expenses); the default tax when unset. */
    defaultPurchaseTaxType: code.optional(),
    brandingThemeId: z.uuid('expected a branding theme id').optional(),
    /** Tracking category that host cost centres map to. */
    trackingCategoryName: xeroName.optional(),
    /** Host cost centre → option name in that category; an unmapped cost centre uses its own name. */
    costCentreOptions: z.record(identifier(100), xeroName).default({}),
    invoiceStatus: z.enum(INVOICE_STATUSES).default('AUTHORISED'),
    /** Status of new bills (supplier invoices); a document's own status wins. */
    billStatus: z.enum(INVOICE_STATUSES).default('AUTHORISED'),
    /** Status of new credit notes; only authorised credit notes can be allocated to an invoice or bill. */
    creditNoteStatus: z.enum(INVOICE_STATUSES).default('AUTHORISED'),
    /** Status of invoices created for CRM deals; a deal's own status wins. */
    dealInvoiceStatus: z.enum(INVOICE_STATUSES).default('DRAFT'),
    /** Prepended to the host's number to make a sales credit note's number (sales credit-note numbers are unique in Xero). */
    creditNoteNumberPrefix: oneLine(maxUtf16(z.string(), 20)).default(''),
    lineAmountTypes: z.enum(LINE_AMOUNT_TYPES).default('Exclusive'),
    /** Prepended to the order number to make the Xero invoice number. */
    invoiceNumberPrefix: oneLine(maxUtf16(z.string(), 20)).default(''),
    /** What the Xero reference is made of, joined with " / ". */
    referenceFields: z.array(z.enum(REFERENCE_FIELDS)).min(1, 'choose at least one').default(['orderNumber']),
    /** Host job status to report when an invoice is exported (empty: report none). */
    exportedJobStatus: oneLine(maxUtf16(z.string().trim(), 100)).optional(),
    syncPayments: z.boolean().default(true),
    updateXeroContacts: z.boolean().default(true),
    syncInvoiceEdits: z.boolean().default(true),
    personNameFormat: z.enum(PERSON_NAME_FORMATS).default('first_last'),
    accountNumberFromPayerReference: z.boolean().default(false),
    contactSyncIntervalHours: z.number().int().min(1).max(168).default(6),
    defaultDueDays: z.number().int().min(0).max(365).default(30),
    /**
     * A document dated in a period Xero has locked: held with a failure saying so (default), or dated
     * on the first open day (the change is stated in the sync log and the host event).
     */
    lockedPeriod: z.enum(['hold', 'first_open_day']).default('hold'),
    /**
     * A document whose host total (or tax total) differs from what Xero will compute: held with a
     * failure showing both (default), or — for a total within the tolerance — balanced by a rounding
     * line on Setup's rounding account. A tax-total difference is always held: a line cannot fix it.
     */
    totalDifference: z.enum(['hold', 'rounding_line']).default('hold'),
    /** The account a rounding line is booked to (Xero's own "Rounding" account, say). */
    roundingAccountCode: code.optional(),
    /** The largest difference a rounding line may balance, in the document's currency. */
    roundingTolerance: z
      .number()
      .min(0.01, 'at least 0.01')
      .max(10, 'at most 10')
      .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'at most 2 decimals')
      .default(0.05),
    /**
     * The host revises a document an accountant changed in Xero since the engine last wrote it: hold
     * it and report the difference (default; resolved on the Reconciliation page or by the API), or
     * let the host's version win (Xero's copy is overwritten and the overwrite reported).
     */
    xeroChangeWins: z.enum(['hold', 'host']).default('hold'),
    /**
     * The host revises a document that was voided or deleted in Xero: fail saying so (default), or
     * create it again in Xero as a new document.
     */
    voidedInXero: z.enum(['fail', 'recreate']).default('fail'),
    /** How often the scheduled reconciliation reads what changed in Xero (webhooks can be missed). */
    reconciliationIntervalHours: z.number().int().min(1).max(168).default(24),
  })
  .superRefine((s, ctx) => {
    if (s.totalDifference === 'rounding_line' && !s.roundingAccountCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['roundingAccountCode'],
        message: 'choose the account rounding lines are booked to',
      });
    }
    if (s.revenueAccountCode && s.expenseAccountCode && s.revenueAccountCode === s.expenseAccountCode) {
      ctx.addIssue({ code: 'custom', path: ['expenseAccountCode'], message: 'must differ from the revenue account' });
    }
  });

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** What invoice sync needs before it can run; each entry names the missing setting. */
export function missingForInvoices(s: Settings): Array<keyof Settings> {
  const missing: Array<keyof Settings> = [];
  if (!s.revenueAccountCode) missing.push('revenueAccountCode');
  if (!s.defaultTaxType) missing.push('defaultTaxType');
  if (s.syncPayments && !s.bankAccountCode) missing.push('bankAccountCode');
  return missing;
}
