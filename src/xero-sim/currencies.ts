import type { ApiContext } from './api-context';
import { envelope, type SimResponse } from './answers';
import type { OrgRec } from './store';

/**
 * An organisation takes documents in its base currency and in the foreign currencies enabled in it
 * (xero-facts.md); anything else is refused before anything is written. A foreign document carries
 * the rate Xero used (CurrencyRate: units of the currency per base unit), the caller's if it gave one.
 */
export function currencyOf(
  org: OrgRec,
  code: string | undefined,
  givenRate: number | undefined,
  errors: string[],
): { code: string; rate: number } {
  const wanted = (code ?? org.BaseCurrency).toUpperCase();
  if (wanted === org.BaseCurrency) return { code: wanted, rate: 1 };
  const enabled = org.currencies.get(wanted);
  if (!enabled) {
    errors.push(`Organisation is not subscribed to currency ${code}`);
    return { code: org.BaseCurrency, rate: 1 };
  }
  return { code: wanted, rate: givenRate ?? enabled.rate };
}

/** `GET /Currencies`: the base currency and the enabled ones. */
export function getCurrencies(ctx: ApiContext): SimResponse {
  const { org } = ctx;
  const rows = [
    { Code: org.BaseCurrency, Description: org.BaseCurrency },
    ...[...org.currencies.entries()].map(([Code, c]) => ({ Code, Description: c.Description })),
  ];
  return envelope(ctx.app.name, ctx.now, 'Currencies', rows);
}
