import type { Account } from '../../src/db/schema';
import { optionList } from '../../src/access/accounts';
import type { FieldErrors } from '../../src/domain/settings-checks';
import type { ReferenceData } from '../../src/xero/reference-data';
import { missingForInvoices } from '../../src/domain/settings';
import { costCentreKey, settingsFromValues, type SetupFormValues } from './settings-form';

/** What the Setup template shows: choices from the live organisation, what was typed, errors by field. */

type Option = { value: string; label: string };

const FIELD_LABELS: Record<string, string> = {
  revenueAccountCode: 'Sales account',
  expenseAccountCode: 'Purchases account',
  bankAccountCode: 'Bank account for payments',
  defaultTaxType: 'Default tax rate',
  defaultPurchaseTaxType: 'Tax rate for bills',
  brandingThemeId: 'Branding theme',
  trackingCategoryName: 'Tracking category',
  invoiceStatus: 'Status of new invoices',
  lineAmountTypes: 'Line amounts are',
  invoiceNumberPrefix: 'Invoice number prefix',
  billStatus: 'Status of new bills',
  lockedPeriod: 'Documents dated in a locked period',
  totalDifference: "When Xero's total differs from your app's",
  roundingAccountCode: 'Rounding account',
  roundingTolerance: 'Largest difference to round',
  creditNoteStatus: 'Status of new credit notes',
  creditNoteNumberPrefix: 'Credit note number prefix',
  dealInvoiceStatus: 'Status of new deal invoices',
  referenceFields: 'Xero reference',
  exportedJobStatus: 'Job status after export',
  defaultDueDays: 'Payment due after',
  personNameFormat: 'Name of a person in Xero',
  contactSyncIntervalHours: 'Send contact changes every',
  xeroChangeWins: 'When your app revises a document changed in Xero',
  voidedInXero: 'When your app revises a document voided or deleted in Xero',
  reconciliationIntervalHours: 'Reconcile with Xero every',
};

/** The settings in Setup's first part, "What every account needs"; the rest is under Advanced. */
export const REQUIRED_PART = new Set([
  'revenueAccountCode',
  'defaultTaxType',
  'syncPayments',
  'bankAccountCode',
  'invoiceStatus',
]);

/** Xero plans that cap approvals per month (xero-facts.md, Organisation). */
const CAPPED_PLANS = new Set(['STARTER', 'IGNITE']);

/** Keeps a stored or typed value visible even when Xero no longer lists it, so the admin sees what is wrong. */
function withCurrent(options: Option[], current: string): Option[] {
  return current && !options.some((o) => o.value === current)
    ? [...options, { value: current, label: `${current} (not available in Xero)` }]
    : options;
}

const accountOption = (a: ReferenceData['accounts'][number]): Option => ({
  value: a.code,
  label: `${a.code} — ${a.name}`,
});

/** Xero's chart of accounts has a "Rounding" account (860 in most charts): the usual choice. */
const isRounding = (a: ReferenceData['accounts'][number]) => /^rounding$/i.test(a.name.trim());

export function setupPageModel(account: Account, ref: ReferenceData, values: SetupFormValues, errors: FieldErrors) {
  const active = ref.accounts.filter((a) => a.active);
  const category = ref.trackingCategories.find((c) => c.name === values.trackingCategoryName);
  const rows = [...values.costCentres, { name: '', option: '' }, { name: '', option: '' }];
  const costCentreRows = rows.map((row, i) => ({
    ...row,
    nameError: errors[`costCentres.${i}`],
    optionError: row.name ? errors[costCentreKey(row.name)] : undefined,
  }));
  const errorList = Object.entries(errors).map(([key, message]) => {
    if (key.startsWith('costCentres.') || key.startsWith('costCentreOptions.')) {
      const name = key.startsWith('costCentreOptions.') ? key.slice('costCentreOptions.'.length) : '';
      return { anchor: 'costCentres', label: name ? `Cost centre "${name}"` : 'Cost centres', message };
    }
    return { anchor: key, label: FIELD_LABELS[key] ?? key, message };
  });
  // What invoices still need (src/domain/settings.ts): saved anyway, but the page says which.
  const parsed = settingsFromValues(values);
  const missingFields = parsed.ok
    ? missingForInvoices(parsed.settings).map((key) => ({ anchor: key, label: FIELD_LABELS[key] ?? key }))
    : [];
  return {
    organisation: ref.organisation.name,
    missingFields,
    // The Advanced part opens by itself when one of its settings needs attention.
    advancedOpen: Object.keys(errors).some((key) => !REQUIRED_PART.has(key.split('.')[0]!)),
    // Xero's smallest plans cap approvals a month: drafts are the way to keep syncing past the cap.
    planWarning: CAPPED_PLANS.has(ref.organisation.plan.toUpperCase())
      ? `${ref.organisation.name} is on Xero's ${ref.organisation.plan.toLowerCase()} plan, which approves at most 20 invoices and 5 bills a month. Past that Xero refuses approved documents: choose Draft below to keep syncing and approve in Xero.`
      : '',
    values,
    errors,
    errorList,
    costCentreRows,
    lists: {
      revenueAccounts: withCurrent(
        active.filter((a) => a.accountClass === 'REVENUE').map(accountOption),
        values.revenueAccountCode,
      ),
      expenseAccounts: withCurrent(
        active
          .filter((a) => a.accountClass === 'EXPENSE')
          .sort((a, b) => Number(b.type === 'DIRECTCOSTS') - Number(a.type === 'DIRECTCOSTS'))
          .map(accountOption),
        values.expenseAccountCode,
      ),
      bankAccounts: withCurrent(
        active.filter((a) => a.type === 'BANK' || a.enablePayments).map(accountOption),
        values.bankAccountCode,
      ),
      // Any account a line may use (not a bank account); Xero's own "Rounding" account first.
      roundingAccounts: withCurrent(
        active
          .filter((a) => a.type !== 'BANK')
          .sort((a, b) => Number(isRounding(b)) - Number(isRounding(a)))
          .map(accountOption),
        values.roundingAccountCode,
      ),
      taxRates: withCurrent(
        ref.taxRates
          .filter((t) => t.active)
          .map((t) => ({ value: t.taxType, label: t.rate === undefined ? t.name : `${t.name} (${t.rate}%)` })),
        values.defaultTaxType,
      ),
      purchaseTaxRates: withCurrent(
        ref.taxRates
          .filter((t) => t.active)
          .map((t) => ({ value: t.taxType, label: t.rate === undefined ? t.name : `${t.name} (${t.rate}%)` })),
        values.defaultPurchaseTaxType,
      ),
      brandingThemes: withCurrent(
        ref.brandingThemes.map((b) => ({ value: b.id, label: b.name })),
        values.brandingThemeId,
      ),
      trackingCategories: withCurrent(
        ref.trackingCategories.filter((c) => c.active).map((c) => ({ value: c.name, label: c.name })),
        values.trackingCategoryName,
      ),
      trackingOptions: category?.options ?? [...new Set(ref.trackingCategories.flatMap((c) => c.options))],
      jobStatuses: optionList(account, 'jobStatuses'),
      invoiceStatuses: [
        { value: 'DRAFT', label: 'Draft', example: 'you review and approve each invoice in Xero' },
        { value: 'SUBMITTED', label: 'Awaiting approval', example: 'submitted for someone to approve in Xero' },
        { value: 'AUTHORISED', label: 'Approved', example: 'ready to send; payments can be applied straight away' },
      ],
      lockedPeriods: [
        {
          value: 'hold',
          label: 'Hold it',
          example: 'the document waits, listed under failures, until the date or the lock date changes',
        },
        {
          value: 'first_open_day',
          label: 'Date it on the first open day',
          example: 'the day after the lock date; the sync log and your app are told of the change',
        },
      ],
      totalDifferences: [
        {
          value: 'hold',
          label: 'Hold it',
          example: 'the document waits, listed under failures with both totals, until someone corrects it',
        },
        {
          value: 'rounding_line',
          label: 'Add a rounding line',
          example:
            'when the difference is no more than the amount below, a line on the rounding account makes up the difference; a larger one is held',
        },
      ],
      billStatuses: [
        { value: 'DRAFT', label: 'Draft', example: 'you review and approve each bill in Xero' },
        { value: 'SUBMITTED', label: 'Awaiting approval', example: 'submitted for someone to approve in Xero' },
        { value: 'AUTHORISED', label: 'Approved', example: 'ready to pay; Xero only pays approved bills' },
      ],
      creditNoteStatuses: [
        { value: 'DRAFT', label: 'Draft', example: 'you review and approve each credit note in Xero' },
        { value: 'SUBMITTED', label: 'Awaiting approval', example: 'submitted for someone to approve in Xero' },
        {
          value: 'AUTHORISED',
          label: 'Approved',
          example: 'can be allocated to an invoice or bill straight away',
        },
      ],
      dealInvoiceStatuses: [
        { value: 'DRAFT', label: 'Draft', example: 'someone checks each deal invoice in Xero before it is sent' },
        { value: 'SUBMITTED', label: 'Awaiting approval', example: 'submitted for someone to approve in Xero' },
        { value: 'AUTHORISED', label: 'Approved', example: 'ready to send as soon as it is created' },
      ],
      lineAmountTypes: [
        { value: 'Exclusive', label: 'Tax exclusive', example: 'tax is added on top of line amounts' },
        { value: 'Inclusive', label: 'Tax inclusive', example: 'line amounts already include tax' },
        { value: 'NoTax', label: 'No tax', example: 'no tax on these invoices' },
      ],
      referenceFields: [
        { value: 'orderNumber', label: 'Order number' },
        { value: 'jobDescription', label: 'Job description' },
        { value: 'customerReference', label: 'Customer reference' },
        { value: 'jobLocation', label: 'Job location' },
      ],
      xeroChangeWins: [
        {
          value: 'hold',
          label: 'Hold and report',
          example:
            'the revision waits and the difference is listed on the Reconciliation page, where someone chooses which version stays',
        },
        {
          value: 'host',
          label: "Your app's version wins",
          example: "Xero's copy is overwritten with the revision, and the overwrite is reported",
        },
      ],
      voidedInXero: [
        {
          value: 'fail',
          label: 'Fail and explain',
          example: 'the revision is listed under failures, saying when the document was voided or deleted in Xero',
        },
        {
          value: 'recreate',
          label: 'Create it again in Xero',
          example: 'the revision becomes a new document in Xero; the voided one stays as it is',
        },
      ],
      personNameFormats: [
        { value: 'first_last', label: 'First name, then last name', example: 'Jane Smith' },
        { value: 'last_first', label: 'Last name, then first name', example: 'Smith Jane' },
        { value: 'last_comma_first', label: 'Last name, comma, first name', example: 'Smith, Jane' },
      ],
    },
  };
}

/** Names shown for the settings invoice sync still needs. */
export const MISSING_LABELS: Record<string, string> = {
  revenueAccountCode: 'the sales account',
  defaultTaxType: 'the default tax rate',
  bankAccountCode: 'the bank account for payments (or turn off payment sync)',
};
