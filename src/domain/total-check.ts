import type { Settings } from './settings';
import { toCents, type DocumentFigures } from './xero-totals';

/**
 * The host's totals against Xero's (./xero-totals.ts), decided before anything is written: no
 * silent difference ever reaches the books. A total off by no more than Setup's tolerance gets a
 * rounding line when Setup chose that; anything else is held with both figures in the failure.
 */

export interface HostTotals {
  total?: number;
  taxTotal?: number;
}

export interface RoundingLine {
  description: string;
  quantity: 1;
  unitAmount: number;
  accountCode: string;
  taxType: string;
}

export type TotalCheck =
  /** The host sent no totals: nothing to compare. */
  | { outcome: 'unchecked'; computed: DocumentFigures }
  | { outcome: 'match'; computed: DocumentFigures }
  /** `computed` is without the rounding line; the document's total with it is the host's. */
  | { outcome: 'rounding'; computed: DocumentFigures; rounding: number; line: RoundingLine }
  | { outcome: 'hold'; computed: DocumentFigures; reason: string };

export const ROUNDING_DESCRIPTION = 'Rounding';

const money = (cents: number) => (cents / 100).toFixed(2);

export function checkHostTotals(
  host: HostTotals,
  computed: DocumentFigures,
  settings: Pick<Settings, 'totalDifference' | 'roundingAccountCode' | 'roundingTolerance'>,
  /** A tax type that adds no tax (the rounding line's); undefined when the organisation has none. */
  zeroTaxType: string | undefined,
): TotalCheck {
  if (host.total === undefined && host.taxTotal === undefined) return { outcome: 'unchecked', computed };
  const taxDiff = host.taxTotal === undefined ? 0 : toCents(host.taxTotal) - toCents(computed.totalTax);
  if (taxDiff !== 0)
    return {
      outcome: 'hold',
      computed,
      reason: `the host's tax total ${money(toCents(host.taxTotal!))} differs from the ${money(toCents(computed.totalTax))} Xero will compute (Xero rounds tax on each line); a rounding line cannot correct tax, so nothing was written. Correct the document's tax, then retry`,
    };
  const diff = host.total === undefined ? 0 : toCents(host.total) - toCents(computed.total);
  if (diff === 0) return { outcome: 'match', computed };
  const both = `the host's total ${money(toCents(host.total!))} differs from the ${money(toCents(computed.total))} Xero will compute by ${money(diff)}`;
  if (settings.totalDifference !== 'rounding_line' || !settings.roundingAccountCode)
    return {
      outcome: 'hold',
      computed,
      reason: `${both}, so nothing was written. Correct the document, or let Setup add a rounding line, then retry`,
    };
  if (Math.abs(diff) > toCents(settings.roundingTolerance))
    return {
      outcome: 'hold',
      computed,
      reason: `${both}, more than the ${money(toCents(settings.roundingTolerance))} Setup allows a rounding line to balance, so nothing was written. Correct the document, or raise the tolerance in Setup, then retry`,
    };
  if (!zeroTaxType)
    return {
      outcome: 'hold',
      computed,
      reason: `${both}; a rounding line needs a tax rate of 0% in Xero and the organisation has none active, so nothing was written`,
    };
  return {
    outcome: 'rounding',
    computed,
    rounding: diff / 100,
    line: {
      description: ROUNDING_DESCRIPTION,
      quantity: 1,
      unitAmount: diff / 100,
      accountCode: settings.roundingAccountCode,
      taxType: zeroTaxType,
    },
  };
}
