import { AccountingApi } from 'xero-node';

/**
 * An xero-node AccountingApi aimed at XERO_API_URL (Xero, or the simulator) with one access token.
 * XeroClient is not used: it hard-codes Xero's identity hosts (see xero-facts.md).
 */
export function accountingApi(apiBaseUrl: string, accessToken: string): AccountingApi {
  const api = new AccountingApi(`${apiBaseUrl.replace(/\/$/, '')}/api.xro/2.0`);
  api.accessToken = accessToken;
  return api;
}
