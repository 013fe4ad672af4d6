/**
 * A document's figures as Xero will compute them (xero-facts: totals are Xero's, from line amount
 * types, quantities, unit amounts, discounts and tax rates): unit amounts rounded to the request's
 * `unitdp`, each line's amount and its tax rounded to the cent, totals summed from the rounded lines.
 * Halves round away from zero.
 *
 * Exact decimal arithmetic (BigInt in fixed scales), not floating point: 0.1 + 0.2 is a cent
 * question here, and the answer must be the same on every machine.
 */

export type LineAmountType = 'Exclusive' | 'Inclusive' | 'NoTax';

export interface TotalsLine {
  quantity: number;
  unitAmount: number;
  /** Percent, 0–100. */
  discountRate?: number;
  /** Percent (Xero's EffectiveRate); 0 when the line carries no tax. */
  taxRate: number;
}

export interface LineFigures {
  lineAmount: number;
  taxAmount: number;
}

export interface DocumentFigures {
  lines: LineFigures[];
  subTotal: number;
  totalTax: number;
  total: number;
}

/**
 * A number as an integer in units of 10^-scale, rounded half away from zero. The number is taken as
 * the decimal it is sent as (JSON writes the shortest round-trip form: 1.005 goes out as "1.005",
 * which Xero rounds to 1.01), not as its binary value (1.00499999…, which toFixed(2) makes 1.00).
 */
function scaled(value: number, scale: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e');
  const [whole, frac = ''] = mantissa.split('.');
  const digits = BigInt(`${whole}${frac}`); // |value| = digits × 10^(exponent − frac.length)
  const shift = Number(exponent) - frac.length + scale;
  const n = shift >= 0 ? digits * 10n ** BigInt(shift) : divRound(digits, 10n ** BigInt(-shift));
  return value < 0 ? -n : n;
}

/** numerator / denominator rounded to an integer, halves away from zero (denominator > 0). */
function divRound(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = (2n * n + denominator) / (2n * denominator);
  return negative ? -q : q;
}

const cents = (c: bigint) => Number(c) / 100;

const Q = 4; // quantities: Xero keeps 4 decimals
const U = 4; // unit amounts are computed at 4 decimals once rounded to unitdp
const P = 6; // percentages (discount and tax rates)
const HUNDRED_P = 100n * 10n ** BigInt(P);

function lineCents(line: TotalsLine, unitdp: 2 | 4): bigint {
  const unit = scaled(line.unitAmount, unitdp) * 10n ** BigInt(U - unitdp);
  const gross = scaled(line.quantity, Q) * unit; // scale Q + U
  const keep = HUNDRED_P - scaled(line.discountRate ?? 0, P); // (100 − discount) at scale P
  // gross × (100 − d)% in cents: scale Q+U+P, divided by 100 for the percent, times 100 for cents.
  return divRound(gross * keep, 10n ** BigInt(Q + U + P));
}

function taxCents(amount: bigint, rate: number, type: LineAmountType): bigint {
  if (type === 'NoTax' || rate === 0) return 0n;
  const r = scaled(rate, P);
  return type === 'Exclusive' ? divRound(amount * r, HUNDRED_P) : divRound(amount * r, HUNDRED_P + r);
}

export function xeroFigures(lines: TotalsLine[], type: LineAmountType, unitdp: 2 | 4): DocumentFigures {
  let lineSum = 0n;
  let taxSum = 0n;
  const out: LineFigures[] = [];
  for (const line of lines) {
    const amount = lineCents(line, unitdp);
    const tax = taxCents(amount, line.taxRate, type);
    lineSum += amount;
    taxSum += tax;
    out.push({ lineAmount: cents(amount), taxAmount: cents(tax) });
  }
  const subTotal = type === 'Inclusive' ? lineSum - taxSum : lineSum;
  return { lines: out, subTotal: cents(subTotal), totalTax: cents(taxSum), total: cents(subTotal + taxSum) };
}

/** An amount in cents, exactly (amounts the API takes have at most 2 decimals). */
export const toCents = (amount: number): number => Number(scaled(amount, 2));
