import { type ApiContext, queryFlag, queryValue, unitDp } from './api-context';
import { envelope, notFound, postDataInvalid, type SimResponse, validationException } from './answers';
import { renderAttachment } from './attachments';
import { hasAllocations, invoiceBalances } from './balances';
import { batchAnswer, emptyBatch, type ElementOutcome } from './batch';
import { createDocumentContact, renderContactSummary, resolveDocumentContact } from './contacts';
import { isUuid, newId } from './ids';
import { buildLines, lineAsInput } from './lines';
import { isListed, listParam, listRecords } from './listing';
import { lockDateError } from './lock-dates';
import { describeParseError, elementsOf, invoiceInput, type InvoiceInput } from './payloads';
import { invoicePdf } from './pdf';
import type { DocStatus, InvoiceRec, OrgRec } from './store';
import { documentTotals, round } from './totals';
import { dayString, msDate, parseDocumentDate, utcString } from './xero-dates';
import { currencyOf } from './currencies';
import { approvalCapError } from './plans';

/**
 * Sales invoices (ACCREC) and bills (ACCPAY): creation and update with Xero's status machine,
 * unique sales numbers, computed totals, the line-item update semantics, the freeze once money is
 * allocated, lock dates; and every way of reading them.
 */

const ALLOWED_NEXT: Record<DocStatus, DocStatus[]> = {
  DRAFT: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  SUBMITTED: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  AUTHORISED: ['AUTHORISED', 'VOIDED'],
  PAID: ['PAID'],
  VOIDED: [],
  DELETED: [],
};

export const ALLOCATED_MESSAGE = 'This document cannot be edited as it has a payment or credit note allocated to it.';
const NOT_MODIFIABLE = 'Invoice not of valid status for modification';
/** Xero's refusal of a sales invoice number already in use (not of a deleted invoice). */
export const DUPLICATE_INVOICE_NUMBER = 'Invoice # must be unique.';
/** Fields an invoice with money allocated to it still accepts. */
const FROZEN_EXEMPT = new Set([
  'InvoiceID',
  'InvoiceNumber',
  'Type',
  'Status',
  'SentToContact',
  'ExpectedPaymentDate',
  'PlannedPaymentDate',
]);

export function findInvoice(org: OrgRec, key: string): InvoiceRec | undefined {
  if (isUuid(key)) {
    for (const inv of org.invoices.values()) if (inv.InvoiceID.toLowerCase() === key.toLowerCase()) return inv;
  }
  const wanted = key.toLowerCase();
  for (const inv of org.invoices.values())
    if (inv.InvoiceNumber.toLowerCase() === wanted && inv.Status !== 'DELETED') return inv;
  return undefined;
}

function numberTaken(org: OrgRec, number: string, exceptId?: string): boolean {
  const wanted = number.trim().toLowerCase();
  for (const inv of org.invoices.values()) {
    if (
      inv.Type === 'ACCREC' &&
      inv.Status !== 'DELETED' &&
      inv.InvoiceID !== exceptId &&
      inv.InvoiceNumber.trim().toLowerCase() === wanted
    )
      return true;
  }
  return false;
}

function nextInvoiceNumber(org: OrgRec): string {
  for (;;) {
    org.counters.invoice += 1;
    const candidate = `INV-${String(org.counters.invoice).padStart(4, '0')}`;
    if (!numberTaken(org, candidate)) return candidate;
  }
}

export function invoiceDeepLink(org: OrgRec, inv: InvoiceRec): string {
  const area = inv.Type === 'ACCREC' ? 'AccountsReceivable' : 'AccountsPayable';
  return `https://go.xero.com/organisationlogin/default.aspx?shortcode=${org.ShortCode}&redirecturl=/${area}/View.aspx?InvoiceID=${inv.InvoiceID}`;
}

export interface RenderOptions {
  lines: boolean;
  unitdp: 2 | 4;
  summaryOnly?: boolean;
  attachments?: boolean;
  baseUrl?: string;
}

export function renderInvoice(org: OrgRec, inv: InvoiceRec, opts: RenderOptions): Record<string, unknown> {
  const contact = org.contacts.get(inv.ContactID);
  const balances = invoiceBalances(org, inv);
  const payments = [...org.payments.values()]
    .filter((p) => p.InvoiceID === inv.InvoiceID && p.Status === 'AUTHORISED')
    .map((p) => ({
      PaymentID: p.PaymentID,
      Date: msDate(p.Date),
      Amount: p.Amount,
      Reference: p.Reference,
      CurrencyRate: p.CurrencyRate,
      HasAccount: false,
      HasValidationErrors: false,
    }));
  const creditNotes = [...org.allocations.values()]
    .filter((a) => a.InvoiceID === inv.InvoiceID)
    .map((a) => {
      const cn = org.creditNotes.get(a.CreditNoteID);
      return {
        CreditNoteID: a.CreditNoteID,
        CreditNoteNumber: cn?.CreditNoteNumber,
        AppliedAmount: a.Amount,
        Date: msDate(a.Date),
        DateString: dayString(a.Date),
        Total: cn?.totals.Total,
        HasErrors: false,
      };
    });
  const out: Record<string, unknown> = {
    Type: inv.Type,
    InvoiceID: inv.InvoiceID,
    InvoiceNumber: inv.InvoiceNumber,
    Reference: inv.Type === 'ACCREC' ? (inv.Reference ?? '') : undefined,
    Payments: payments,
    CreditNotes: creditNotes,
    Prepayments: [],
    Overpayments: [],
    AmountDue: balances.AmountDue,
    AmountPaid: balances.AmountPaid,
    AmountCredited: balances.AmountCredited,
    SentToContact: inv.SentToContact,
    CurrencyRate: inv.CurrencyRate,
    IsDiscounted: inv.totals.TotalDiscount !== 0,
    HasAttachments: inv.attachments.length > 0,
    HasErrors: false,
    Contact: renderContactSummary(contact, inv.ContactID),
    DateString: dayString(inv.Date),
    Date: msDate(inv.Date),
    DueDateString: inv.DueDate !== undefined ? dayString(inv.DueDate) : undefined,
    DueDate: inv.DueDate !== undefined ? msDate(inv.DueDate) : undefined,
    ExpectedPaymentDate: inv.ExpectedPaymentDate !== undefined ? msDate(inv.ExpectedPaymentDate) : undefined,
    PlannedPaymentDate: inv.PlannedPaymentDate !== undefined ? msDate(inv.PlannedPaymentDate) : undefined,
    BrandingThemeID: inv.BrandingThemeID,
    Url: inv.Url,
    Status: inv.Status,
    LineAmountTypes: inv.LineAmountTypes,
    SubTotal: inv.totals.SubTotal,
    TotalTax: inv.totals.TotalTax,
    Total: inv.totals.Total,
    TotalDiscount: inv.totals.TotalDiscount !== 0 ? inv.totals.TotalDiscount : undefined,
    UpdatedDateUTC: msDate(inv.UpdatedDateUTC),
    UpdatedDateUTCString: utcString(inv.UpdatedDateUTC),
    CurrencyCode: inv.CurrencyCode,
    FullyPaidOnDate: inv.FullyPaidOnDate !== undefined ? msDate(inv.FullyPaidOnDate) : undefined,
  };
  if (opts.summaryOnly) {
    delete out.Payments;
    delete out.CreditNotes;
    delete out.Prepayments;
    delete out.Overpayments;
    return out;
  }
  if (opts.lines) out.LineItems = inv.LineItems.map((l) => renderLine(l, opts.unitdp));
  else out.LineItems = [];
  if (opts.attachments && inv.attachments.length > 0)
    out.Attachments = inv.attachments.map((a) => renderAttachment(org, 'Invoices', inv.InvoiceID, a, opts.baseUrl));
  return out;
}

export function renderLine(l: InvoiceRec['LineItems'][number], unitdp: 2 | 4): Record<string, unknown> {
  return {
    LineItemID: l.LineItemID,
    Description: l.Description,
    Quantity: l.Quantity,
    UnitAmount: round(l.UnitAmount, unitdp),
    ItemCode: l.ItemCode,
    Item: l.ItemID ? { ItemID: l.ItemID, Name: l.ItemName, Code: l.ItemCode } : undefined,
    AccountCode: l.AccountCode,
    AccountID: l.AccountID,
    TaxType: l.TaxType,
    TaxAmount: l.TaxAmount,
    LineAmount: l.LineAmount,
    DiscountRate: l.DiscountRate,
    DiscountAmount: l.DiscountAmount,
    Tracking: l.Tracking.map((t) => ({ ...t })),
  };
}

type Applied = { ok: InvoiceRec; created: boolean } | { errors: string[] };

/** Validates one invoice write against Xero's rules and, when valid, commits it. */
function applyInvoice(ctx: ApiContext, input: InvoiceInput, existing: InvoiceRec | undefined): Applied {
  const { org } = ctx;
  const errors: string[] = [];
  const now = ctx.now;

  if (existing) {
    if (existing.Status === 'DELETED' || existing.Status === 'VOIDED') return { errors: [NOT_MODIFIABLE] };
    if (existing.Status === 'PAID' || hasAllocations(org, existing)) {
      const touched = Object.entries(input).filter(([k, v]) => v !== undefined && !FROZEN_EXEMPT.has(k));
      const statusChange = input.Status !== undefined && input.Status !== existing.Status;
      if (touched.length > 0 || statusChange) {
        return {
          errors: [
            input.Status === 'VOIDED'
              ? 'This document cannot be voided as it has a payment or credit note allocated to it.'
              : ALLOCATED_MESSAGE,
          ],
        };
      }
    }
  }

  const type = existing?.Type ?? input.Type;
  if (!type) return { errors: ['Invoice Type must be specified (ACCREC or ACCPAY).'] };

  const status: DocStatus = input.Status ?? existing?.Status ?? 'DRAFT';
  if (!existing && (status === 'PAID' || status === 'VOIDED' || status === 'DELETED'))
    errors.push('Invoice not of valid status for creation');
  if (existing && !ALLOWED_NEXT[existing.Status].includes(status)) errors.push(NOT_MODIFIABLE);
  const approved = status === 'AUTHORISED' || status === 'SUBMITTED';
  const approving = status === 'AUTHORISED' && existing?.approvedAt === undefined;
  if (approving) {
    const capped = approvalCapError(org, type, now);
    if (capped) errors.push(capped);
  }

  const contactInfo =
    input.Contact !== undefined || !existing
      ? resolveDocumentContact(org, input.Contact, errors)
      : { contact: org.contacts.get(existing.ContactID) };

  const dateGiven = input.Date !== undefined ? parseDocumentDate(input.Date) : undefined;
  if (input.Date !== undefined && dateGiven === undefined)
    errors.push('The Date is not a valid date (use YYYY-MM-DD).');
  const date = dateGiven ?? existing?.Date ?? Math.floor(now / 86_400_000) * 86_400_000;
  const dueGiven = input.DueDate !== undefined ? parseDocumentDate(input.DueDate) : undefined;
  if (input.DueDate !== undefined && dueGiven === undefined)
    errors.push('The DueDate is not a valid date (use YYYY-MM-DD).');
  const dueDate = dueGiven ?? existing?.DueDate;
  if (status === 'AUTHORISED' && dueDate === undefined) errors.push('Due Date is required for approved invoices.');

  if (existing) {
    const oldLock = lockDateError(org, existing.Date);
    if (oldLock) errors.push(oldLock);
  }
  const lock = lockDateError(org, date);
  if (lock && !errors.includes(lock)) errors.push(lock);

  let number = input.InvoiceNumber !== undefined ? input.InvoiceNumber.trim() : existing?.InvoiceNumber;
  if (number !== undefined && number.length > 255) errors.push('Invoice number must be 255 characters or fewer.');
  if (type === 'ACCREC' && number !== undefined && number !== '' && numberTaken(org, number, existing?.InvoiceID))
    errors.push(DUPLICATE_INVOICE_NUMBER);

  const currency = currencyOf(
    org,
    input.CurrencyCode ?? existing?.CurrencyCode,
    input.CurrencyRate ?? existing?.CurrencyRate,
    errors,
  );

  const brandingThemeId = input.BrandingThemeID ?? existing?.BrandingThemeID;
  if (
    input.BrandingThemeID !== undefined &&
    !org.brandingThemes.some((b) => b.BrandingThemeID.toLowerCase() === input.BrandingThemeID!.toLowerCase())
  ) {
    errors.push('Branding theme is not valid.');
  }
  if (input.Url !== undefined && input.Url !== '' && !/^https?:\/\/\S+$/i.test(input.Url))
    errors.push('The Url must be a valid absolute URL (http or https).');

  const lineAmountTypes = input.LineAmountTypes ?? existing?.LineAmountTypes ?? 'Exclusive';
  const lineCtx = { org, kind: type, lineAmountTypes, unitdp: unitDp(ctx), approved } as const;
  let lines = existing?.LineItems ?? [];
  if (input.LineItems !== undefined) lines = buildLines(lineCtx, input.LineItems, errors, existing?.LineItems);
  else if (existing && (input.LineAmountTypes !== undefined || approved))
    lines = buildLines(lineCtx, existing.LineItems.map(lineAsInput), errors, existing.LineItems);
  if (approved && lines.length === 0 && !errors.length)
    errors.push('An approved invoice must have at least one line item.');
  const totals = documentTotals(lines, lineAmountTypes);
  if (totals.Total < 0) errors.push('The invoice total cannot be negative.');

  if (errors.length > 0) return { errors };

  let contact = contactInfo.contact;
  if (!contact && contactInfo.create) contact = createDocumentContact(ctx, contactInfo.create);
  if (!contact) return { errors: ['A Contact must be specified for this type of transaction'] };
  if (type === 'ACCREC' && !contact.IsCustomer) {
    contact.IsCustomer = true;
    contact.UpdatedDateUTC = now;
  }
  if (type === 'ACCPAY' && !contact.IsSupplier) {
    contact.IsSupplier = true;
    contact.UpdatedDateUTC = now;
  }

  if (type === 'ACCREC' && (number === undefined || number === ''))
    number = existing?.InvoiceNumber || nextInvoiceNumber(org);

  const rec: InvoiceRec = {
    InvoiceID: existing?.InvoiceID ?? newId(),
    Type: type,
    InvoiceNumber: number ?? '',
    // Reference is a sales-invoice field: Xero drops it from bills.
    Reference: type === 'ACCREC' ? (input.Reference ?? existing?.Reference) : undefined,
    ContactID: contact.ContactID,
    Date: date,
    DueDate: dueDate,
    Status: status,
    LineAmountTypes: lineAmountTypes,
    LineItems: lines,
    totals,
    CurrencyCode: currency.code,
    CurrencyRate: currency.rate,
    BrandingThemeID: brandingThemeId,
    Url: input.Url !== undefined ? input.Url || undefined : existing?.Url,
    ...(approving
      ? { approvedAt: now }
      : existing?.approvedAt !== undefined
        ? { approvedAt: existing.approvedAt }
        : {}),
    SentToContact:
      status === 'AUTHORISED' || status === 'PAID' ? (input.SentToContact ?? existing?.SentToContact ?? false) : false,
    ExpectedPaymentDate:
      input.ExpectedPaymentDate !== undefined
        ? parseDocumentDate(input.ExpectedPaymentDate)
        : existing?.ExpectedPaymentDate,
    PlannedPaymentDate:
      input.PlannedPaymentDate !== undefined
        ? parseDocumentDate(input.PlannedPaymentDate)
        : existing?.PlannedPaymentDate,
    UpdatedDateUTC: now,
    FullyPaidOnDate: existing?.FullyPaidOnDate,
    attachments: existing?.attachments ?? [],
    createdByClientId: existing?.createdByClientId ?? ctx.clientId,
    onlineToken: existing?.onlineToken ?? newId().replace(/-/g, ''),
  };
  org.invoices.set(rec.InvoiceID, rec);
  ctx.emit('INVOICE', existing ? 'UPDATE' : 'CREATE', rec.InvoiceID);
  return { ok: rec, created: !existing };
}

function echoOf(input: InvoiceInput): Record<string, unknown> {
  return { ...input, Payments: [], CreditNotes: [], Prepayments: [], Overpayments: [], HasErrors: true };
}

function parseInvoices(ctx: ApiContext): InvoiceInput[] | SimResponse {
  const elements = elementsOf(ctx.body, 'Invoices');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find Invoices');
  const out: InvoiceInput[] = [];
  for (const e of elements) {
    const parsed = invoiceInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    out.push(parsed.data);
  }
  return out;
}

/**
 * PUT /Invoices creates; POST /Invoices creates or updates (matched by InvoiceID, else by a sales
 * invoice's number); POST /Invoices/{id} updates that one invoice.
 */
export function writeInvoices(ctx: ApiContext, mode: 'create' | 'upsert', pathKey?: string): SimResponse {
  const inputs = parseInvoices(ctx);
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 0) return emptyBatch(ctx, 'Invoices');
  let target: InvoiceRec | undefined;
  if (pathKey !== undefined) {
    target = findInvoice(ctx.org, pathKey);
    if (!target) return notFound();
  }
  const opts: RenderOptions = { lines: true, unitdp: unitDp(ctx) };
  const outcomes: ElementOutcome[] = inputs.map((input) => {
    let existing = target;
    if (!existing && mode === 'upsert') {
      if (input.InvoiceID) {
        existing = findInvoice(ctx.org, input.InvoiceID);
        if (!existing)
          return { errors: [`Invoice with ID ${input.InvoiceID} could not be found.`], echo: echoOf(input) };
      } else if (input.InvoiceNumber && (input.Type ?? 'ACCREC') === 'ACCREC') {
        const byNumber = findInvoice(ctx.org, input.InvoiceNumber);
        if (byNumber && byNumber.Type === 'ACCREC') existing = byNumber;
      }
    }
    const result = applyInvoice(ctx, input, existing);
    if ('errors' in result) return { errors: result.errors, echo: echoOf(input) };
    return { ok: renderInvoice(ctx.org, result.ok, opts) };
  });
  return batchAnswer(ctx, 'Invoices', 'HasErrors', outcomes);
}

export function getInvoices(ctx: ApiContext): SimResponse {
  const ids = listParam(ctx, 'IDs');
  const numbers = listParam(ctx, 'InvoiceNumbers');
  const contactIds = listParam(ctx, 'ContactIDs');
  const statuses = listParam(ctx, 'Statuses');
  // Case-insensitive text search across the number and the reference (the OpenAPI's description of
  // the parameter), as searchTerm on Contacts searches its own fields.
  const term = queryValue(ctx, 'searchTerm')?.toLowerCase();
  const createdByMyApp = queryFlag(ctx, 'createdByMyApp');
  const summaryOnly = queryFlag(ctx, 'summaryOnly');
  const paged = ctx.query.has('page');
  const opts: RenderOptions = { lines: paged, unitdp: unitDp(ctx), summaryOnly };
  const rows: Array<{ record: Record<string, unknown>; updatedAt: number }> = [];
  for (const inv of ctx.org.invoices.values()) {
    if (ids && !ids.has(inv.InvoiceID.toLowerCase())) continue;
    if (numbers && !numbers.has(inv.InvoiceNumber.toLowerCase())) continue;
    if (contactIds && !contactIds.has(inv.ContactID.toLowerCase())) continue;
    if (statuses && !statuses.has(inv.Status.toLowerCase())) continue;
    if (createdByMyApp && inv.createdByClientId !== ctx.clientId) continue;
    if (term && ![inv.InvoiceNumber, inv.Reference].some((f) => f?.toLowerCase().includes(term))) continue;
    rows.push({ record: renderInvoice(ctx.org, inv, opts), updatedAt: inv.UpdatedDateUTC });
  }
  const listed = listRecords(ctx, rows, { pageable: true, model: 'Invoice' });
  if (!isListed(listed)) return listed;
  return envelope(
    ctx.app.name,
    ctx.now,
    'Invoices',
    listed.items,
    listed.pagination ? { pagination: listed.pagination } : undefined,
  );
}

export function getInvoice(ctx: ApiContext, key: string): SimResponse {
  const inv = findInvoice(ctx.org, key);
  if (!inv) return notFound();
  const accept = String(ctx.headers.accept ?? '');
  if (accept.includes('application/pdf')) {
    return { status: 200, raw: invoicePdf(ctx.org, inv), contentType: 'application/pdf' };
  }
  return envelope(ctx.app.name, ctx.now, 'Invoices', [
    renderInvoice(ctx.org, inv, { lines: true, unitdp: unitDp(ctx), attachments: true, baseUrl: ctx.store.baseUrl }),
  ]);
}

/** The customer-facing online invoice: sales invoices only, and not while they are drafts. */
export function getOnlineInvoice(ctx: ApiContext, key: string): SimResponse {
  const inv = findInvoice(ctx.org, key);
  if (!inv) return notFound();
  const problemText =
    inv.Type !== 'ACCREC'
      ? 'Online invoices are only available for sales invoices (ACCREC).'
      : inv.Status === 'DRAFT' || inv.Status === 'SUBMITTED' || inv.Status === 'DELETED'
        ? 'Online invoices are not available for draft, submitted or deleted invoices.'
        : undefined;
  if (problemText)
    return validationException([{ InvoiceID: inv.InvoiceID, ValidationErrors: [{ Message: problemText }] }]);
  return envelope(ctx.app.name, ctx.now, 'OnlineInvoices', [
    { OnlineInvoiceUrl: `${ctx.store.baseUrl}/in/${inv.onlineToken}` },
  ]);
}
