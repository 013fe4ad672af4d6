import type { ReferenceData } from '../xero/reference-data';
import type { Settings } from './settings';

/**
 * Settings checked against the connected organisation's live data: each problem keyed by the
 * setting's field name (cost-centre rows as `costCentreOptions.<cost centre>`), worded for an admin.
 */
export type FieldErrors = Record<string, string>;

/** Account types Xero refuses on invoice and bill lines. */
const NOT_FOR_LINES = new Set(['BANK']);

export function checkSettingsAgainstXero(s: Settings, ref: ReferenceData): FieldErrors {
  const errors: FieldErrors = {};
  const account = (code: string | undefined) => (code ? ref.accounts.find((a) => a.code === code) : undefined);

  const lineAccount = (
    field: 'revenueAccountCode' | 'expenseAccountCode' | 'roundingAccountCode',
    code: string | undefined,
  ) => {
    if (!code) return;
    const a = account(code);
    if (!a) errors[field] = `account ${code} does not exist in ${ref.organisation.name || 'this Xero organisation'}`;
    else if (!a.active) errors[field] = `account ${code} is archived in Xero`;
    else if (NOT_FOR_LINES.has(a.type))
      errors[field] = `${a.name} is a bank account; Xero does not accept it on invoice or bill lines`;
  };
  lineAccount('revenueAccountCode', s.revenueAccountCode);
  lineAccount('expenseAccountCode', s.expenseAccountCode);
  // A rounding line is one more line of the invoice or bill: the same accounts are refused.
  lineAccount('roundingAccountCode', s.roundingAccountCode);

  if (s.bankAccountCode) {
    const a = account(s.bankAccountCode);
    if (!a) errors.bankAccountCode = `account ${s.bankAccountCode} does not exist in Xero`;
    else if (!a.active) errors.bankAccountCode = `account ${s.bankAccountCode} is archived in Xero`;
    else if (a.type !== 'BANK' && !a.enablePayments)
      errors.bankAccountCode = `${a.name} cannot receive payments: choose a bank account, or enable payments to it in Xero`;
  }

  if (s.defaultTaxType) {
    const t = ref.taxRates.find((r) => r.taxType === s.defaultTaxType);
    if (!t) errors.defaultTaxType = `tax rate ${s.defaultTaxType} does not exist in Xero`;
    else if (!t.active) errors.defaultTaxType = `${t.name} is no longer active in Xero`;
  }

  if (s.brandingThemeId && !ref.brandingThemes.some((b) => b.id === s.brandingThemeId)) {
    errors.brandingThemeId = 'this branding theme does not exist in Xero';
  }

  const mapped = Object.entries(s.costCentreOptions);
  if (s.trackingCategoryName) {
    const category = ref.trackingCategories.find((c) => c.name === s.trackingCategoryName);
    if (!category)
      errors.trackingCategoryName = `there is no tracking category named "${s.trackingCategoryName}" in Xero (names must match exactly)`;
    else if (!category.active)
      errors.trackingCategoryName = `the tracking category "${category.name}" is archived in Xero`;
    else {
      for (const [costCentre, option] of mapped) {
        if (!category.options.includes(option)) {
          errors[`costCentreOptions.${costCentre}`] =
            `"${option}" is not an option of ${category.name} in Xero (names must match exactly)`;
        }
      }
    }
  } else if (mapped.length > 0) {
    errors.trackingCategoryName = 'choose the tracking category your cost centres map to';
  }
  return errors;
}
