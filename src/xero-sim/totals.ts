import type { LineAmountType, LineRec, Totals } from './store';

/**
 * Xero's arithmetic: amounts are rounded half away from zero to 2 dp per line, tax is computed per
 * line from the line amount, and the document totals are sums of the rounded line figures.
 */

export function round(value: number, dp: number): number {
  const f = 10 ** dp;
  const scaled = Math.abs(value) * f;
  // The epsilon keeps 1.005 (stored as 1.00499999…) rounding up, as decimal arithmetic would.
  const rounded = Math.round(scaled + 1e-9) / f;
  return value < 0 ? -rounded : rounded;
}

export const round2 = (v: number) => round(v, 2);

export interface LineAmounts {
  LineAmount: number;
  TaxAmount: number;
  /** Quantity × UnitAmount − LineAmount, for TotalDiscount. */
  discount: number;
}

/** One line's amount and tax. `taxRate` in percent; `taxOverride` when the client sent TaxAmount. */
export function lineAmounts(
  line: { Quantity: number; UnitAmount: number; DiscountRate?: number; DiscountAmount?: number },
  lineAmountTypes: LineAmountType,
  taxRate: number,
  taxOverride?: number,
): LineAmounts {
  const gross = line.Quantity * line.UnitAmount;
  let amount = gross;
  if (line.DiscountRate !== undefined) amount = gross * (1 - line.DiscountRate / 100);
  else if (line.DiscountAmount !== undefined) amount = gross - line.DiscountAmount;
  const LineAmount = round2(amount);
  let TaxAmount = 0;
  if (lineAmountTypes === 'Exclusive') TaxAmount = round2((LineAmount * taxRate) / 100);
  else if (lineAmountTypes === 'Inclusive') TaxAmount = round2((LineAmount * taxRate) / (100 + taxRate));
  if (taxOverride !== undefined && lineAmountTypes !== 'NoTax') TaxAmount = round2(taxOverride);
  return { LineAmount, TaxAmount, discount: round2(gross - LineAmount) };
}

export function documentTotals(lines: LineRec[], lineAmountTypes: LineAmountType): Totals {
  let lineSum = 0;
  let tax = 0;
  let discount = 0;
  for (const l of lines) {
    lineSum += l.LineAmount;
    tax += l.TaxAmount;
    discount += round2(l.Quantity * l.UnitAmount - l.LineAmount);
  }
  const TotalTax = round2(tax);
  const SubTotal = round2(lineAmountTypes === 'Inclusive' ? lineSum - TotalTax : lineSum);
  return { SubTotal, TotalTax, Total: round2(SubTotal + TotalTax), TotalDiscount: round2(discount) };
}
