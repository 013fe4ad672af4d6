import type { XeroAccessProvider } from './access';
import { accountingApi } from './accounting-client';
import { callXero, XeroApiError } from './errors';

/**
 * The connected organisation's chart of accounts, tax rates, tracking categories, branding themes
 * and name: what the Setup page offers and what settings are checked against. Read live from Xero
 * and cached briefly per connection, so re-rendering a form does not cost five API calls each time.
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
  organisation: { name: string; baseCurrency: string; shortCode: string };
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

async function fetchReferenceData(apiUrl: string, accessToken: string, tenantId: string): Promise<ReferenceData> {
  const api = accountingApi(apiUrl, accessToken);
  // One after another: Xero allows 5 concurrent calls per tenant, and order sync may be using some.
  const org = (await callXero(() => api.getOrganisations(tenantId))).body.organisations?.[0];
  const accounts = (await callXero(() => api.getAccounts(tenantId))).body.accounts ?? [];
  const taxRates = (await callXero(() => api.getTaxRates(tenantId))).body.taxRates ?? [];
  const tracking = (await callXero(() => api.getTrackingCategories(tenantId))).body.trackingCategories ?? [];
  const themes = (await callXero(() => api.getBrandingThemes(tenantId))).body.brandingThemes ?? [];
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    organisation: { name: text(org?.name), baseCurrency: text(org?.baseCurrency), shortCode: text(org?.shortCode) },
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
  access: XeroAccessProvider;
  apiUrl: string;
  ttlMs?: number;
}): ReferenceDataReader {
  const ttl = deps.ttlMs ?? REFERENCE_DATA_TTL_MS;
  const cache = new Map<string, { key: string; at: number; data: Promise<ReferenceData> }>();
  return {
    async read(accountId) {
      let access = await deps.access.accessFor(accountId);
      const key = `${access.connectionId}:${access.tenantId}`;
      const hit = cache.get(accountId);
      if (hit && hit.key === key && Date.now() - hit.at < ttl) return hit.data;
      const load = async () => {
        try {
          return await fetchReferenceData(deps.apiUrl, access.accessToken, access.tenantId);
        } catch (err) {
          if (!(err instanceof XeroApiError) || err.kind !== 'unauthorized') throw err;
          access = await deps.access.refreshAfterRejection(accountId, access.accessToken);
          return fetchReferenceData(deps.apiUrl, access.accessToken, access.tenantId);
        }
      };
      const data = load();
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
