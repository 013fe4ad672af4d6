import type { Account, Item } from 'xero-node';
import type { HostDocument } from '../../src/domain/documents';
import type { Side } from '../../src/domain/document-mapping';
import { businessFailure } from '../../src/orders/failures';
import type { XeroGateway } from '../../src/xero/gateway';

const LIST_TTL_MS = 60_000;
const lists = new Map<string, { at: number; accounts: Account[]; items?: Item[] }>();

/** The organisation's accounts (and items), cached briefly per worker: a burst of documents reads them once. */
async function organisationLists(
  xero: XeroGateway,
  accountId: string,
  withItems: boolean,
  refresh: boolean,
): Promise<{ accounts: Account[]; items: Item[] }> {
  const hit = lists.get(accountId);
  if (!refresh && hit && Date.now() - hit.at < LIST_TTL_MS && (!withItems || hit.items)) {
    return { accounts: hit.accounts, items: hit.items ?? [] };
  }
  const [accounts, items] = await Promise.all([
    xero.call(accountId, (api, t) => api.getAccounts(t)).then((b) => b.accounts ?? []),
    withItems ? xero.call(accountId, (api, t) => api.getItems(t)).then((b) => b.items ?? []) : undefined,
  ]);
  lists.set(accountId, { at: Date.now(), accounts, ...(items ? { items } : {}) });
  return { accounts, items: items ?? [] };
}

/**
 * Lines that name their own account or an item are checked against the organisation before
 * anything is written, with errors naming the line — Xero would refuse the whole document with a
 * message that names neither. Documents on Setup's defaults only cost nothing here (Setup checked them).
 */
export async function checkLineAccounts(
  xero: XeroGateway,
  accountId: string,
  doc: HostDocument,
  side: Side,
): Promise<((itemCode: string) => string | undefined) | undefined> {
  const named = doc.lines.some((l) => l.accountCode || l.itemCode);
  if (!named) return undefined;
  const wantsItems = doc.lines.some((l) => l.itemCode);
  const fresh = await organisationLists(xero, accountId, wantsItems, false);
  // A code missing from a cached list may be new (an item pushed a moment ago): read once more.
  const missing = (l: { accountCode?: string; itemCode?: string }) =>
    (l.itemCode && !fresh.items.some((i) => String(i.code ?? '').toLowerCase() === l.itemCode!.toLowerCase())) ||
    (l.accountCode && !fresh.accounts.some((a) => a.code === l.accountCode));
  const { accounts, items } = doc.lines.some(missing)
    ? await organisationLists(xero, accountId, wantsItems, true)
    : fresh;
  const itemByCode = new Map(items.map((i) => [String(i.code ?? '').toLowerCase(), i]));
  const active = new Map(
    accounts.filter((a) => a.code).map((a) => [String(a.code), String(a.status ?? 'ACTIVE') === 'ACTIVE'] as const),
  );
  // The item's own account for this side, while it is active; an item whose account was archived
  // falls back to Setup's default rather than failing a document the host cannot fix.
  const itemAccount = (code: string) => {
    const item = itemByCode.get(code.toLowerCase());
    const account = (side === 'sales' ? item?.salesDetails : item?.purchaseDetails)?.accountCode;
    return account && active.get(account) ? account : undefined;
  };
  const problems: string[] = [];
  doc.lines.forEach((line, i) => {
    // Lines on Setup's default account are Setup's business (checked there, explained as such).
    if (!line.accountCode && !line.itemCode) return;
    const n = `line ${i + 1}`;
    if (line.itemCode && !itemByCode.has(line.itemCode.toLowerCase())) {
      problems.push(`${n}: item ${line.itemCode} does not exist in Xero`);
      return;
    }
    const own = line.accountCode;
    if (!own) return;
    if (!active.has(own)) problems.push(`${n}: account ${own} does not exist in Xero`);
    else if (!active.get(own)) problems.push(`${n}: account ${own} is archived in Xero`);
  });
  if (problems.length > 0)
    throw businessFailure('validation', `the document cannot be written: ${problems.join('; ')}`, {
      lines: problems,
    });
  return itemAccount;
}
