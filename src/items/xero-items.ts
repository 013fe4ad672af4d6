import type { Item } from 'xero-node';
import type { XeroDeps } from '../contact-sync/xero-contacts';

/**
 * Every Xero call the item push makes, one request each, through the gateway's door
 * (`XeroGateway.call`: fresh token, shared per-tenant rate limiter, typed errors). Writes always
 * send summarizeErrors=false (without it one refused item turns the answer into a 400 while the
 * others are still written, xero-facts.md) and unitdp=4 (prices keep four decimals).
 */

const UNIT_DP = 4;

/**
 * Every item of the organisation. `where Code==…` compares with case and codes are unique without
 * it, so the engine reads the list once per batch and matches in code (itemCodeKey).
 */
export async function getAllItems(xero: XeroDeps, accountId: string): Promise<Item[]> {
  const body = await xero.call(accountId, (api, t) => api.getItems(t, undefined, undefined, undefined, UNIT_DP));
  return body.items ?? [];
}

/** PUT /Items: creates; one result per element, in order. */
export async function createItems(
  xero: XeroDeps,
  accountId: string,
  items: Item[],
  idempotencyKey: string,
): Promise<Item[]> {
  const body = await xero.call(accountId, (api, t) => api.createItems(t, { items }, false, UNIT_DP, idempotencyKey));
  return body.items ?? [];
}

/** POST /Items: updates the item each element names (ItemID, else Code) or creates it. */
export async function updateOrCreateItems(
  xero: XeroDeps,
  accountId: string,
  items: Item[],
  idempotencyKey: string,
): Promise<Item[]> {
  const body = await xero.call(accountId, (api, t) =>
    api.updateOrCreateItems(t, { items }, false, UNIT_DP, idempotencyKey),
  );
  return body.items ?? [];
}

/** A batch element's own errors (empty when it was written). */
export function itemErrors(item: Item): string[] {
  const messages = (item.validationErrors ?? []).map((v) => v.message ?? '').filter(Boolean);
  if (messages.length === 0 && String(item.statusAttributeString ?? '').toUpperCase() === 'ERROR')
    return ['Xero refused the item'];
  return messages;
}

/** Xero's refusal of a create whose code another item already has (ours from an earlier attempt, or a user's). */
export const isDuplicateCodeError = (m: string) => /item code .* already exists/i.test(m);
