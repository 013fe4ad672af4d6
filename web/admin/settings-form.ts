import type { z } from 'zod';
import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../../src/domain/settings';
import type { FieldErrors } from '../../src/domain/settings-checks';
import { friendlyFieldErrors } from '../api/errors';

/**
 * The Setup form ↔ settings. The form is plain HTML: text comes as strings, unchecked boxes are
 * absent, cost-centre rows arrive as parallel `cc_name` / `cc_option` lists. What the admin typed is
 * kept as `SetupFormValues` so an invalid form re-renders exactly as it was sent.
 */

export interface CostCentreRow {
  name: string;
  option: string;
}

export interface SetupFormValues {
  revenueAccountCode: string;
  expenseAccountCode: string;
  bankAccountCode: string;
  defaultTaxType: string;
  defaultPurchaseTaxType: string;
  brandingThemeId: string;
  trackingCategoryName: string;
  costCentres: CostCentreRow[];
  invoiceStatus: string;
  lineAmountTypes: string;
  invoiceNumberPrefix: string;
  billStatus: string;
  creditNoteStatus: string;
  creditNoteNumberPrefix: string;
  dealInvoiceStatus: string;
  referenceFields: string[];
  exportedJobStatus: string;
  syncPayments: boolean;
  updateXeroContacts: boolean;
  syncInvoiceEdits: boolean;
  personNameFormat: string;
  accountNumberFromPayerReference: boolean;
  contactSyncIntervalHours: string;
  defaultDueDays: string;
  lockedPeriod: string;
  totalDifference: string;
  roundingAccountCode: string;
  /** An amount as typed, e.g. "0.05". */
  roundingTolerance: string;
  xeroChangeWins: string;
  voidedInXero: string;
  reconciliationIntervalHours: string;
}

type Body = Record<string, unknown>;

const text = (v: unknown): string =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
const checked = (v: unknown) => v !== undefined && v !== '';
/** An amount of money as the form shows it: always two decimals ("0.05", "1.00"). */
const formatAmount = (n: number) => n.toFixed(2);

export function valuesFromBody(body: Body): SetupFormValues {
  const names = list(body.cc_name);
  const options = list(body.cc_option);
  const rows = Array.from({ length: Math.max(names.length, options.length) }, (_, i) => ({
    name: (names[i] ?? '').trim(),
    option: (options[i] ?? '').trim(),
  }));
  return {
    revenueAccountCode: text(body.revenueAccountCode),
    expenseAccountCode: text(body.expenseAccountCode),
    bankAccountCode: text(body.bankAccountCode),
    defaultTaxType: text(body.defaultTaxType),
    defaultPurchaseTaxType: text(body.defaultPurchaseTaxType),
    brandingThemeId: text(body.brandingThemeId),
    trackingCategoryName: text(body.trackingCategoryName),
    costCentres: rows.filter((r) => r.name || r.option),
    invoiceStatus: text(body.invoiceStatus),
    lineAmountTypes: text(body.lineAmountTypes),
    invoiceNumberPrefix: text(body.invoiceNumberPrefix),
    billStatus: text(body.billStatus),
    creditNoteStatus: text(body.creditNoteStatus),
    creditNoteNumberPrefix: text(body.creditNoteNumberPrefix),
    dealInvoiceStatus: text(body.dealInvoiceStatus),
    referenceFields: list(body.referenceFields),
    exportedJobStatus: text(body.exportedJobStatus),
    syncPayments: checked(body.syncPayments),
    updateXeroContacts: checked(body.updateXeroContacts),
    syncInvoiceEdits: checked(body.syncInvoiceEdits),
    personNameFormat: text(body.personNameFormat),
    accountNumberFromPayerReference: checked(body.accountNumberFromPayerReference),
    contactSyncIntervalHours: text(body.contactSyncIntervalHours).trim(),
    defaultDueDays: text(body.defaultDueDays).trim(),
    lockedPeriod: text(body.lockedPeriod),
    totalDifference: text(body.totalDifference),
    roundingAccountCode: text(body.roundingAccountCode),
    // A browser always sends the field (empty when cleared); a form from before it existed holds the default.
    roundingTolerance:
      body.roundingTolerance === undefined
        ? formatAmount(DEFAULT_SETTINGS.roundingTolerance)
        : text(body.roundingTolerance).trim(),
    xeroChangeWins: text(body.xeroChangeWins),
    voidedInXero: text(body.voidedInXero),
    // As for the tolerance: a form from before the field existed holds the default.
    reconciliationIntervalHours:
      body.reconciliationIntervalHours === undefined
        ? String(DEFAULT_SETTINGS.reconciliationIntervalHours)
        : text(body.reconciliationIntervalHours).trim(),
  };
}

export function valuesFromSettings(s: Settings, extraCostCentres: string[] = []): SetupFormValues {
  const mapped = Object.entries(s.costCentreOptions).map(([name, option]) => ({ name, option }));
  const unmapped = extraCostCentres.filter((n) => !(n in s.costCentreOptions)).map((name) => ({ name, option: '' }));
  return {
    revenueAccountCode: s.revenueAccountCode ?? '',
    expenseAccountCode: s.expenseAccountCode ?? '',
    bankAccountCode: s.bankAccountCode ?? '',
    defaultTaxType: s.defaultTaxType ?? '',
    defaultPurchaseTaxType: s.defaultPurchaseTaxType ?? '',
    brandingThemeId: s.brandingThemeId ?? '',
    trackingCategoryName: s.trackingCategoryName ?? '',
    costCentres: [...mapped, ...unmapped],
    invoiceStatus: s.invoiceStatus,
    lineAmountTypes: s.lineAmountTypes,
    invoiceNumberPrefix: s.invoiceNumberPrefix,
    billStatus: s.billStatus,
    creditNoteStatus: s.creditNoteStatus,
    creditNoteNumberPrefix: s.creditNoteNumberPrefix,
    dealInvoiceStatus: s.dealInvoiceStatus,
    referenceFields: [...s.referenceFields],
    exportedJobStatus: s.exportedJobStatus ?? '',
    syncPayments: s.syncPayments,
    updateXeroContacts: s.updateXeroContacts,
    syncInvoiceEdits: s.syncInvoiceEdits,
    personNameFormat: s.personNameFormat,
    accountNumberFromPayerReference: s.accountNumberFromPayerReference,
    contactSyncIntervalHours: String(s.contactSyncIntervalHours),
    defaultDueDays: String(s.defaultDueDays),
    lockedPeriod: s.lockedPeriod,
    totalDifference: s.totalDifference,
    roundingAccountCode: s.roundingAccountCode ?? '',
    roundingTolerance: formatAmount(s.roundingTolerance),
    xeroChangeWins: s.xeroChangeWins,
    voidedInXero: s.voidedInXero,
    reconciliationIntervalHours: String(s.reconciliationIntervalHours),
  };
}

/** The error key of a cost-centre row, as the form shows it. */
export const costCentreKey = (name: string) => `costCentreOptions.${name}`;

/**
 * On failure, `rest` is what the other fields amount to (the failing ones left at their defaults), so
 * they can still be checked against Xero and every problem shown at once rather than one per save.
 */
export type ParsedForm = { ok: true; settings: Settings } | { ok: false; errors: FieldErrors; rest?: Settings };

export function settingsFromValues(v: SetupFormValues): ParsedForm {
  const errors: FieldErrors = {};
  const costCentreOptions: Record<string, string> = {};
  v.costCentres.forEach((row, i) => {
    if (!row.name) errors[`costCentres.${i}`] = 'enter the cost centre name exactly as your system shows it';
    else if (!row.option) errors[costCentreKey(row.name)] = 'choose the Xero option for this cost centre';
    else if (row.name in costCentreOptions) errors[costCentreKey(row.name)] = 'this cost centre is listed twice';
    else costCentreOptions[row.name] = row.option;
  });
  const whole = (
    field: 'contactSyncIntervalHours' | 'defaultDueDays' | 'reconciliationIntervalHours',
    raw: string,
  ): number | undefined => {
    if (/^\d{1,6}$/.test(raw)) return Number(raw);
    errors[field] = raw === '' ? 'required' : 'enter a whole number';
    return undefined;
  };
  // Digits and a point only (no exponent, no thousands separator); range and decimals are the schema's.
  const tolerance = (raw: string): number | undefined => {
    if (/^-?(\d{1,6}(\.\d*)?|\.\d+)$/.test(raw)) return Number(raw);
    errors.roundingTolerance =
      raw === '' ? 'enter an amount, for example 0.05' : 'enter an amount in digits with a point, for example 0.05';
    return undefined;
  };
  const blank = (s: string) => (s.trim() === '' ? undefined : s);
  const input: z.input<typeof settingsSchema> = {
    revenueAccountCode: blank(v.revenueAccountCode),
    expenseAccountCode: blank(v.expenseAccountCode),
    bankAccountCode: blank(v.bankAccountCode),
    defaultTaxType: blank(v.defaultTaxType),
    defaultPurchaseTaxType: blank(v.defaultPurchaseTaxType),
    brandingThemeId: blank(v.brandingThemeId),
    trackingCategoryName: blank(v.trackingCategoryName),
    costCentreOptions,
    invoiceStatus: v.invoiceStatus as Settings['invoiceStatus'],
    lineAmountTypes: v.lineAmountTypes as Settings['lineAmountTypes'],
    invoiceNumberPrefix: v.invoiceNumberPrefix,
    billStatus: v.billStatus as Settings['billStatus'],
    creditNoteStatus: v.creditNoteStatus as Settings['creditNoteStatus'],
    creditNoteNumberPrefix: v.creditNoteNumberPrefix,
    dealInvoiceStatus: v.dealInvoiceStatus as Settings['dealInvoiceStatus'],
    referenceFields: v.referenceFields as Settings['referenceFields'],
    exportedJobStatus: blank(v.exportedJobStatus),
    syncPayments: v.syncPayments,
    updateXeroContacts: v.updateXeroContacts,
    syncInvoiceEdits: v.syncInvoiceEdits,
    personNameFormat: v.personNameFormat as Settings['personNameFormat'],
    accountNumberFromPayerReference: v.accountNumberFromPayerReference,
    contactSyncIntervalHours: whole('contactSyncIntervalHours', v.contactSyncIntervalHours),
    defaultDueDays: whole('defaultDueDays', v.defaultDueDays),
    // A form from before this choice existed holds the default.
    lockedPeriod: (v.lockedPeriod || 'hold') as Settings['lockedPeriod'],
    totalDifference: (v.totalDifference || 'hold') as Settings['totalDifference'],
    roundingAccountCode: blank(v.roundingAccountCode),
    roundingTolerance: tolerance(v.roundingTolerance),
    xeroChangeWins: (v.xeroChangeWins || 'hold') as Settings['xeroChangeWins'],
    voidedInXero: (v.voidedInXero || 'fail') as Settings['voidedInXero'],
    reconciliationIntervalHours: whole('reconciliationIntervalHours', v.reconciliationIntervalHours),
  };
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    for (const [key, message] of Object.entries(friendlyFieldErrors(parsed.error))) errors[key] ??= message;
  }
  if (Object.keys(errors).length === 0 && parsed.success) return { ok: true, settings: parsed.data };
  const failing = new Set(Object.keys(errors).map((k) => k.split('.')[0]!));
  // Without its account a rounding line cannot be checked: the rest holds differences instead.
  if (failing.has('roundingAccountCode')) failing.add('totalDifference');
  const rest = settingsSchema.safeParse(
    Object.fromEntries(
      Object.entries(input).filter(
        ([k]) => !failing.has(k) && !(k === 'costCentreOptions' && failing.has('costCentres')),
      ),
    ),
  );
  return { ok: false, errors, rest: rest.success ? rest.data : undefined };
}
