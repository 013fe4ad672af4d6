import type { InvoiceRec, OrgRec } from './store';
import { round2 } from './totals';

/**
 * What is paid, credited and still due on an invoice, and the status that follows from it: Xero
 * marks an authorised invoice PAID when nothing is due and takes it back to AUTHORISED when a
 * payment or allocation goes away.
 */
export interface Balances {
  AmountPaid: number;
  AmountCredited: number;
  AmountDue: number;
}

export function invoiceBalances(org: OrgRec, inv: InvoiceRec): Balances {
  let paid = 0;
  for (const p of org.payments.values())
    if (p.InvoiceID === inv.InvoiceID && p.Status === 'AUTHORISED') paid += p.Amount;
  let credited = 0;
  for (const a of org.allocations.values()) if (a.InvoiceID === inv.InvoiceID) credited += a.Amount;
  const AmountPaid = round2(paid);
  const AmountCredited = round2(credited);
  const settled = inv.Status === 'VOIDED' || inv.Status === 'DELETED';
  return {
    AmountPaid,
    AmountCredited,
    AmountDue: settled ? 0 : round2(inv.totals.Total - AmountPaid - AmountCredited),
  };
}

export function hasAllocations(org: OrgRec, inv: InvoiceRec): boolean {
  const b = invoiceBalances(org, inv);
  return b.AmountPaid !== 0 || b.AmountCredited !== 0;
}

/** Re-derives PAID/AUTHORISED after a payment or allocation changed; true when the status moved. */
export function settleInvoice(org: OrgRec, inv: InvoiceRec, now: number, latestDate: number): boolean {
  if (inv.Status !== 'AUTHORISED' && inv.Status !== 'PAID') return false;
  const { AmountDue } = invoiceBalances(org, inv);
  const before = inv.Status;
  if (AmountDue <= 0 && inv.Status === 'AUTHORISED') {
    inv.Status = 'PAID';
    inv.FullyPaidOnDate = latestDate;
  } else if (AmountDue > 0 && inv.Status === 'PAID') {
    inv.Status = 'AUTHORISED';
    inv.FullyPaidOnDate = undefined;
  }
  inv.UpdatedDateUTC = now;
  return before !== inv.Status;
}
