import { organisationSeedSchema, type OrganisationSeed } from './options';
import { stableId } from './ids';
import type {
  AccountRec,
  BrandingThemeRec,
  ContactRec,
  ItemRec,
  OrgRec,
  TaxRateRec,
  TrackingCategoryRec,
} from './store';
import { parseDocumentDate } from './xero-dates';

/**
 * The standard organisation: a trimmed New Zealand demo chart with the traps the engine must meet
 * (archived accounts, a deleted tax rate, an archived tracking option, an archived contact).
 */

export const DEFAULT_ORGANISATIONS: OrganisationSeed[] = [
  { name: 'Demo Company (NZ)', shortCode: '!xkd4N' },
  { name: 'Acme Plumbing Ltd', shortCode: '!Pq7rT' },
];

type AccountSeed = Pick<AccountRec, 'Code' | 'Name' | 'Type' | 'TaxType' | 'Class'> & Partial<AccountRec>;

const ACCOUNTS: AccountSeed[] = [
  {
    Code: '090',
    Name: 'Business Bank Account',
    Type: 'BANK',
    TaxType: 'NONE',
    Class: 'ASSET',
    BankAccountNumber: '0201234567891000',
    BankAccountType: 'BANK',
  },
  {
    Code: '091',
    Name: 'Business Savings Account',
    Type: 'BANK',
    TaxType: 'NONE',
    Class: 'ASSET',
    BankAccountNumber: '0209087654321050',
    BankAccountType: 'BANK',
  },
  {
    Code: '200',
    Name: 'Sales',
    Type: 'REVENUE',
    TaxType: 'OUTPUT2',
    Class: 'REVENUE',
    Description: 'Income from any normal business activity',
  },
  { Code: '205', Name: 'Sales - Hardware', Type: 'REVENUE', TaxType: 'OUTPUT2', Class: 'REVENUE', Status: 'ARCHIVED' },
  {
    Code: '260',
    Name: 'Other Revenue',
    Type: 'REVENUE',
    TaxType: 'OUTPUT2',
    Class: 'REVENUE',
    Description: 'Any other income that does not relate to normal business activities',
  },
  { Code: '270', Name: 'Interest Income', Type: 'OTHERINCOME', TaxType: 'NONE', Class: 'REVENUE' },
  {
    Code: '310',
    Name: 'Cost of Goods Sold',
    Type: 'DIRECTCOSTS',
    TaxType: 'INPUT2',
    Class: 'EXPENSE',
    Description: 'Cost of goods bought for resale',
  },
  { Code: '320', Name: 'Subcontractors', Type: 'DIRECTCOSTS', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '400', Name: 'Advertising', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '404', Name: 'Bank Fees', Type: 'EXPENSE', TaxType: 'NONE', Class: 'EXPENSE' },
  { Code: '429', Name: 'General Expenses', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '445', Name: 'Light, Power, Heating', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '461', Name: 'Printing & Stationery', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '489', Name: 'Telephone & Internet', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '493', Name: 'Travel - National', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE' },
  { Code: '499', Name: 'Old Expenses', Type: 'EXPENSE', TaxType: 'INPUT2', Class: 'EXPENSE', Status: 'ARCHIVED' },
  {
    Code: '610',
    Name: 'Accounts Receivable',
    Type: 'CURRENT',
    TaxType: 'NONE',
    Class: 'ASSET',
    SystemAccount: 'DEBTORS',
  },
  {
    Code: '800',
    Name: 'Accounts Payable',
    Type: 'CURRLIAB',
    TaxType: 'NONE',
    Class: 'LIABILITY',
    SystemAccount: 'CREDITORS',
  },
  { Code: '820', Name: 'GST', Type: 'CURRLIAB', TaxType: 'NONE', Class: 'LIABILITY', SystemAccount: 'GST' },
  {
    Code: '855',
    Name: 'Payments Clearing',
    Type: 'CURRLIAB',
    TaxType: 'NONE',
    Class: 'LIABILITY',
    EnablePaymentsToAccount: true,
    Description: 'Takes payments without being a bank account',
  },
  { Code: '970', Name: 'Owner A Funds Introduced', Type: 'EQUITY', TaxType: 'NONE', Class: 'EQUITY' },
];

const TAX_RATES: Array<Pick<TaxRateRec, 'Name' | 'TaxType' | 'Rate' | 'ReportTaxType'> & Partial<TaxRateRec>> = [
  {
    Name: '15% GST on Income',
    TaxType: 'OUTPUT2',
    Rate: 15,
    ReportTaxType: 'OUTPUT',
    CanApplyToRevenue: true,
    CanApplyToExpenses: false,
  },
  { Name: '15% GST on Expenses', TaxType: 'INPUT2', Rate: 15, ReportTaxType: 'INPUT', CanApplyToRevenue: false },
  { Name: 'GST on Imports', TaxType: 'GSTONIMPORTS', Rate: 0, ReportTaxType: 'GSTONIMPORTS', CanApplyToRevenue: false },
  { Name: 'No GST', TaxType: 'NONE', Rate: 0, ReportTaxType: 'NONE' },
  { Name: 'Zero Rated', TaxType: 'EXEMPTOUTPUT', Rate: 0, ReportTaxType: 'EXEMPTOUTPUT', CanApplyToExpenses: false },
  { Name: 'Old 12.5% GST', TaxType: 'TAX001', Rate: 12.5, ReportTaxType: 'OUTPUT', Status: 'DELETED' },
];

const TRACKING: Array<{
  Name: string;
  Status?: 'ACTIVE' | 'ARCHIVED';
  Options: Array<{ Name: string; Status?: 'ACTIVE' | 'ARCHIVED' }>;
}> = [
  { Name: 'Region', Options: [{ Name: 'North' }, { Name: 'South' }, { Name: 'West', Status: 'ARCHIVED' }] },
  { Name: 'Cost Centre', Options: [{ Name: 'Installation' }, { Name: 'Maintenance' }, { Name: 'Head Office' }] },
  { Name: 'Old Projects', Status: 'ARCHIVED', Options: [{ Name: 'Alpha' }] },
];

const CONTACTS: Array<Partial<ContactRec> & { Name: string }> = [
  {
    Name: 'Ridgeway University',
    EmailAddress: 'accounts@ridgeway.example',
    ContactNumber: 'CUST-001',
    IsCustomer: true,
    Addresses: [
      {
        AddressType: 'POBOX',
        AddressLine1: 'P O Box 8900',
        City: 'Wellington',
        PostalCode: '6011',
        Country: 'New Zealand',
      },
    ],
  },
  { Name: 'Boom FM', FirstName: 'Sam', LastName: 'Wilson', EmailAddress: 'sam@boomfm.example', IsCustomer: true },
  { Name: 'City Agency', EmailAddress: 'bills@cityagency.example', IsSupplier: true },
  { Name: 'PowerDirect', AccountNumber: 'PD-7788', IsSupplier: true },
  { Name: 'Old Supplier Ltd', ContactStatus: 'ARCHIVED', IsSupplier: true },
];

/** The default lock-date-free organisation, or the seed's overrides of it. */
export function buildOrganisation(input: OrganisationSeed): OrgRec {
  const seed = organisationSeedSchema.parse(input);
  const tenantId = seed.tenantId ?? stableId('tenant', seed.name);
  const id = (...parts: string[]) => stableId(tenantId, ...parts);
  const created = Date.UTC(2024, 0, 15, 9, 30, 0);

  const accounts: AccountRec[] = (seed.accounts ?? ACCOUNTS).map((raw) => {
    const a = raw as AccountSeed;
    return {
      AccountID: a.AccountID ?? id('account', a.Code),
      Code: a.Code,
      Name: a.Name,
      Type: a.Type,
      Status: a.Status ?? 'ACTIVE',
      TaxType: a.TaxType ?? 'NONE',
      Description: a.Description,
      BankAccountNumber: a.BankAccountNumber,
      BankAccountType: a.Type === 'BANK' ? (a.BankAccountType ?? 'BANK') : undefined,
      CurrencyCode: a.Type === 'BANK' ? (a.CurrencyCode ?? seed.baseCurrency) : undefined,
      EnablePaymentsToAccount: a.EnablePaymentsToAccount ?? false,
      ShowInExpenseClaims: a.ShowInExpenseClaims ?? a.Class === 'EXPENSE',
      Class: a.Class,
      SystemAccount: a.SystemAccount,
      ReportingCode: a.ReportingCode,
      ReportingCodeName: a.ReportingCodeName,
      UpdatedDateUTC: created,
    };
  });

  const taxRates: TaxRateRec[] = (seed.taxRates ?? TAX_RATES).map((raw) => {
    const t = raw as (typeof TAX_RATES)[number];
    return {
      Name: t.Name,
      TaxType: t.TaxType,
      Status: t.Status ?? 'ACTIVE',
      ReportTaxType: t.ReportTaxType,
      Rate: t.Rate,
      CanApplyToAssets: t.CanApplyToAssets ?? true,
      CanApplyToEquity: t.CanApplyToEquity ?? true,
      CanApplyToExpenses: t.CanApplyToExpenses ?? true,
      CanApplyToLiabilities: t.CanApplyToLiabilities ?? true,
      CanApplyToRevenue: t.CanApplyToRevenue ?? true,
    };
  });

  const trackingCategories: TrackingCategoryRec[] = (seed.trackingCategories ?? TRACKING).map((raw) => {
    const c = raw as (typeof TRACKING)[number];
    return {
      TrackingCategoryID: id('tracking', c.Name),
      Name: c.Name,
      Status: c.Status ?? 'ACTIVE',
      Options: c.Options.map((o) => ({
        TrackingOptionID: id('tracking', c.Name, o.Name),
        Name: o.Name,
        Status: o.Status ?? 'ACTIVE',
      })),
    };
  });

  const brandingThemes: BrandingThemeRec[] = (
    seed.brandingThemes ?? [{ Name: 'Standard' }, { Name: 'Special Projects' }]
  ).map((raw, i) => ({
    BrandingThemeID: id('theme', String(raw.Name)),
    Name: String(raw.Name),
    SortOrder: i,
    CreatedDateUTC: created,
  }));

  const items: ItemRec[] = (
    seed.items ?? [
      {
        Code: 'DEV-HOUR',
        Name: 'Development hour',
        Description: 'Development work, per hour',
        IsSold: true,
        IsPurchased: false,
        SalesDetails: { UnitPrice: 150, AccountCode: '200', TaxType: 'OUTPUT2' },
      },
      {
        Code: 'PIPE-15',
        Name: '15mm copper pipe (per m)',
        Description: '15mm copper pipe, per metre',
        PurchaseDescription: '15mm copper pipe',
        IsSold: true,
        IsPurchased: true,
        SalesDetails: { UnitPrice: 12.5, AccountCode: '200', TaxType: 'OUTPUT2' },
        PurchaseDetails: { UnitPrice: 7.25, AccountCode: '310', TaxType: 'INPUT2' },
      },
    ]
  ).map((raw) => {
    const i = raw as Partial<ItemRec> & { Code: string; Name: string };
    return {
      ItemID: id('item', i.Code),
      Code: i.Code,
      Name: i.Name,
      Description: i.Description,
      PurchaseDescription: i.PurchaseDescription,
      IsSold: i.IsSold ?? true,
      IsPurchased: i.IsPurchased ?? false,
      SalesDetails: i.SalesDetails,
      PurchaseDetails: i.PurchaseDetails,
      UpdatedDateUTC: created,
    };
  });

  const contacts = new Map<string, ContactRec>();
  for (const raw of seed.contacts ?? CONTACTS) {
    const c = raw as Partial<ContactRec> & { Name: string };
    const rec: ContactRec = {
      ...c,
      ContactID: c.ContactID ?? id('contact', c.Name),
      ContactStatus: c.ContactStatus ?? 'ACTIVE',
      Name: c.Name,
      Addresses: c.Addresses ?? [],
      Phones: c.Phones ?? [],
      IsSupplier: c.IsSupplier ?? false,
      IsCustomer: c.IsCustomer ?? false,
      UpdatedDateUTC: created,
    };
    contacts.set(rec.ContactID, rec);
  }

  return {
    OrganisationID: tenantId,
    Name: seed.name,
    LegalName: seed.name,
    ShortCode: seed.shortCode ?? `!${tenantId.slice(0, 5)}`,
    BaseCurrency: seed.baseCurrency,
    Class: 'PREMIUM',
    CountryCode: seed.countryCode,
    CreatedDateUTC: created,
    PeriodLockDate: parseDocumentDate(seed.periodLockDate),
    EndOfYearLockDate: parseDocumentDate(seed.endOfYearLockDate),
    currencies: new Map(),
    accounts,
    taxRates,
    trackingCategories,
    brandingThemes,
    items,
    contacts,
    invoices: new Map(),
    creditNotes: new Map(),
    payments: new Map(),
    allocations: new Map(),
    counters: { invoice: 0, creditNote: 0 },
  };
}
