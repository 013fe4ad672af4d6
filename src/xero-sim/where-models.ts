/**
 * The models a `where` clause can name, so that an unknown field is refused as Xero refuses it (400)
 * instead of quietly matching nothing: a misspelt filter must not pass for "not found". Field names
 * and nested models are taken from Xero's OpenAPI description (`components.schemas`), plus the
 * date strings Xero's answers carry although the schemas omit them. Arrays are leaves.
 */

interface ModelSpec {
  fields: string;
  objects?: Record<string, string>;
}

const SPECS: Record<string, ModelSpec> = {
  Invoice: {
    fields:
      'Type Contact LineItems Date DueDate LineAmountTypes InvoiceNumber Reference BrandingThemeID Url CurrencyCode CurrencyRate Status SentToContact ExpectedPaymentDate PlannedPaymentDate CISDeduction CISRate SubTotal TotalTax Total TotalDiscount InvoiceID RepeatingInvoiceID HasAttachments IsDiscounted Payments Prepayments Overpayments AmountDue AmountPaid FullyPaidOnDate AmountCredited UpdatedDateUTC UpdatedDateUTCString CreditNotes Attachments HasErrors StatusAttributeString ValidationErrors Warnings InvoiceAddresses DateString DueDateString',
    objects: { Contact: 'Contact' },
  },
  Contact: {
    fields:
      'ContactID MergedToContactID ContactNumber AccountNumber ContactStatus Name FirstName LastName CompanyNumber EmailAddress ContactPersons BankAccountDetails TaxNumber TaxNumberType AccountsReceivableTaxType AccountsPayableTaxType Addresses Phones IsSupplier IsCustomer SalesDefaultLineAmountType PurchasesDefaultLineAmountType DefaultCurrency XeroNetworkKey SalesDefaultAccountCode PurchasesDefaultAccountCode SalesTrackingCategories PurchasesTrackingCategories TrackingCategoryName TrackingCategoryOption PaymentTerms UpdatedDateUTC ContactGroups Website BrandingTheme BatchPayments Discount Balances Attachments HasAttachments ValidationErrors HasValidationErrors StatusAttributeString',
    objects: {
      PaymentTerms: 'PaymentTerm',
      BrandingTheme: 'BrandingTheme',
      BatchPayments: 'BatchPaymentDetails',
      Balances: 'Balances',
    },
  },
  CreditNote: {
    fields:
      'Type Contact Date DueDate Status LineAmountTypes LineItems SubTotal TotalTax Total CISDeduction CISRate UpdatedDateUTC UpdatedDateUTCString CurrencyCode FullyPaidOnDate CreditNoteID CreditNoteNumber Reference SentToContact CurrencyRate RemainingCredit Allocations AppliedAmount Payments BrandingThemeID StatusAttributeString HasAttachments HasErrors ValidationErrors Warnings InvoiceAddresses DateString',
    objects: { Contact: 'Contact' },
  },
  Payment: {
    fields:
      'Invoice CreditNote Prepayment Overpayment InvoiceNumber CreditNoteNumber BatchPayment Account Code Date CurrencyRate Amount BankAmount Reference IsReconciled Status PaymentType UpdatedDateUTC UpdatedDateUTCString PaymentID BatchPaymentID BankAccountNumber Particulars Details HasAccount HasValidationErrors StatusAttributeString ValidationErrors Warnings',
    objects: {
      Invoice: 'Invoice',
      CreditNote: 'CreditNote',
      Prepayment: 'Prepayment',
      Overpayment: 'Overpayment',
      BatchPayment: 'BatchPayment',
      Account: 'Account',
    },
  },
  Account: {
    fields:
      'Code Name AccountID Type BankAccountNumber Status Description BankAccountType CurrencyCode TaxType EnablePaymentsToAccount ShowInExpenseClaims Class SystemAccount ReportingCode ReportingCodeName HasAttachments UpdatedDateUTC AddToWatchlist ValidationErrors',
  },
  TaxRate: {
    fields:
      'Name TaxType TaxComponents Status ReportTaxType CanApplyToAssets CanApplyToEquity CanApplyToExpenses CanApplyToLiabilities CanApplyToRevenue DisplayTaxRate EffectiveRate',
  },
  TrackingCategory: { fields: 'TrackingCategoryID TrackingOptionID Name Option Status Options' },
  Item: {
    fields:
      'Code InventoryAssetAccountCode Name IsSold IsPurchased Description PurchaseDescription PurchaseDetails SalesDetails IsTrackedAsInventory TotalCostPool QuantityOnHand UpdatedDateUTC ItemID StatusAttributeString ValidationErrors',
    objects: { PurchaseDetails: 'Purchase', SalesDetails: 'Purchase' },
  },
  PaymentTerm: { fields: 'Bills Sales', objects: { Bills: 'Bill', Sales: 'Bill' } },
  BrandingTheme: { fields: 'BrandingThemeID Name LogoUrl Type SortOrder CreatedDateUTC' },
  BatchPaymentDetails: { fields: 'BankAccountNumber BankAccountName Details Code Reference' },
  Balances: {
    fields: 'AccountsReceivable AccountsPayable',
    objects: { AccountsReceivable: 'AccountsReceivable', AccountsPayable: 'AccountsPayable' },
  },
  Prepayment: {
    fields:
      'Type Contact Date Status LineAmountTypes LineItems SubTotal TotalTax Total Reference InvoiceNumber UpdatedDateUTC UpdatedDateUTCString CurrencyCode PrepaymentID BrandingThemeID CurrencyRate RemainingCredit Allocations Payments AppliedAmount HasAttachments Attachments',
    objects: { Contact: 'Contact' },
  },
  Overpayment: {
    fields:
      'Type Contact Date Status LineAmountTypes LineItems SubTotal TotalTax Total UpdatedDateUTC UpdatedDateUTCString CurrencyCode OverpaymentID CurrencyRate RemainingCredit Allocations AppliedAmount Payments HasAttachments Reference Attachments',
    objects: { Contact: 'Contact' },
  },
  BatchPayment: {
    fields:
      'Account Reference Particulars Code Details Narrative BatchPaymentID DateString Date Amount Payments Type Status TotalAmount UpdatedDateUTC IsReconciled ValidationErrors',
    objects: { Account: 'Account' },
  },
  Purchase: { fields: 'UnitPrice AccountCode COGSAccountCode TaxType' },
  Bill: { fields: 'Day Type' },
  AccountsReceivable: { fields: 'Outstanding Overdue' },
  AccountsPayable: { fields: 'Outstanding Overdue' },
};

export interface WhereModel {
  name: string;
  /** A field by name, without case (as Xero's parser finds it): its own spelling, and its model when it is an object. */
  field(name: string): { name: string; model?: WhereModel } | undefined;
}

const built = new Map<string, WhereModel>();

export function whereModel(name: string): WhereModel {
  const existing = built.get(name);
  if (existing) return existing;
  const spec = SPECS[name];
  if (!spec) throw new Error(`no where model ${name}`);
  const byLower = new Map(spec.fields.split(' ').map((f) => [f.toLowerCase(), f]));
  const model: WhereModel = {
    name,
    field(wanted) {
      const spelt = byLower.get(wanted.toLowerCase());
      if (spelt === undefined) return undefined;
      const nested = spec.objects?.[spelt];
      return { name: spelt, model: nested ? whereModel(nested) : undefined };
    },
  };
  built.set(name, model);
  return model;
}
