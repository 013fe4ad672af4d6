import { z } from 'zod';
import { webhookEmitter } from './accounting-api';
import type { ApiContext } from './api-context';
import type { SimResponse } from './answers';
import { invoiceBalances } from './balances';
import { findContact, renderContact, writeContacts } from './contacts';
import { findCreditNote, renderCreditNote, writeCreditNotes } from './credit-notes';
import { findInvoice, renderInvoice, writeInvoices } from './invoices';
import { createPayments, deletePayment, renderPayment } from './payments';
import type { SimApp } from './options';
import type { CreditNoteRec, InvoiceRec, OrgRec, Store } from './store';
import type { WebhookSender } from './webhooks';

/**
 * What an accountant does in Xero's web app — void, delete, edit, record or remove a payment, edit
 * a contact — so tests and the demo can make Xero drift from what the engine wrote. Each action
 * goes through the same rules as the accounting API (status machine, the freeze once money is
 * allocated, lock dates, bank accounts, overpayment), so a refusal carries Xero's own message, and
 * raises the webhook events Xero would send.
 */

/** Xero refused the change; `messages` are Xero's validation messages. */
export class XeroRefusal extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' '));
    this.name = 'XeroRefusal';
  }
}

export class NotInXero extends Error {
  constructor(what: string) {
    super(`no ${what} in this organisation`);
    this.name = 'NotInXero';
  }
}

// Changes made in the web app are nobody's API client: `createdByMyApp` must not count them.
const WEB_APP: SimApp = { clientId: 'xero-web-app', name: 'Xero' };

const trackingSchema = z.object({ name: z.string().min(1), option: z.string().min(1) }).strict();

const lineSchema = z
  .object({
    /** Keeps (and changes) that line; a line without it is added; lines left out are deleted. */
    lineItemId: z.string().optional(),
    description: z.string().optional(),
    quantity: z.number().optional(),
    unitAmount: z.number().optional(),
    accountCode: z.string().optional(),
    taxType: z.string().optional(),
    itemCode: z.string().optional(),
    discountRate: z.number().optional(),
    tracking: z.array(trackingSchema).optional(),
  })
  .strict();

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const invoiceEditSchema = z
  .object({
    /** The document's lines after the edit, as the web app saves them (Xero's line-update rule). */
    lines: z.array(lineSchema).optional(),
    reference: z.string().optional(),
    date: day.optional(),
    dueDate: day.optional(),
  })
  .strict();
export type InvoiceEdit = z.infer<typeof invoiceEditSchema>;

export const creditNoteEditSchema = invoiceEditSchema.omit({ dueDate: true }).strict();
export type CreditNoteEdit = z.infer<typeof creditNoteEditSchema>;

export const paymentSchema = z
  .object({
    /** Default: what is still due. */
    amount: z.number().positive().optional(),
    /** Default: today. */
    date: day.optional(),
    /** The bank account paid into (or out of); default: the organisation's first active bank account. */
    accountCode: z.string().optional(),
    reference: z.string().optional(),
  })
  .strict();
export type PaymentEntry = z.infer<typeof paymentSchema>;

const phoneSchema = z
  .object({
    phoneType: z.enum(['DEFAULT', 'DDI', 'MOBILE', 'FAX']),
    phoneNumber: z.string().optional(),
    phoneAreaCode: z.string().optional(),
    phoneCountryCode: z.string().optional(),
  })
  .strict();

const addressSchema = z
  .object({
    addressType: z.enum(['POBOX', 'STREET']),
    addressLine1: z.string().optional(),
    addressLine2: z.string().optional(),
    city: z.string().optional(),
    region: z.string().optional(),
    postalCode: z.string().optional(),
    country: z.string().optional(),
    attentionTo: z.string().optional(),
  })
  .strict();

export const contactEditSchema = z
  .object({
    name: z.string().optional(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    emailAddress: z.string().optional(),
    accountNumber: z.string().optional(),
    taxNumber: z.string().optional(),
    /** Replaced per type, as Xero does (a MOBILE leaves the DEFAULT number alone). */
    phones: z.array(phoneSchema).optional(),
    addresses: z.array(addressSchema).optional(),
    contactStatus: z.enum(['ACTIVE', 'ARCHIVED']).optional(),
  })
  .strict();
export type ContactEdit = z.infer<typeof contactEditSchema>;

/** PascalCase for Xero's payloads: `{ phoneType: 'MOBILE' }` → `{ PhoneType: 'MOBILE' }`, nested too. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    if (v !== undefined) out[k.replace(/^lineItemId$/, 'LineItemID').replace(/^./, (c) => c.toUpperCase())] = pascal(v);
  return out;
}

function documentChanges(edit: InvoiceEdit | CreditNoteEdit): Record<string, unknown> {
  return {
    ...(edit.lines !== undefined ? { LineItems: pascal(edit.lines) } : {}),
    ...(edit.reference !== undefined ? { Reference: edit.reference } : {}),
    ...(edit.date !== undefined ? { Date: edit.date } : {}),
    ...('dueDate' in edit && edit.dueDate !== undefined ? { DueDate: edit.dueDate } : {}),
  };
}

/** Xero's messages out of a refused answer (a ValidationException, or a PostDataInvalid). */
function refusalOf(res: SimResponse): XeroRefusal {
  const body = res.json as
    { Message?: string; Elements?: Array<{ ValidationErrors?: Array<{ Message: string }> }> } | undefined;
  const messages = body?.Elements?.flatMap((e) => (e.ValidationErrors ?? []).map((v) => v.Message)) ?? [];
  return new XeroRefusal(messages.length > 0 ? messages : [body?.Message ?? `refused (HTTP ${res.status})`]);
}

export class Accountant {
  constructor(
    private readonly store: Store,
    private readonly webhooks: WebhookSender,
  ) {}

  voidInvoice(tenantId: string, invoiceId: string): Record<string, unknown> {
    return this.changeInvoice(tenantId, invoiceId, { Status: 'VOIDED' });
  }

  /** Only drafts and submitted (awaiting approval) invoices can be deleted; approved ones are voided. */
  deleteInvoice(tenantId: string, invoiceId: string): Record<string, unknown> {
    return this.changeInvoice(tenantId, invoiceId, { Status: 'DELETED' });
  }

  editInvoice(tenantId: string, invoiceId: string, edit: InvoiceEdit): Record<string, unknown> {
    return this.changeInvoice(tenantId, invoiceId, documentChanges(invoiceEditSchema.parse(edit)));
  }

  recordPayment(
    tenantId: string,
    invoiceId: string,
    entry: PaymentEntry,
  ): { payment: Record<string, unknown>; invoice: Record<string, unknown> } {
    const parsed = paymentSchema.parse(entry);
    const org = this.org(tenantId);
    const inv = findInvoice(org, invoiceId);
    if (!inv) throw new NotInXero(`invoice ${invoiceId}`);
    const bank = org.accounts.find((a) => a.Type === 'BANK' && a.Status === 'ACTIVE');
    const accountCode = parsed.accountCode ?? bank?.Code;
    const ctx = this.context(org, {
      Payments: [
        {
          Invoice: { InvoiceID: inv.InvoiceID },
          Account: accountCode !== undefined ? { Code: accountCode } : undefined,
          Amount: parsed.amount ?? invoiceBalances(org, inv).AmountDue,
          Date: parsed.date,
          Reference: parsed.reference,
        },
      ],
    });
    const res = createPayments(ctx);
    if (res.status !== 200) throw refusalOf(res);
    const paymentId = (res.json as { Payments: Array<{ PaymentID: string }> }).Payments[0]!.PaymentID;
    return { payment: renderPayment(org, org.payments.get(paymentId)!), invoice: this.renderInvoice(org, inv) };
  }

  /** Removes a payment (Xero keeps it as DELETED); the invoice owes the amount again. */
  deletePayment(
    tenantId: string,
    paymentId: string,
  ): { payment: Record<string, unknown>; invoice?: Record<string, unknown> } {
    const org = this.org(tenantId);
    const res = deletePayment(this.context(org, { Payments: [{ Status: 'DELETED' }] }), paymentId);
    if (res.status === 404) throw new NotInXero(`payment ${paymentId}`);
    if (res.status !== 200) throw refusalOf(res);
    const p = [...org.payments.values()].find((x) => x.PaymentID.toLowerCase() === paymentId.toLowerCase())!;
    const inv = org.invoices.get(p.InvoiceID);
    return { payment: renderPayment(org, p), ...(inv ? { invoice: this.renderInvoice(org, inv) } : {}) };
  }

  voidCreditNote(tenantId: string, creditNoteId: string): Record<string, unknown> {
    return this.changeCreditNote(tenantId, creditNoteId, { Status: 'VOIDED' });
  }

  deleteCreditNote(tenantId: string, creditNoteId: string): Record<string, unknown> {
    return this.changeCreditNote(tenantId, creditNoteId, { Status: 'DELETED' });
  }

  editCreditNote(tenantId: string, creditNoteId: string, edit: CreditNoteEdit): Record<string, unknown> {
    return this.changeCreditNote(tenantId, creditNoteId, documentChanges(creditNoteEditSchema.parse(edit)));
  }

  editContact(tenantId: string, contactId: string, edit: ContactEdit): Record<string, unknown> {
    const parsed = contactEditSchema.parse(edit);
    const org = this.org(tenantId);
    const contact = findContact(org, contactId);
    if (!contact) throw new NotInXero(`contact ${contactId}`);
    const res = writeContacts(this.context(org, { Contacts: [pascal(parsed)] }), 'upsert', contact.ContactID);
    if (res.status !== 200) throw refusalOf(res);
    return renderContact(org.contacts.get(contact.ContactID)!);
  }

  private changeInvoice(tenantId: string, invoiceId: string, changes: Record<string, unknown>) {
    const org = this.org(tenantId);
    const inv = findInvoice(org, invoiceId);
    if (!inv) throw new NotInXero(`invoice ${invoiceId}`);
    const res = writeInvoices(this.context(org, { Invoices: [changes] }), 'upsert', inv.InvoiceID);
    if (res.status !== 200) throw refusalOf(res);
    return this.renderInvoice(org, org.invoices.get(inv.InvoiceID)!);
  }

  private changeCreditNote(tenantId: string, creditNoteId: string, changes: Record<string, unknown>) {
    const org = this.org(tenantId);
    const cn: CreditNoteRec | undefined = findCreditNote(org, creditNoteId);
    if (!cn) throw new NotInXero(`credit note ${creditNoteId}`);
    const res = writeCreditNotes(this.context(org, { CreditNotes: [changes] }), 'upsert', cn.CreditNoteID);
    if (res.status !== 200) throw refusalOf(res);
    return renderCreditNote(org, org.creditNotes.get(cn.CreditNoteID)!, 4);
  }

  private renderInvoice(org: OrgRec, inv: InvoiceRec): Record<string, unknown> {
    return renderInvoice(org, inv, { lines: true, unitdp: 4, attachments: true, baseUrl: this.store.baseUrl });
  }

  /** The accounting handlers' view of one web-app action on one organisation. */
  private context(org: OrgRec, body: unknown): ApiContext {
    return {
      store: this.store,
      org,
      app: WEB_APP,
      clientId: WEB_APP.clientId,
      method: 'POST',
      path: '',
      segments: [],
      // The web app takes unit prices to four decimals.
      query: new URLSearchParams({ unitdp: '4' }),
      headers: {},
      body,
      rawBody: Buffer.alloc(0),
      now: this.store.now(),
      emit: webhookEmitter(this.store, this.webhooks, org.OrganisationID),
    };
  }

  private org(tenantId: string): OrgRec {
    const org = this.store.org(tenantId);
    if (!org) throw new Error(`unknown tenant ${tenantId}`);
    return org;
  }
}
