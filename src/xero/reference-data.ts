import type { AccountingApi } from 'xero-node';
import type { XeroAccessProvider } from './access';
import { XeroApiError } from './errors';
import type { XeroGateway } from './gateway';
import { RateLimitWaitError } from './rate-limiter';

/**
 * The connected organisation's chart of accounts, tax rates, tracking categories, branding themes
 * and name: what the Setup page offers and what settings are checked against. Read live from Xero
 * and cached briefly per connection, so re-rendering a form does not cost five API calls each time.
 *
 * Every read goes through the gateway, so it takes a permit from the per-tenant rate limiter that
 * order and contact sync share: an admin opening Setup must not push the organisation over Xero's
 * limits and turn syncs into 429s.
 */

export interface XeroAccountRef {
  code: string;
  name: string;
  type: string;
  accountClass: string;
  active: boolean;
  enablePayments: boolean;
}

export interface ReferenceData {
  /** `plan` is Xero's `Organisation.Class` (STARTER, STANDARD, PREMIUM, IGNITE, GROW, …). */
  organisation: { name: string; baseCurrency: string; shortCode: string; plan: string };
  accounts: XeroAccountRef[];
  taxRates: Array<{ taxType: string; name: string; rate: number | undefined; active: boolean }>;
  trackingCategories: Array<{ name: string; active: boolean; options: string[] }>;
  brandingThemes: Array<{ id: string; name: string }>;
}

export interface ReferenceDataReader {
  read(accountId: string): Promise<ReferenceData>;
  invalidate(accountId: string): void;
}

export const REFERENCE_DATA_TTL_MS = 60_000;

type Call = XeroGateway['call'];

/** A 429 shorter than this is waited out (the limiter holds the next call until Retry-After has passed). */
const WAIT_OUT_RATE_LIMIT_SECONDS = 10;

async function callHonouringRetryAfter<T>(
  call: Call,
  accountId: string,
  run: (api: AccountingApi, tenantId: string) => Promise<{ response: { headers?: unknown }; body: T }>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(accountId, run);
    } catch (err) {
      if (
        attempt === 0 &&
        err instanceof XeroApiError &&
        err.kind === 'rate_limited' &&
        (err.retryAfterSeconds ?? 1) <= WAIT_OUT_RATE_LIMIT_SECONDS
      )
        continue;
      // The pages and the settings API explain a XeroApiError; a long limiter wait is the same story to them.
      if (err instanceof RateLimitWaitError)
        throw new XeroApiError('rate_limited', 429, err.message, [], Math.ceil(err.waitMs / 1000));
      throw err;
    }
  }
}

async function fetchReferenceData(call: Call, accountId: string): Promise<ReferenceData> {
  // One after another: Xero allows 5 concurrent calls per tenant, and order sync may be using some.
  const org = (await callHonouringRetryAfter(call, accountId, (api, t) => api.getOrganisations(t))).organisations?.[0];
  const accounts = (await callHonouringRetryAfter(call, accountId, (api, t) => api.getAccounts(t))).accounts ?? [];
  const taxRates = (await callHonouringRetryAfter(call, accountId, (api, t) => api.getTaxRates(t))).taxRates ?? [];
  const tracking =
    (await callHonouringRetryAfter(call, accountId, (api, t) => api.getTrackingCategories(t))).trackingCategories ?? [];
  const themes =
    (await callHonouringRetryAfter(call, accountId, (api, t) => api.getBrandingThemes(t))).brandingThemes ?? [];
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    organisation: {
      name: text(org?.name),
      baseCurrency: text(org?.baseCurrency),
      shortCode: text(org?.shortCode),
      plan: text(org?._class),
    },
    accounts: accounts
      .filter((a) => a.code)
      .map((a) => ({
        code: text(a.code),
        name: text(a.name),
        type: text(a.type),
        accountClass: text(a._class),
        active: text(a.status) !== 'ARCHIVED' && text(a.status) !== 'DELETED',
        enablePayments: Boolean(a.enablePaymentsToAccount),
      })),
    taxRates: taxRates
      .filter((t) => t.taxType)
      .map((t) => ({
        taxType: text(t.taxType),
        name: text(t.name),
        rate: t.effectiveRate ?? t.displayTaxRate,
        active: text(t.status) === 'ACTIVE' || !t.status,
      })),
    trackingCategories: tracking
      .filter((c) => c.name)
      .map((c) => ({
        name: text(c.name),
        active: text(c.status) !== 'ARCHIVED' && text(c.status) !== 'DELETED',
        options: (c.options ?? [])
          .filter((o) => o.name && text(o.status) !== 'ARCHIVED' && text(o.status) !== 'DELETED')
          .map((o) => text(o.name)),
      })),
    brandingThemes: themes
      .filter((t) => t.brandingThemeID)
      .map((t) => ({ id: text(t.brandingThemeID), name: text(t.name) })),
  };
}

export function createReferenceDataReader(deps: {
  /** Only to key the cache by connection: a reconnection to another organisation must not see the old lists. */
  access: XeroAccessProvider;
  gateway: Pick<XeroGateway, 'call'>;
  ttlMs?: number;
}): ReferenceDataReader {
  const ttl = deps.ttlMs ?? REFERENCE_DATA_TTL_MS;
  const cache = new Map<string, { key: string; at: number; data: Promise<ReferenceData> }>();
  return {
    async read(accountId) {
      const access = await deps.access.accessFor(accountId);
      const key = `${access.connectionId}:${access.tenantId}`;
      const hit = cache.get(accountId);
      if (hit && hit.key === key && Date.now() - hit.at < ttl) return hit.data;
      const data = fetchReferenceData(deps.gateway.call, accountId);
      cache.set(accountId, { key, at: Date.now(), data });
      data.catch(() => {
        if (cache.get(accountId)?.data === data) cache.delete(accountId);
      });
      return data;
    },
    invalidate(accountId) {
      cache.delete(accountId);
    },
  };
}
