import { Accountant, type ContactEdit, type CreditNoteEdit, type InvoiceEdit, type PaymentEntry } from './accountant';
import { attachmentsOf } from './attachments';
import { renderContact } from './contacts';
import { renderCreditNote } from './credit-notes';
import type { FaultRule, FaultRuleInput, Faults } from './faults';
import { issueTokensDirectly } from './identity';
import type { IdempotencyStore } from './idempotency';
import { renderInvoice } from './invoices';
import {
  type Limits,
  type OrganisationSeed,
  resolveLimits,
  type SimApp,
  appSchema,
  type WebhookOptions,
  webhookOptionsSchema,
} from './options';
import { renderPayment } from './payments';
import { renderItem } from './reference-data';
import type { RateLimiter } from './rate-limits';
import { buildOrganisation, DEFAULT_ORGANISATIONS } from './seed';
import type { RecordedResponse, RequestLogEntry, Store, TokenAnswer } from './store';
import { revokeGrant } from './tokens';
import type { IntentCheckResult, WebhookDelivery, WebhookSender } from './webhooks';
import { parseDocumentDate } from './xero-dates';

/**
 * The simulator's own controls, outside Xero's surface: seed, inspect, break and reset. Tests use
 * this object in process; the control API (/__sim) exposes the same powers over HTTP.
 */

export const DEFAULT_SCOPES = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'accounting.invoices',
  'accounting.payments',
  'accounting.contacts',
  'accounting.settings',
  'accounting.attachments',
];

export interface OrganisationSummary {
  tenantId: string;
  name: string;
  shortCode: string;
  baseCurrency: string;
  periodLockDate?: string;
  endOfYearLockDate?: string;
}

export class SimulatorControl {
  private readonly accountant: Accountant;

  constructor(
    private readonly store: Store,
    private readonly limiter: RateLimiter,
    private readonly idempotency: IdempotencyStore,
    private readonly faultRules: Faults,
    private readonly webhookSender: WebhookSender,
    private readonly seeds: OrganisationSeed[],
    private readonly initialApps: SimApp[],
  ) {
    this.accountant = new Accountant(store, webhookSender);
  }

  /** Lays the seeded organisations and apps; everything else is cleared. */
  reset(): void {
    this.store.clearAll();
    this.limiter.reset();
    this.idempotency.clear();
    this.faultRules.clear();
    this.webhookSender.clear();
    this.store.apps.clear();
    for (const app of this.initialApps) this.store.apps.set(app.clientId, app);
    for (const seed of this.seeds.length > 0 ? this.seeds : DEFAULT_ORGANISATIONS) this.addOrganisation(seed);
  }

  organisations(): OrganisationSummary[] {
    return [...this.store.orgs.values()].map((o) => ({
      tenantId: o.OrganisationID,
      name: o.Name,
      shortCode: o.ShortCode,
      baseCurrency: o.BaseCurrency,
      periodLockDate:
        o.PeriodLockDate !== undefined ? new Date(o.PeriodLockDate).toISOString().slice(0, 10) : undefined,
      endOfYearLockDate:
        o.EndOfYearLockDate !== undefined ? new Date(o.EndOfYearLockDate).toISOString().slice(0, 10) : undefined,
    }));
  }

  addOrganisation(seed: OrganisationSeed): OrganisationSummary {
    const org = buildOrganisation(seed);
    if (this.store.orgs.has(org.OrganisationID)) throw new Error(`organisation ${org.OrganisationID} already exists`);
    this.store.orgs.set(org.OrganisationID, org);
    return this.organisations().find((o) => o.tenantId === org.OrganisationID)!;
  }

  /** Sets the organisation's Xero plan (`Organisation.Class`), e.g. STARTER with its monthly approval caps. */
  setPlan(tenantId: string, plan: string): void {
    this.requireOrg(tenantId).Class = plan.toUpperCase();
  }

  /** Enables a foreign currency in the organisation (Xero: Settings → Currencies), with its rate per base unit. */
  enableCurrency(tenantId: string, code: string, rate = 1): void {
    this.requireOrg(tenantId).currencies.set(code.toUpperCase(), { Description: code.toUpperCase(), rate });
  }

  /** Sets (or, with null, clears) the lock dates (YYYY-MM-DD). */
  setLockDates(tenantId: string, dates: { periodLockDate?: string | null; endOfYearLockDate?: string | null }): void {
    const org = this.requireOrg(tenantId);
    if (dates.periodLockDate !== undefined)
      org.PeriodLockDate = dates.periodLockDate === null ? undefined : parseDocumentDate(dates.periodLockDate);
    if (dates.endOfYearLockDate !== undefined)
      org.EndOfYearLockDate = dates.endOfYearLockDate === null ? undefined : parseDocumentDate(dates.endOfYearLockDate);
  }

  /** Archives (or restores) an account, tax rate or tracking option, as a user would in Xero. */
  setStatus(
    tenantId: string,
    what: { accountCode?: string; taxType?: string; trackingCategory?: string; trackingOption?: string },
    status: 'ACTIVE' | 'ARCHIVED',
  ): void {
    const org = this.requireOrg(tenantId);
    if (what.accountCode) {
      const a = org.accounts.find((x) => x.Code === what.accountCode);
      if (!a) throw new Error(`no account ${what.accountCode}`);
      a.Status = status;
      a.UpdatedDateUTC = this.store.now();
    }
    if (what.taxType) {
      const t = org.taxRates.find((x) => x.TaxType === what.taxType);
      if (!t) throw new Error(`no tax rate ${what.taxType}`);
      t.Status = status === 'ARCHIVED' ? 'ARCHIVED' : 'ACTIVE';
    }
    if (what.trackingCategory) {
      const c = org.trackingCategories.find((x) => x.Name === what.trackingCategory);
      if (!c) throw new Error(`no tracking category ${what.trackingCategory}`);
      if (what.trackingOption) {
        const o = c.Options.find((x) => x.Name === what.trackingOption);
        if (!o) throw new Error(`no tracking option ${what.trackingOption}`);
        o.Status = status;
      } else {
        c.Status = status;
      }
    }
  }

  addApp(app: Partial<SimApp> & { clientId: string }): SimApp {
    const parsed = appSchema.parse(app);
    this.store.apps.set(parsed.clientId, parsed);
    return parsed;
  }

  /** Xero-shaped copies of every invoice/bill of a tenant (lines included). */
  invoices(tenantId: string): Array<Record<string, unknown>> {
    const org = this.requireOrg(tenantId);
    return [...org.invoices.values()].map((i) =>
      renderInvoice(org, i, { lines: true, unitdp: 4, attachments: true, baseUrl: this.store.baseUrl }),
    );
  }

  contacts(tenantId: string): Array<Record<string, unknown>> {
    const org = this.requireOrg(tenantId);
    return [...org.contacts.values()].map((c) => renderContact(c));
  }

  /**
   * Forgets a contact, as if it had never been (Xero itself only archives: this stands for a contact
   * merged away, or an organisation that was reset). True when there was one.
   */
  deleteContact(tenantId: string, contactId: string): boolean {
    const org = this.requireOrg(tenantId);
    for (const [key, c] of org.contacts)
      if (c.ContactID.toLowerCase() === contactId.toLowerCase()) return org.contacts.delete(key);
    return false;
  }

  /** Forgets an invoice or bill (its payments stay), as after a reset of the organisation. True when there was one. */
  deleteInvoice(tenantId: string, invoiceId: string): boolean {
    const org = this.requireOrg(tenantId);
    for (const [key, i] of org.invoices)
      if (i.InvoiceID.toLowerCase() === invoiceId.toLowerCase()) return org.invoices.delete(key);
    return false;
  }

  // ---- an accountant at work in Xero's web app (Xero's rules and messages, and its webhook events) ----

  /** Voids an approved invoice or bill; refused once a payment or credit note is allocated to it. */
  voidInvoice(tenantId: string, invoiceId: string): Record<string, unknown> {
    return this.accountant.voidInvoice(tenantId, invoiceId);
  }

  /** Deletes a draft or submitted invoice or bill (an approved one can only be voided). */
  deleteDraftInvoice(tenantId: string, invoiceId: string): Record<string, unknown> {
    return this.accountant.deleteInvoice(tenantId, invoiceId);
  }

  /** Edits lines, reference, date or due date; totals recomputed; refused once money is allocated. */
  editInvoice(tenantId: string, invoiceId: string, edit: InvoiceEdit): Record<string, unknown> {
    return this.accountant.editInvoice(tenantId, invoiceId, edit);
  }

  /** Records a payment on an approved invoice or bill (PAID when nothing is left to pay). */
  recordPayment(
    tenantId: string,
    invoiceId: string,
    entry: PaymentEntry = {},
  ): { payment: Record<string, unknown>; invoice: Record<string, unknown> } {
    return this.accountant.recordPayment(tenantId, invoiceId, entry);
  }

  /** Removes a payment, as the web app's "Remove and redo": the invoice owes the amount again. */
  removePayment(
    tenantId: string,
    paymentId: string,
  ): { payment: Record<string, unknown>; invoice?: Record<string, unknown> } {
    return this.accountant.deletePayment(tenantId, paymentId);
  }

  voidCreditNote(tenantId: string, creditNoteId: string): Record<string, unknown> {
    return this.accountant.voidCreditNote(tenantId, creditNoteId);
  }

  deleteDraftCreditNote(tenantId: string, creditNoteId: string): Record<string, unknown> {
    return this.accountant.deleteCreditNote(tenantId, creditNoteId);
  }

  editCreditNote(tenantId: string, creditNoteId: string, edit: CreditNoteEdit): Record<string, unknown> {
    return this.accountant.editCreditNote(tenantId, creditNoteId, edit);
  }

  editContact(tenantId: string, contactId: string, edit: ContactEdit): Record<string, unknown> {
    return this.accountant.editContact(tenantId, contactId, edit);
  }

  /** Xero-shaped copies of a tenant's items (unit prices to four decimals). */
  items(tenantId: string): Array<Record<string, unknown>> {
    return this.requireOrg(tenantId).items.map((i) => renderItem(i, 4));
  }

  payments(tenantId: string): Array<Record<string, unknown>> {
    const org = this.requireOrg(tenantId);
    return [...org.payments.values()].map((p) => renderPayment(org, p));
  }

  creditNotes(tenantId: string): Array<Record<string, unknown>> {
    const org = this.requireOrg(tenantId);
    return [...org.creditNotes.values()].map((c) => renderCreditNote(org, c, 4));
  }

  /** Attachments of an invoice or credit note, bytes included. */
  attachments(
    tenantId: string,
    documentId: string,
  ): Array<{ attachmentId: string; fileName: string; mimeType: string; includeOnline: boolean; bytes: Buffer }> {
    const org = this.requireOrg(tenantId);
    const list = attachmentsOf(org, documentId);
    if (!list) throw new Error(`no invoice or credit note ${documentId}`);
    return list.map((a) => ({
      attachmentId: a.AttachmentID,
      fileName: a.FileName,
      mimeType: a.MimeType,
      includeOnline: a.IncludeOnline,
      bytes: a.bytes,
    }));
  }

  requestLog(filter?: { tenantId?: string; pathContains?: string; method?: string }): RequestLogEntry[] {
    return this.store.requestLog.filter(
      (e) =>
        (!filter?.tenantId || e.tenantId === filter.tenantId) &&
        (!filter?.pathContains || e.path.toLowerCase().includes(filter.pathContains.toLowerCase())) &&
        (!filter?.method || e.method === filter.method.toUpperCase()),
    );
  }

  clearRequestLog(): void {
    this.store.requestLog.length = 0;
  }

  /** Every accounting answer given, when started with `recordResponses: true`. */
  recordedResponses(): RecordedResponse[] {
    return this.store.recorded;
  }

  addFault(rule: FaultRuleInput): FaultRule {
    return this.faultRules.add(rule);
  }

  removeFault(id: string): boolean {
    return this.faultRules.remove(id);
  }

  clearFaults(): void {
    this.faultRules.clear();
  }

  faults(): FaultRule[] {
    return this.faultRules.list();
  }

  setLimits(limits: Partial<Limits>): Limits {
    const merged = resolveLimits({ ...this.limiter.currentLimits(), ...limits });
    this.limiter.setLimits(merged);
    this.store.limits = merged;
    return merged;
  }

  limits(): Limits {
    return this.limiter.currentLimits();
  }

  /** Tokens without the consent page (tests, demos): connects the tenants to the app. */
  issueTokens(
    args: { clientId?: string; tenantIds?: string[]; scope?: string[] } = {},
  ): TokenAnswer & { tenantIds: string[] } {
    const clientId = args.clientId ?? this.initialApps[0]?.clientId ?? 'xero-sim-client';
    if (!this.store.apps.has(clientId)) throw new Error(`unknown app ${clientId}`);
    const tenantIds = args.tenantIds ?? [...this.store.orgs.keys()];
    for (const t of tenantIds) this.requireOrg(t);
    return { ...issueTokensDirectly(this.store, clientId, tenantIds, args.scope ?? DEFAULT_SCOPES), tenantIds };
  }

  /**
   * Forced revocation, as when the user disconnects the app in Xero: the matching grants' tokens
   * stop working (401, refresh `invalid_grant`) and their connections go. Returns how many grants.
   */
  revokeTokens(filter: { clientId?: string; tenantId?: string } = {}): number {
    let count = 0;
    for (const grant of this.store.grants.values()) {
      if (grant.revoked || (filter.clientId && grant.clientId !== filter.clientId)) continue;
      if (
        filter.tenantId &&
        ![...this.store.connections.values()].some((c) => c.authEventId === grant.id && c.tenantId === filter.tenantId)
      )
        continue;
      revokeGrant(this.store, grant.id);
      count++;
    }
    return count;
  }

  /** Removes a tenant's connection while tokens stay valid: calls to it then answer 403. */
  disconnectTenant(tenantId: string, clientId?: string): number {
    let count = 0;
    for (const [id, c] of this.store.connections) {
      if (c.tenantId === tenantId && (!clientId || c.clientId === clientId)) {
        this.store.connections.delete(id);
        count++;
      }
    }
    return count;
  }

  /** Every access token expires now (the next API call answers 401 TokenExpired). */
  expireAccessTokens(): void {
    const now = this.store.now();
    for (const t of this.store.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
  }

  /** Every stored Idempotency-Key is forgotten, as after Xero's window. */
  expireIdempotencyKeys(): void {
    this.idempotency.expireAll();
  }

  /** Moves the simulator's clock: tokens, codes, keys and rate windows see the time pass. */
  advanceTime(ms: number): void {
    this.store.advanceTime(ms);
  }

  setWebhook(config: Partial<WebhookOptions> & { url: string; key: string }): void {
    this.webhookSender.configure(webhookOptionsSchema.parse(config));
  }

  clearWebhook(): void {
    this.webhookSender.configure(undefined);
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.webhookSender.deliveries;
  }

  flushWebhooks(): Promise<void> {
    return this.webhookSender.flush();
  }

  checkWebhookIntent(): Promise<IntentCheckResult> {
    return this.webhookSender.intentToReceive();
  }

  private requireOrg(tenantId: string) {
    const org = this.store.org(tenantId);
    if (!org) throw new Error(`unknown tenant ${tenantId}`);
    return org;
  }
}
