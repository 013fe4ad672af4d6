import type { ApiContext } from './api-context';
import { envelope, notFound, postDataInvalid, type SimResponse } from './answers';
import { invoiceBalances, settleInvoice } from './balances';
import { batchAnswer, emptyBatch, type ElementOutcome } from './batch';
import { renderContactSummary } from './contacts';
import { isUuid, newId } from './ids';
import { findInvoice } from './invoices';
import { findAccount } from './lines';
import { isListed, listRecords } from './listing';
import { lockDateError } from './lock-dates';
import { describeParseError, elementsOf, paymentInput, type PaymentInput } from './payloads';
import type { OrgRec, PaymentRec } from './store';
import { round2 } from './totals';
import { msDate, parseDocumentDate, startOfUtcDay, utcString } from './xero-dates';

/**
 * Payments against authorised invoices and bills: into a bank account (or one that takes
 * payments), never more than is outstanding; the invoice turns PAID when nothing is left and back
 * to AUTHORISED when a payment is deleted (`POST /Payments/{id}` with `{"Status":"DELETED"}`).
 */

export const OVERPAY_MESSAGE = 'Payment amount exceeds the amount outstanding on this document';
export const NOT_AUTHORISED_MESSAGE = 'Payments can only be made against Authorised documents.';

export function renderPayment(org: OrgRec, p: PaymentRec): Record<string, unknown> {
  const inv = org.invoices.get(p.InvoiceID);
  const account = org.accounts.find((a) => a.AccountID === p.AccountID);
  return {
    PaymentID: p.PaymentID,
    Date: msDate(p.Date),
    BankAmount: p.Amount,
    Amount: p.Amount,
    Reference: p.Reference,
    CurrencyRate: p.CurrencyRate,
    PaymentType: inv?.Type === 'ACCPAY' ? 'ACCPAYPAYMENT' : 'ACCRECPAYMENT',
    Status: p.Status,
    UpdatedDateUTC: msDate(p.UpdatedDateUTC),
    UpdatedDateUTCString: utcString(p.UpdatedDateUTC),
    HasAccount: true,
    IsReconciled: p.IsReconciled,
    Account: account
      ? { AccountID: account.AccountID, Code: account.Code, Name: account.Name }
      : { AccountID: p.AccountID },
    Invoice: inv
      ? {
          Type: inv.Type,
          InvoiceID: inv.InvoiceID,
          InvoiceNumber: inv.InvoiceNumber,
          Contact: renderContactSummary(org.contacts.get(inv.ContactID), inv.ContactID),
          CurrencyCode: inv.CurrencyCode,
          Payments: [],
          CreditNotes: [],
          Prepayments: [],
          Overpayments: [],
          HasErrors: false,
          LineItems: [],
        }
      : undefined,
    HasValidationErrors: false,
  };
}

function applyPayment(ctx: ApiContext, input: PaymentInput): { ok: PaymentRec } | { errors: string[] } {
  const { org } = ctx;
  if (input.CreditNote && !input.Invoice)
    return { errors: ['Refunds of credit notes are not supported by the simulator.'] };
  const ref = input.Invoice?.InvoiceID ?? input.Invoice?.InvoiceNumber;
  const inv = ref ? findInvoice(org, ref) : undefined;
  if (!inv)
    return { errors: [ref ? `Invoice ${ref} could not be found.` : 'An Invoice must be specified for a payment.'] };
  const errors: string[] = [];
  const account = findAccount(org, input.Account?.Code ?? undefined, input.Account?.AccountID ?? undefined);
  if (!input.Account || (!input.Account.Code && !input.Account.AccountID))
    errors.push('An Account must be specified for a payment.');
  else if (!account) errors.push(`Account ${input.Account.Code ?? input.Account.AccountID} could not be found.`);
  else if (account.Status !== 'ACTIVE' || (account.Type !== 'BANK' && !account.EnablePaymentsToAccount))
    errors.push('Account type is invalid for making a payment to/from');

  const amount = input.Amount === undefined ? undefined : round2(input.Amount);
  if (amount === undefined || amount <= 0) errors.push('Payment amount must be greater than zero.');
  if (inv.Status !== 'AUTHORISED' && inv.Status !== 'PAID') errors.push(NOT_AUTHORISED_MESSAGE);
  else if (amount !== undefined && amount > invoiceBalances(org, inv).AmountDue) errors.push(OVERPAY_MESSAGE);

  const given = input.Date !== undefined ? parseDocumentDate(input.Date) : undefined;
  if (input.Date !== undefined && given === undefined) errors.push('The Date is not a valid date (use YYYY-MM-DD).');
  const date = given ?? startOfUtcDay(ctx.now);
  const lock = lockDateError(org, date);
  if (lock) errors.push(lock);
  if (errors.length > 0) return { errors };

  const rec: PaymentRec = {
    PaymentID: newId(),
    InvoiceID: inv.InvoiceID,
    AccountID: account!.AccountID,
    Date: date,
    Amount: amount!,
    Reference: input.Reference,
    // Without a rate Xero takes the day's rate of the invoice's currency, not 1 (base-currency invoices: 1).
    CurrencyRate:
      input.CurrencyRate ??
      (inv.CurrencyCode === org.BaseCurrency ? 1 : (org.currencies.get(inv.CurrencyCode)?.rate ?? inv.CurrencyRate)),
    Status: 'AUTHORISED',
    IsReconciled: input.IsReconciled ?? false,
    UpdatedDateUTC: ctx.now,
  };
  org.payments.set(rec.PaymentID, rec);
  settleInvoice(org, inv, ctx.now, date);
  ctx.emit('INVOICE', 'UPDATE', inv.InvoiceID);
  return { ok: rec };
}

export function createPayments(ctx: ApiContext): SimResponse {
  const elements = elementsOf(ctx.body, 'Payments');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find Payments');
  const inputs: PaymentInput[] = [];
  for (const e of elements) {
    const parsed = paymentInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    inputs.push(parsed.data);
  }
  if (inputs.length === 0) return emptyBatch(ctx, 'Payments');
  const outcomes: ElementOutcome[] = inputs.map((input) => {
    const result = applyPayment(ctx, input);
    if ('errors' in result) return { errors: result.errors, echo: { ...input, HasAccount: false } };
    return { ok: renderPayment(ctx.org, result.ok) };
  });
  return batchAnswer(ctx, 'Payments', 'HasValidationErrors', outcomes);
}

function findPayment(org: OrgRec, id: string): PaymentRec | undefined {
  if (!isUuid(id)) return undefined;
  return [...org.payments.values()].find((p) => p.PaymentID.toLowerCase() === id.toLowerCase());
}

/** `POST /Payments/{id}` with `{"Status":"DELETED"}`: the only change Xero allows to a payment. */
export function deletePayment(ctx: ApiContext, id: string): SimResponse {
  const p = findPayment(ctx.org, id);
  if (!p) return notFound();
  const elements = elementsOf(ctx.body, 'Payments');
  const first = elements?.[0];
  const parsed = paymentInput.safeParse(first ?? {});
  if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
  const errors: string[] = [];
  if (parsed.data.Status?.toUpperCase() !== 'DELETED')
    errors.push('A payment can only be changed by setting its Status to DELETED.');
  else if (p.Status === 'DELETED') errors.push('This payment has already been deleted.');
  else if (p.IsReconciled) errors.push('A reconciled payment cannot be deleted.');
  const lock = lockDateError(ctx.org, p.Date);
  if (lock) errors.push(lock);
  const outcome: ElementOutcome =
    errors.length > 0 ? { errors, echo: { PaymentID: p.PaymentID, Status: parsed.data.Status } } : { ok: {} };
  if (!('errors' in outcome)) {
    p.Status = 'DELETED';
    p.UpdatedDateUTC = ctx.now;
    const inv = ctx.org.invoices.get(p.InvoiceID);
    if (inv) {
      settleInvoice(ctx.org, inv, ctx.now, p.Date);
      ctx.emit('INVOICE', 'UPDATE', inv.InvoiceID);
    }
    outcome.ok = renderPayment(ctx.org, p);
  }
  return batchAnswer(ctx, 'Payments', 'HasValidationErrors', [outcome]);
}

export function getPayments(ctx: ApiContext): SimResponse {
  const rows = [...ctx.org.payments.values()].map((p) => ({
    record: renderPayment(ctx.org, p),
    updatedAt: p.UpdatedDateUTC,
  }));
  const listed = listRecords(ctx, rows, { pageable: true, model: 'Payment' });
  if (!isListed(listed)) return listed;
  return envelope(
    ctx.app.name,
    ctx.now,
    'Payments',
    listed.items,
    listed.pagination ? { pagination: listed.pagination } : undefined,
  );
}

export function getPayment(ctx: ApiContext, id: string): SimResponse {
  const p = findPayment(ctx.org, id);
  if (!p) return notFound();
  return envelope(ctx.app.name, ctx.now, 'Payments', [renderPayment(ctx.org, p)]);
}
