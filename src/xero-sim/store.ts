import type { Limits, ResolvedOptions, SimApp } from './options';

/**
 * The simulator's whole state, in memory. Records keep Xero's field names where they are Xero's
 * data, and plain numbers (ms) for dates so rules can compare them; rendering to Xero's JSON
 * happens in the module that owns each document type.
 */

export type LineAmountType = 'Exclusive' | 'Inclusive' | 'NoTax';
export type InvoiceType = 'ACCREC' | 'ACCPAY';
export type CreditNoteType = 'ACCRECCREDIT' | 'ACCPAYCREDIT';
export type DocStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';

export interface AccountRec {
  AccountID: string;
  Code: string;
  Name: string;
  Type: string;
  Status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
  TaxType: string;
  Description?: string;
  BankAccountNumber?: string;
  BankAccountType?: string;
  CurrencyCode?: string;
  EnablePaymentsToAccount: boolean;
  ShowInExpenseClaims: boolean;
  Class: string;
  SystemAccount?: string;
  ReportingCode?: string;
  ReportingCodeName?: string;
  UpdatedDateUTC: number;
}

export interface TaxRateRec {
  Name: string;
  TaxType: string;
  Status: 'ACTIVE' | 'DELETED' | 'ARCHIVED';
  ReportTaxType: string;
  Rate: number;
  CanApplyToAssets: boolean;
  CanApplyToEquity: boolean;
  CanApplyToExpenses: boolean;
  CanApplyToLiabilities: boolean;
  CanApplyToRevenue: boolean;
}

export interface TrackingOptionRec {
  TrackingOptionID: string;
  Name: string;
  Status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
}

export interface TrackingCategoryRec {
  TrackingCategoryID: string;
  Name: string;
  Status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
  Options: TrackingOptionRec[];
}

export interface BrandingThemeRec {
  BrandingThemeID: string;
  Name: string;
  SortOrder: number;
  CreatedDateUTC: number;
}

export interface ItemDetails {
  UnitPrice?: number;
  AccountCode?: string;
  TaxType?: string;
}

export interface ItemRec {
  ItemID: string;
  Code: string;
  Name: string;
  Description?: string;
  PurchaseDescription?: string;
  IsSold: boolean;
  IsPurchased: boolean;
  SalesDetails?: ItemDetails;
  PurchaseDetails?: ItemDetails;
  UpdatedDateUTC: number;
}

export interface AddressRec {
  AddressType: 'POBOX' | 'STREET' | 'DELIVERY';
  AddressLine1?: string;
  AddressLine2?: string;
  AddressLine3?: string;
  AddressLine4?: string;
  City?: string;
  Region?: string;
  PostalCode?: string;
  Country?: string;
  AttentionTo?: string;
}

export interface PhoneRec {
  PhoneType: 'DEFAULT' | 'DDI' | 'MOBILE' | 'FAX' | 'OFFICE';
  PhoneNumber?: string;
  PhoneAreaCode?: string;
  PhoneCountryCode?: string;
}

export interface ContactRec {
  ContactID: string;
  ContactStatus: 'ACTIVE' | 'ARCHIVED';
  Name: string;
  ContactNumber?: string;
  AccountNumber?: string;
  FirstName?: string;
  LastName?: string;
  EmailAddress?: string;
  CompanyNumber?: string;
  TaxNumber?: string;
  BankAccountDetails?: string;
  AccountsReceivableTaxType?: string;
  AccountsPayableTaxType?: string;
  DefaultCurrency?: string;
  Website?: string;
  Addresses: AddressRec[];
  Phones: PhoneRec[];
  IsSupplier: boolean;
  IsCustomer: boolean;
  UpdatedDateUTC: number;
}

export interface LineTrackingRec {
  TrackingCategoryID: string;
  TrackingOptionID: string;
  Name: string;
  Option: string;
}

export interface LineRec {
  LineItemID: string;
  Description?: string;
  Quantity: number;
  UnitAmount: number;
  ItemCode?: string;
  ItemID?: string;
  ItemName?: string;
  AccountCode?: string;
  AccountID?: string;
  TaxType: string;
  TaxAmount: number;
  LineAmount: number;
  DiscountRate?: number;
  DiscountAmount?: number;
  Tracking: LineTrackingRec[];
}

export interface Totals {
  SubTotal: number;
  TotalTax: number;
  Total: number;
  TotalDiscount: number;
}

export interface AttachmentRec {
  AttachmentID: string;
  FileName: string;
  MimeType: string;
  IncludeOnline: boolean;
  bytes: Buffer;
}

interface DocBase {
  ContactID: string;
  Date: number;
  DueDate?: number;
  Status: DocStatus;
  LineAmountTypes: LineAmountType;
  LineItems: LineRec[];
  totals: Totals;
  CurrencyCode: string;
  CurrencyRate: number;
  BrandingThemeID?: string;
  Reference?: string;
  SentToContact: boolean;
  UpdatedDateUTC: number;
  FullyPaidOnDate?: number;
  attachments: AttachmentRec[];
  /** The app that created it (GET Invoices?createdByMyApp=true). */
  createdByClientId: string;
}

export interface CreditAllocationRec {
  AllocationID: string;
  CreditNoteID: string;
  InvoiceID: string;
  Amount: number;
  Date: number;
}

export interface InvoiceRec extends DocBase {
  InvoiceID: string;
  Type: InvoiceType;
  InvoiceNumber: string;
  Url?: string;
  /** When it was first approved (AUTHORISED): what the smallest plans' monthly cap counts. */
  approvedAt?: number;
  ExpectedPaymentDate?: number;
  PlannedPaymentDate?: number;
  onlineToken: string;
}

export interface CreditNoteRec extends DocBase {
  CreditNoteID: string;
  Type: CreditNoteType;
  CreditNoteNumber: string;
}

export interface PaymentRec {
  PaymentID: string;
  InvoiceID: string;
  AccountID: string;
  Date: number;
  Amount: number;
  Reference?: string;
  CurrencyRate: number;
  Status: 'AUTHORISED' | 'DELETED';
  IsReconciled: boolean;
  UpdatedDateUTC: number;
}

export interface OrgRec {
  OrganisationID: string;
  Name: string;
  LegalName: string;
  ShortCode: string;
  BaseCurrency: string;
  /** The Xero plan (`Organisation.Class`): STARTER and IGNITE cap approvals per month. */
  Class: string;
  CountryCode: string;
  CreatedDateUTC: number;
  PeriodLockDate?: number;
  EndOfYearLockDate?: number;
  /** Foreign currencies enabled in the organisation (Settings → Currencies), with the rate Xero would use. */
  currencies: Map<string, { Description: string; rate: number }>;
  accounts: AccountRec[];
  taxRates: TaxRateRec[];
  trackingCategories: TrackingCategoryRec[];
  brandingThemes: BrandingThemeRec[];
  items: ItemRec[];
  contacts: Map<string, ContactRec>;
  invoices: Map<string, InvoiceRec>;
  creditNotes: Map<string, CreditNoteRec>;
  payments: Map<string, PaymentRec>;
  allocations: Map<string, CreditAllocationRec>;
  counters: { invoice: number; creditNote: number };
}

export interface GrantRec {
  /** Also the connections' authEventId. */
  id: string;
  clientId: string;
  userId: string;
  scope: string[];
  revoked: boolean;
  createdAt: number;
}

export interface TokenAnswer {
  id_token?: string;
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  refresh_token?: string;
  scope: string;
}

export interface RefreshTokenRec {
  token: string;
  grantId: string;
  expiresAt: number;
  /** When it was used; from then on only the grace period lets it be used again. */
  rotatedAt?: number;
  /** The answer given when it rotated, given again to a retry within the grace period. */
  answer?: TokenAnswer;
}

export interface AccessTokenRec {
  token: string;
  grantId: string;
  expiresAt: number;
}

export interface AuthCodeRec {
  code: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
  grantId: string;
  expiresAt: number;
  used: boolean;
}

export interface ConnectionRec {
  id: string;
  clientId: string;
  userId: string;
  tenantId: string;
  authEventId: string;
  createdAt: number;
  updatedAt: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
  tenantId?: string;
  clientId?: string;
  idempotencyKey?: string;
  idempotentReplay?: boolean;
  durationMs: number;
  fault?: string;
  /** The answer never reached the client (drop-after-commit or a dropped connection). */
  dropped?: boolean;
}

export interface RecordedResponse {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  contentType: string;
  body: unknown;
}

export interface SimUser {
  id: string;
  name: string;
  email: string;
}

export class Store {
  baseUrl = '';
  private offsetMs = 0;
  readonly apps = new Map<string, SimApp>();
  readonly orgs = new Map<string, OrgRec>();
  readonly grants = new Map<string, GrantRec>();
  readonly refreshTokens = new Map<string, RefreshTokenRec>();
  readonly accessTokens = new Map<string, AccessTokenRec>();
  readonly authCodes = new Map<string, AuthCodeRec>();
  readonly connections = new Map<string, ConnectionRec>();
  readonly requestLog: RequestLogEntry[] = [];
  readonly recorded: RecordedResponse[] = [];
  limits: Limits;
  user: SimUser;

  constructor(
    readonly options: ResolvedOptions,
    limits: Limits,
  ) {
    this.limits = limits;
    this.user = { id: '6d7e0c0a-5c1c-4c53-9f3e-3b0a2e1f7a11', ...options.user };
  }

  /** The simulator's clock: real time, moved forward by advanceTime() to make things expire. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  advanceTime(ms: number): void {
    this.offsetMs += ms;
  }

  /** How far advanceTime() has moved the clock (kept with the persisted state: expiries depend on it). */
  clockOffsetMs(): number {
    return this.offsetMs;
  }

  setClockOffsetMs(ms: number): void {
    this.offsetMs = ms;
  }

  org(tenantId: string): OrgRec | undefined {
    return this.orgs.get(tenantId);
  }

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
    const excess = this.requestLog.length - this.options.requestLogLimit;
    if (excess > 0) this.requestLog.splice(0, excess);
  }

  /** Forgets every token, code and connection, and every organisation (seed.ts lays them again). */
  clearAll(): void {
    this.orgs.clear();
    this.grants.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.authCodes.clear();
    this.connections.clear();
    this.requestLog.length = 0;
    this.recorded.length = 0;
    this.offsetMs = 0;
  }
}
