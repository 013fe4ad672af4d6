import { type ApiContext, queryFlag, unitDp } from './api-context';
import { envelope, notFound, type SimResponse } from './answers';
import { isUuid } from './ids';
import { isListed, listRecords } from './listing';
import type { AccountRec, ItemRec, OrgRec, TaxRateRec, TrackingCategoryRec } from './store';
import { round } from './totals';
import { msDate } from './xero-dates';

/**
 * The read-only settings the engine's setup page offers: the organisation itself (name, currency,
 * short code, lock dates), the chart of accounts, tax rates, tracking categories, branding themes
 * and items.
 */

export function renderOrganisation(org: OrgRec): Record<string, unknown> {
  return {
    OrganisationID: org.OrganisationID,
    APIKey: '',
    Name: org.Name,
    LegalName: org.LegalName,
    PaysTax: true,
    Version:
      org.CountryCode === 'NZ'
        ? 'NZ'
        : org.CountryCode === 'AU'
          ? 'AU'
          : org.CountryCode === 'GB'
            ? 'UK'
            : org.CountryCode === 'US'
              ? 'US'
              : 'GLOBAL',
    OrganisationType: 'COMPANY',
    BaseCurrency: org.BaseCurrency,
    CountryCode: org.CountryCode,
    IsDemoCompany: false,
    OrganisationStatus: 'ACTIVE',
    TaxNumber: '101-234-567',
    FinancialYearEndDay: 31,
    FinancialYearEndMonth: 3,
    SalesTaxBasis: 'INVOICE',
    SalesTaxPeriod: 'TWOMONTHS',
    DefaultSalesTax: 'Tax Exclusive',
    DefaultPurchasesTax: 'Tax Exclusive',
    PeriodLockDate: org.PeriodLockDate !== undefined ? msDate(org.PeriodLockDate) : undefined,
    EndOfYearLockDate: org.EndOfYearLockDate !== undefined ? msDate(org.EndOfYearLockDate) : undefined,
    CreatedDateUTC: msDate(org.CreatedDateUTC),
    Timezone: 'NEWZEALANDSTANDARDTIME',
    OrganisationEntityType: 'COMPANY',
    ShortCode: org.ShortCode,
    Class: org.Class,
    Edition: 'BUSINESS',
    LineOfBusiness: 'Professional services',
    Addresses: [
      {
        AddressType: 'STREET',
        AddressLine1: '23 Main Street',
        City: 'Wellington',
        PostalCode: '6011',
        Country: 'New Zealand',
      },
    ],
    Phones: [{ PhoneType: 'OFFICE', PhoneNumber: '555 1234', PhoneAreaCode: '04', PhoneCountryCode: '64' }],
    ExternalLinks: [],
    PaymentTerms: {},
  };
}

export function renderAccount(a: AccountRec): Record<string, unknown> {
  return {
    AccountID: a.AccountID,
    Code: a.Code,
    Name: a.Name,
    Status: a.Status,
    Type: a.Type,
    TaxType: a.TaxType,
    Description: a.Description,
    Class: a.Class,
    SystemAccount: a.SystemAccount,
    EnablePaymentsToAccount: a.EnablePaymentsToAccount,
    ShowInExpenseClaims: a.ShowInExpenseClaims,
    BankAccountNumber: a.BankAccountNumber,
    BankAccountType: a.Type === 'BANK' ? (a.BankAccountType ?? 'BANK') : '',
    CurrencyCode: a.CurrencyCode,
    ReportingCode: a.ReportingCode,
    ReportingCodeName: a.ReportingCodeName,
    HasAttachments: false,
    UpdatedDateUTC: msDate(a.UpdatedDateUTC),
    AddToWatchlist: false,
  };
}

export function renderTaxRate(t: TaxRateRec): Record<string, unknown> {
  return {
    Name: t.Name,
    TaxType: t.TaxType,
    ReportTaxType: t.ReportTaxType,
    CanApplyToAssets: t.CanApplyToAssets,
    CanApplyToEquity: t.CanApplyToEquity,
    CanApplyToExpenses: t.CanApplyToExpenses,
    CanApplyToLiabilities: t.CanApplyToLiabilities,
    CanApplyToRevenue: t.CanApplyToRevenue,
    DisplayTaxRate: t.Rate,
    EffectiveRate: t.Rate,
    Status: t.Status,
    TaxComponents: [{ Name: 'GST', Rate: t.Rate, IsCompound: false, IsNonRecoverable: false }],
  };
}

export function renderTrackingCategory(c: TrackingCategoryRec, includeArchived: boolean): Record<string, unknown> {
  return {
    Name: c.Name,
    Status: c.Status,
    TrackingCategoryID: c.TrackingCategoryID,
    Options: c.Options.filter((o) => includeArchived || o.Status === 'ACTIVE').map((o) => ({
      TrackingOptionID: o.TrackingOptionID,
      Name: o.Name,
      Status: o.Status,
      TrackingCategoryID: c.TrackingCategoryID,
    })),
  };
}

/** Unit prices keep four decimals only when the caller asks with `unitdp=4`, as on invoices. */
export function renderItem(i: ItemRec, dp: 2 | 4 = 2): Record<string, unknown> {
  const details = (d: ItemRec['SalesDetails']) =>
    d ? { ...d, ...(d.UnitPrice !== undefined ? { UnitPrice: round(d.UnitPrice, dp) } : {}) } : {};
  return {
    ItemID: i.ItemID,
    Code: i.Code,
    Name: i.Name,
    Description: i.Description,
    PurchaseDescription: i.PurchaseDescription,
    IsSold: i.IsSold,
    IsPurchased: i.IsPurchased,
    IsTrackedAsInventory: false,
    UpdatedDateUTC: msDate(i.UpdatedDateUTC),
    PurchaseDetails: details(i.PurchaseDetails),
    SalesDetails: details(i.SalesDetails),
  };
}

function listAnswer(
  ctx: ApiContext,
  key: string,
  model: string,
  rows: Array<{ record: Record<string, unknown>; updatedAt: number }>,
): SimResponse {
  const listed = listRecords(ctx, rows, { pageable: false, model });
  if (!isListed(listed)) return listed;
  return envelope(ctx.app.name, ctx.now, key, listed.items);
}

export function getOrganisation(ctx: ApiContext): SimResponse {
  return envelope(ctx.app.name, ctx.now, 'Organisations', [renderOrganisation(ctx.org)]);
}

export function getAccounts(ctx: ApiContext): SimResponse {
  return listAnswer(
    ctx,
    'Accounts',
    'Account',
    ctx.org.accounts.map((a) => ({ record: renderAccount(a), updatedAt: a.UpdatedDateUTC })),
  );
}

export function getAccount(ctx: ApiContext, id: string): SimResponse {
  const a = isUuid(id) ? ctx.org.accounts.find((x) => x.AccountID.toLowerCase() === id.toLowerCase()) : undefined;
  return a ? envelope(ctx.app.name, ctx.now, 'Accounts', [renderAccount(a)]) : notFound();
}

export function getTaxRates(ctx: ApiContext): SimResponse {
  return listAnswer(
    ctx,
    'TaxRates',
    'TaxRate',
    ctx.org.taxRates.map((t) => ({ record: renderTaxRate(t), updatedAt: 0 })),
  );
}

export function getTaxRate(ctx: ApiContext, taxType: string): SimResponse {
  const t = ctx.org.taxRates.find((x) => x.TaxType.toLowerCase() === taxType.toLowerCase());
  return t ? envelope(ctx.app.name, ctx.now, 'TaxRates', [renderTaxRate(t)]) : notFound();
}

/** Archived categories and options are hidden unless `includeArchived=true`, as in Xero. */
export function getTrackingCategories(ctx: ApiContext): SimResponse {
  const includeArchived = queryFlag(ctx, 'includeArchived');
  const rows = ctx.org.trackingCategories
    .filter((c) => includeArchived || c.Status === 'ACTIVE')
    .map((c) => ({ record: renderTrackingCategory(c, includeArchived), updatedAt: 0 }));
  return listAnswer(ctx, 'TrackingCategories', 'TrackingCategory', rows);
}

export function getTrackingCategory(ctx: ApiContext, id: string): SimResponse {
  const c = ctx.org.trackingCategories.find((x) => x.TrackingCategoryID.toLowerCase() === id.toLowerCase());
  return c ? envelope(ctx.app.name, ctx.now, 'TrackingCategories', [renderTrackingCategory(c, true)]) : notFound();
}

export function getBrandingThemes(ctx: ApiContext): SimResponse {
  const themes = ctx.org.brandingThemes.map((b) => ({
    BrandingThemeID: b.BrandingThemeID,
    Name: b.Name,
    LogoUrl: undefined,
    Type: 'INVOICE',
    SortOrder: b.SortOrder,
    CreatedDateUTC: msDate(b.CreatedDateUTC),
  }));
  return envelope(ctx.app.name, ctx.now, 'BrandingThemes', themes);
}

export function getItems(ctx: ApiContext): SimResponse {
  return listAnswer(
    ctx,
    'Items',
    'Item',
    ctx.org.items.map((i) => ({ record: renderItem(i, unitDp(ctx)), updatedAt: i.UpdatedDateUTC })),
  );
}

export function getItem(ctx: ApiContext, key: string): SimResponse {
  const i = ctx.org.items.find(
    (x) => x.ItemID.toLowerCase() === key.toLowerCase() || x.Code.toLowerCase() === key.toLowerCase(),
  );
  return i ? envelope(ctx.app.name, ctx.now, 'Items', [renderItem(i, unitDp(ctx))]) : notFound();
}
