import { type ApiContext, unitDp } from './api-context';
import { envelope, notFound, postDataInvalid, type SimResponse } from './answers';
import { renderAttachment } from './attachments';
import { invoiceBalances, settleInvoice } from './balances';
import { batchAnswer, emptyBatch, type ElementOutcome } from './batch';
import { createDocumentContact, renderContactSummary, resolveDocumentContact } from './contacts';
import { isUuid, newId } from './ids';
import { ALLOCATED_MESSAGE, findInvoice, renderLine } from './invoices';
import { buildLines, lineAsInput } from './lines';
import { isListed, listRecords } from './listing';
import { lockDateError } from './lock-dates';
import {
  allocationInput,
  type AllocationInput,
  creditNoteInput,
  type CreditNoteInput,
  describeParseError,
  elementsOf,
} from './payloads';
import type { CreditAllocationRec, CreditNoteRec, DocStatus, OrgRec } from './store';
import { documentTotals, round2 } from './totals';
import { currencyOf } from './currencies';
import { dayString, msDate, parseDocumentDate, startOfUtcDay, utcString } from './xero-dates';

/**
 * Credit notes (ACCRECCREDIT for customers, ACCPAYCREDIT from suppliers) and their allocation to
 * invoices of the same contact and side, which credits the invoice like a payment would.
 */

const ALLOWED_NEXT: Record<DocStatus, DocStatus[]> = {
  DRAFT: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  SUBMITTED: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  AUTHORISED: ['AUTHORISED', 'VOIDED'],
  PAID: ['PAID'],
  VOIDED: [],
  DELETED: [],
};

/** Sales credit-note numbers are unique like sales invoice numbers (Xero's words, as integrators match them). */
export const DUPLICATE_CREDIT_NOTE_NUMBER = 'Credit Note # must be unique.';

function numberTaken(org: OrgRec, number: string, exceptId?: string): boolean {
  const wanted = number.trim().toLowerCase();
  for (const cn of org.creditNotes.values()) {
    if (
      cn.Type === 'ACCRECCREDIT' &&
      cn.Status !== 'DELETED' &&
      cn.CreditNoteID !== exceptId &&
      cn.CreditNoteNumber.trim().toLowerCase() === wanted
    )
      return true;
  }
  return false;
}

function allocated(org: OrgRec, cn: CreditNoteRec): number {
  let sum = 0;
  for (const a of org.allocations.values()) if (a.CreditNoteID === cn.CreditNoteID) sum += a.Amount;
  return round2(sum);
}

export function remainingCredit(org: OrgRec, cn: CreditNoteRec): number {
  if (cn.Status === 'VOIDED' || cn.Status === 'DELETED') return 0;
  return round2(cn.totals.Total - allocated(org, cn));
}

export function findCreditNote(org: OrgRec, key: string): CreditNoteRec | undefined {
  for (const cn of org.creditNotes.values()) {
    if (cn.CreditNoteID.toLowerCase() === key.toLowerCase()) return cn;
    if (!isUuid(key) && cn.CreditNoteNumber.toLowerCase() === key.toLowerCase() && cn.Status !== 'DELETED') return cn;
  }
  return undefined;
}

function renderAllocation(org: OrgRec, a: CreditAllocationRec): Record<string, unknown> {
  const inv = org.invoices.get(a.InvoiceID);
  return {
    AllocationID: a.AllocationID,
    Amount: a.Amount,
    Date: msDate(a.Date),
    Invoice: {
      InvoiceID: a.InvoiceID,
      InvoiceNumber: inv?.InvoiceNumber,
      Payments: [],
      CreditNotes: [],
      Prepayments: [],
      Overpayments: [],
      HasErrors: false,
      LineItems: [],
    },
    IsDeleted: false,
  };
}

export function renderCreditNote(
  org: OrgRec,
  cn: CreditNoteRec,
  unitdp: 2 | 4,
  /** Lists give lines only when paged, as for invoices (the OpenAPI's `page`: "with line items shown"). */
  lines = true,
): Record<string, unknown> {
  return {
    Type: cn.Type,
    CreditNoteID: cn.CreditNoteID,
    CreditNoteNumber: cn.CreditNoteNumber,
    Reference: cn.Reference,
    Contact: renderContactSummary(org.contacts.get(cn.ContactID), cn.ContactID),
    DateString: dayString(cn.Date),
    Date: msDate(cn.Date),
    Status: cn.Status,
    LineAmountTypes: cn.LineAmountTypes,
    LineItems: lines ? cn.LineItems.map((l) => renderLine(l, unitdp)) : [],
    SubTotal: cn.totals.SubTotal,
    TotalTax: cn.totals.TotalTax,
    Total: cn.totals.Total,
    UpdatedDateUTC: msDate(cn.UpdatedDateUTC),
    UpdatedDateUTCString: utcString(cn.UpdatedDateUTC),
    CurrencyCode: cn.CurrencyCode,
    CurrencyRate: cn.CurrencyRate,
    FullyPaidOnDate: cn.FullyPaidOnDate !== undefined ? msDate(cn.FullyPaidOnDate) : undefined,
    RemainingCredit: remainingCredit(org, cn),
    Allocations: [...org.allocations.values()]
      .filter((a) => a.CreditNoteID === cn.CreditNoteID)
      .map((a) => renderAllocation(org, a)),
    Payments: [],
    BrandingThemeID: cn.BrandingThemeID,
    SentToContact: cn.SentToContact,
    HasAttachments: cn.attachments.length > 0,
    HasErrors: false,
  };
}

function applyCreditNote(
  ctx: ApiContext,
  input: CreditNoteInput,
  existing: CreditNoteRec | undefined,
): { ok: CreditNoteRec } | { errors: string[] } {
  const { org } = ctx;
  const errors: string[] = [];
  if (existing) {
    if (existing.Status === 'DELETED' || existing.Status === 'VOIDED')
      return { errors: ['Credit note not of valid status for modification'] };
    if (allocated(org, existing) !== 0)
      return {
        errors: [
          input.Status === 'VOIDED' ? 'This document cannot be voided as it has been allocated.' : ALLOCATED_MESSAGE,
        ],
      };
  }
  const type = existing?.Type ?? input.Type;
  if (!type) return { errors: ['Credit note Type must be specified (ACCRECCREDIT or ACCPAYCREDIT).'] };
  const status: DocStatus = input.Status ?? existing?.Status ?? 'DRAFT';
  if (!existing && (status === 'PAID' || status === 'VOIDED' || status === 'DELETED'))
    errors.push('Credit note not of valid status for creation');
  if (existing && !ALLOWED_NEXT[existing.Status].includes(status))
    errors.push('Credit note not of valid status for modification');
  const approved = status === 'AUTHORISED' || status === 'SUBMITTED';
  const contactInfo =
    input.Contact !== undefined || !existing
      ? resolveDocumentContact(org, input.Contact, errors)
      : { contact: org.contacts.get(existing.ContactID) };
  const given = input.Date !== undefined ? parseDocumentDate(input.Date) : undefined;
  if (input.Date !== undefined && given === undefined) errors.push('The Date is not a valid date (use YYYY-MM-DD).');
  const date = given ?? existing?.Date ?? startOfUtcDay(ctx.now);
  const lock = lockDateError(org, date) ?? (existing ? lockDateError(org, existing.Date) : undefined);
  if (lock) errors.push(lock);
  const currency = currencyOf(
    org,
    input.CurrencyCode ?? existing?.CurrencyCode,
    input.CurrencyRate ?? existing?.CurrencyRate,
    errors,
  );
  const lineAmountTypes = input.LineAmountTypes ?? existing?.LineAmountTypes ?? 'Exclusive';
  const lineCtx = { org, kind: type, lineAmountTypes, unitdp: unitDp(ctx), approved } as const;
  let lines = existing?.LineItems ?? [];
  if (input.LineItems !== undefined) lines = buildLines(lineCtx, input.LineItems, errors, existing?.LineItems);
  else if (existing && approved)
    lines = buildLines(lineCtx, existing.LineItems.map(lineAsInput), errors, existing.LineItems);
  if (approved && lines.length === 0 && errors.length === 0)
    errors.push('An approved credit note must have at least one line item.');
  const totals = documentTotals(lines, lineAmountTypes);
  if (totals.Total < 0) errors.push('The credit note total cannot be negative.');
  const givenNumber = input.CreditNoteNumber?.trim();
  if (type === 'ACCRECCREDIT' && givenNumber && numberTaken(org, givenNumber, existing?.CreditNoteID))
    errors.push(DUPLICATE_CREDIT_NOTE_NUMBER);
  if (errors.length > 0) return { errors };

  let contact = contactInfo.contact;
  if (!contact && contactInfo.create) contact = createDocumentContact(ctx, contactInfo.create);
  if (!contact) return { errors: ['A Contact must be specified for this type of transaction'] };
  let number = input.CreditNoteNumber ?? existing?.CreditNoteNumber;
  while (!number && type === 'ACCRECCREDIT') {
    org.counters.creditNote += 1;
    const candidate = `CN-${String(org.counters.creditNote).padStart(4, '0')}`;
    if (!numberTaken(org, candidate)) number = candidate;
  }
  const rec: CreditNoteRec = {
    CreditNoteID: existing?.CreditNoteID ?? newId(),
    Type: type,
    CreditNoteNumber: number ?? '',
    Reference: input.Reference ?? existing?.Reference,
    ContactID: contact.ContactID,
    Date: date,
    Status: status,
    LineAmountTypes: lineAmountTypes,
    LineItems: lines,
    totals,
    CurrencyCode: currency.code,
    CurrencyRate: currency.rate,
    BrandingThemeID: input.BrandingThemeID ?? existing?.BrandingThemeID,
    SentToContact: false,
    UpdatedDateUTC: ctx.now,
    attachments: existing?.attachments ?? [],
    createdByClientId: existing?.createdByClientId ?? ctx.clientId,
  };
  org.creditNotes.set(rec.CreditNoteID, rec);
  ctx.emit('CREDITNOTE', existing ? 'UPDATE' : 'CREATE', rec.CreditNoteID);
  return { ok: rec };
}

export function writeCreditNotes(ctx: ApiContext, mode: 'create' | 'upsert', pathKey?: string): SimResponse {
  const elements = elementsOf(ctx.body, 'CreditNotes');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find CreditNotes');
  const inputs: CreditNoteInput[] = [];
  for (const e of elements) {
    const parsed = creditNoteInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    inputs.push(parsed.data);
  }
  if (inputs.length === 0) return emptyBatch(ctx, 'CreditNotes');
  let target: CreditNoteRec | undefined;
  if (pathKey !== undefined) {
    target = findCreditNote(ctx.org, pathKey);
    if (!target) return notFound();
  }
  const outcomes: ElementOutcome[] = inputs.map((input) => {
    let existing = target;
    if (!existing && mode === 'upsert' && input.CreditNoteID) {
      existing = findCreditNote(ctx.org, input.CreditNoteID);
      if (!existing)
        return { errors: [`Credit note with ID ${input.CreditNoteID} could not be found.`], echo: { ...input } };
    }
    const result = applyCreditNote(ctx, input, existing);
    if ('errors' in result) return { errors: result.errors, echo: { ...input, HasErrors: true } };
    return { ok: renderCreditNote(ctx.org, result.ok, unitDp(ctx)) };
  });
  return batchAnswer(ctx, 'CreditNotes', 'HasErrors', outcomes);
}

function applyAllocation(
  ctx: ApiContext,
  cn: CreditNoteRec,
  input: AllocationInput,
): { ok: CreditAllocationRec } | { errors: string[] } {
  const { org } = ctx;
  const ref = input.Invoice?.InvoiceID ?? input.Invoice?.InvoiceNumber;
  const inv = ref ? findInvoice(org, ref) : undefined;
  if (!inv)
    return { errors: [ref ? `Invoice ${ref} could not be found.` : 'An Invoice must be specified for an allocation.'] };
  const errors: string[] = [];
  if (cn.Status !== 'AUTHORISED') errors.push('Only authorised credit notes can be allocated.');
  if (inv.Status !== 'AUTHORISED')
    errors.push(
      inv.Status === 'PAID'
        ? 'Allocation amount exceeds the amount outstanding on the invoice.'
        : 'Credit notes can only be allocated to Authorised documents.',
    );
  if ((cn.Type === 'ACCRECCREDIT') !== (inv.Type === 'ACCREC'))
    errors.push('A sales credit note can only be allocated to a sales invoice, and a purchase credit note to a bill.');
  if (cn.ContactID !== inv.ContactID) errors.push('The credit note and the invoice must be for the same contact.');
  const amount = input.Amount === undefined ? undefined : round2(input.Amount);
  if (amount === undefined || amount <= 0) errors.push('Allocation amount must be greater than zero.');
  else {
    if (amount > remainingCredit(org, cn))
      errors.push('Allocation amount exceeds the remaining credit on this credit note.');
    if (inv.Status === 'AUTHORISED' && amount > invoiceBalances(org, inv).AmountDue)
      errors.push('Allocation amount exceeds the amount outstanding on the invoice.');
  }
  const given = input.Date !== undefined ? parseDocumentDate(input.Date) : undefined;
  const date = given ?? startOfUtcDay(ctx.now);
  const lock = lockDateError(org, date);
  if (lock) errors.push(lock);
  if (errors.length > 0) return { errors };
  const rec: CreditAllocationRec = {
    AllocationID: newId(),
    CreditNoteID: cn.CreditNoteID,
    InvoiceID: inv.InvoiceID,
    Amount: amount!,
    Date: date,
  };
  org.allocations.set(rec.AllocationID, rec);
  settleInvoice(org, inv, ctx.now, date);
  cn.UpdatedDateUTC = ctx.now;
  if (remainingCredit(org, cn) === 0) {
    cn.Status = 'PAID';
    cn.FullyPaidOnDate = date;
  }
  ctx.emit('INVOICE', 'UPDATE', inv.InvoiceID);
  ctx.emit('CREDITNOTE', 'UPDATE', cn.CreditNoteID);
  return { ok: rec };
}

/** `PUT /CreditNotes/{id}/Allocations`. */
export function allocateCreditNote(ctx: ApiContext, key: string): SimResponse {
  const cn = findCreditNote(ctx.org, key);
  if (!cn) return notFound();
  const elements = elementsOf(ctx.body, 'Allocations');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find Allocations');
  const outcomes: ElementOutcome[] = [];
  for (const e of elements) {
    const parsed = allocationInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    const result = applyAllocation(ctx, cn, parsed.data);
    outcomes.push(
      'errors' in result
        ? { errors: result.errors, echo: { ...parsed.data } }
        : { ok: renderAllocation(ctx.org, result.ok) },
    );
  }
  const answer = batchAnswer(ctx, 'Allocations', 'HasErrors', outcomes);
  // Allocation elements carry no HasErrors field in Xero's schema.
  const body = answer.json as { Allocations?: Array<Record<string, unknown>> } | undefined;
  body?.Allocations?.forEach((a) => delete a.HasErrors);
  return answer;
}

/**
 * `DELETE /CreditNotes/{id}/Allocations/{allocationId}`: the credit returns to the credit note and
 * the invoice owes it again (PAID goes back to AUTHORISED), so either document can be edited.
 */
export function deleteCreditNoteAllocation(ctx: ApiContext, key: string, allocationId: string): SimResponse {
  const cn = findCreditNote(ctx.org, key);
  const rec = ctx.org.allocations.get(allocationId);
  if (!cn || !rec || rec.CreditNoteID !== cn.CreditNoteID) return notFound();
  const inv = ctx.org.invoices.get(rec.InvoiceID);
  if (inv) {
    const lock = lockDateError(ctx.org, rec.Date);
    if (lock) return postDataInvalid(lock);
  }
  const rendered = { ...renderAllocation(ctx.org, rec), IsDeleted: true };
  ctx.org.allocations.delete(allocationId);
  if (inv) settleInvoice(ctx.org, inv, ctx.now, rec.Date);
  if (cn.Status === 'PAID' && remainingCredit(ctx.org, cn) > 0) {
    cn.Status = 'AUTHORISED';
    cn.FullyPaidOnDate = undefined;
  }
  cn.UpdatedDateUTC = ctx.now;
  if (inv) ctx.emit('INVOICE', 'UPDATE', inv.InvoiceID);
  ctx.emit('CREDITNOTE', 'UPDATE', cn.CreditNoteID);
  return envelope(ctx.app.name, ctx.now, 'Allocations', [rendered]);
}

export function getCreditNotes(ctx: ApiContext): SimResponse {
  const paged = ctx.query.has('page');
  const rows = [...ctx.org.creditNotes.values()].map((cn) => ({
    record: renderCreditNote(ctx.org, cn, unitDp(ctx), paged),
    updatedAt: cn.UpdatedDateUTC,
  }));
  const listed = listRecords(ctx, rows, { pageable: true, model: 'CreditNote' });
  if (!isListed(listed)) return listed;
  return envelope(
    ctx.app.name,
    ctx.now,
    'CreditNotes',
    listed.items,
    listed.pagination ? { pagination: listed.pagination } : undefined,
  );
}

export function getCreditNote(ctx: ApiContext, key: string): SimResponse {
  const cn = findCreditNote(ctx.org, key);
  if (!cn) return notFound();
  const rendered = renderCreditNote(ctx.org, cn, unitDp(ctx));
  if (cn.attachments.length > 0)
    rendered.Attachments = cn.attachments.map((a) =>
      renderAttachment(ctx.org, 'CreditNotes', cn.CreditNoteID, a, ctx.store.baseUrl),
    );
  return envelope(ctx.app.name, ctx.now, 'CreditNotes', [rendered]);
}
