import type { InvoiceRec, OrgRec } from './store';

/**
 * Xero's smallest plans cap how many sales invoices and bills can be approved each month
 * (help.xero.com "Xero plans"; xero-facts.md, Organisation): past the cap an approval is refused.
 * The figures are Starter's and Ignite's as Xero publishes them (20 invoices, 5 bills a month).
 */
const CAPS: Record<string, { ACCREC: number; ACCPAY: number }> = {
  STARTER: { ACCREC: 20, ACCPAY: 5 },
  IGNITE: { ACCREC: 20, ACCPAY: 5 },
};

/** Xero's words, as integrators report them. */
export function approvalCapError(org: OrgRec, type: InvoiceRec['Type'], now: number): string | undefined {
  const cap = CAPS[org.Class.toUpperCase()]?.[type];
  if (cap === undefined) return undefined;
  const d = new Date(now);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  let used = 0;
  for (const inv of org.invoices.values()) if (inv.Type === type && (inv.approvedAt ?? -1) >= monthStart) used++;
  if (used < cap) return undefined;
  return `You have reached the limit of ${type === 'ACCREC' ? 'invoices' : 'bills'} you can approve this month on your Xero plan.`;
}
