import type { LineAmountType, LineRec, Totals } from './store';

/**
 * Xero's arithmetic: amounts are rounded half away from zero to 2 dp per line, tax is computed per
 * line from the line amount, and the document totals are sums of the rounded line figures.
 */

export function round(value: number, dp: number): number {
  // Xero works in decimals: the value is taken at 15 significant digits (what a double holds
  // exactly), so 1.005 (stored as 1.00499999…) and 4368576.975 round up as decimal arithmetic
  // would, and the decimal point is moved in the string, not by a multiplication that adds error.
  const decimal = String(Number(Math.abs(value).toPrecision(15)));
  const rounded = decimal.includes('e')
    ? Math.round(Math.abs(value) * 10 ** dp + 1e-9) / 10 ** dp
    : Number(`${Math.round(Number(`${decimal}e${dp}`))}e-${dp}`);
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
