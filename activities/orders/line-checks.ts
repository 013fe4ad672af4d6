import type { Account, Item, TaxRate } from 'xero-node';
import type { HostDocument } from '../../src/domain/documents';
import type { Side } from '../../src/domain/document-mapping';
import { businessFailure } from '../../src/orders/failures';
import type { XeroGateway } from '../../src/xero/gateway';

/**
 * Lines that name their own account, item or tax rate are checked against the organisation before
 * anything is written, with errors naming the line — Xero would refuse the whole document with a
 * message that names neither. Documents on Setup's defaults cost nothing here (Setup checked them).
 */

const LIST_TTL_MS = 60_000;

interface Lists {
  accounts: Account[];
  items: Item[];
  taxRates: TaxRate[];
}
type ListName = keyof Lists;
const cache = new Map<string, { at: number; value: unknown }>();

/** One of the organisation's lists, cached briefly per worker: a burst of documents reads it once. */
async function list<K extends ListName>(
  xero: XeroGateway,
  accountId: string,
  name: K,
  refresh: boolean,
): Promise<Lists[K]> {
  const key = `${accountId}|${name}`;
  const hit = cache.get(key);
  if (!refresh && hit && Date.now() - hit.at < LIST_TTL_MS) return hit.value as Lists[K];
  const value = (
    name === 'accounts'
      ? await xero.call(accountId, (api, t) => api.getAccounts(t)).then((b) => b.accounts ?? [])
      : name === 'items'
        ? await xero.call(accountId, (api, t) => api.getItems(t)).then((b) => b.items ?? [])
        : await xero.call(accountId, (api, t) => api.getTaxRates(t)).then((b) => b.taxRates ?? [])
  ) as Lists[K];
  cache.set(key, { at: Date.now(), value });
  return value;
}

/**
 * A list that holds every wanted code: the cached one, or (a code may be new: an item pushed a
 * moment ago) a fresh read.
 */
async function listHolding<K extends ListName>(
  xero: XeroGateway,
  accountId: string,
  name: K,
  codes: string[],
  codeOf: (e: Lists[K][number]) => string,
): Promise<Lists[K]> {
  if (codes.length === 0) return [] as unknown as Lists[K];
  const cached = await list(xero, accountId, name, false);
  const known = new Set((cached as Array<Lists[K][number]>).map((e) => codeOf(e).toLowerCase()));
  return codes.every((c) => known.has(c.toLowerCase())) ? cached : list(xero, accountId, name, true);
}

const active = (status: unknown) => String(status ?? 'ACTIVE') === 'ACTIVE';

export async function checkLineAccounts(
  xero: XeroGateway,
  accountId: string,
  doc: HostDocument,
  side: Side,
): Promise<((itemCode: string) => string | undefined) | undefined> {
  const named = (pick: (l: HostDocument['lines'][number]) => string | undefined) =>
    doc.lines.map(pick).filter((c): c is string => !!c);
  const itemCodes = named((l) => l.itemCode);
  const accountCodes = named((l) => l.accountCode);
  const taxCodes = named((l) => l.taxCode);
  if (itemCodes.length + accountCodes.length + taxCodes.length === 0) return undefined;

  const [items, taxRates] = await Promise.all([
    listHolding(xero, accountId, 'items', itemCodes, (i) => String(i.code ?? '')),
    listHolding(xero, accountId, 'taxRates', taxCodes, (t) => String(t.taxType ?? '')),
  ]);
  const itemByCode = new Map(items.map((i) => [String(i.code ?? '').toLowerCase(), i]));
  // Items' own accounts are checked too (to fall back from an archived one), so read accounts for them.
  const itemAccounts = itemCodes
    .map((c) => itemByCode.get(c.toLowerCase()))
    .map((i) => (side === 'sales' ? i?.salesDetails : i?.purchaseDetails)?.accountCode)
    .filter((c): c is string => !!c);
  const accounts = await listHolding(xero, accountId, 'accounts', [...accountCodes, ...itemAccounts], (a) =>
    String(a.code ?? ''),
  );
  const accountActive = new Map(accounts.filter((a) => a.code).map((a) => [String(a.code), active(a.status)] as const));
  const taxActive = new Map(
    taxRates.filter((t) => t.taxType).map((t) => [String(t.taxType), active(t.status)] as const),
  );

  // The item's own account for this side, while it is active; an item whose account was archived
  // falls back to Setup's default rather than failing a document the host cannot fix.
  const itemAccount = (code: string) => {
    const item = itemByCode.get(code.toLowerCase());
    const account = (side === 'sales' ? item?.salesDetails : item?.purchaseDetails)?.accountCode;
    return account && accountActive.get(account) ? account : undefined;
  };

  const problems: string[] = [];
  doc.lines.forEach((line, i) => {
    const n = `line ${i + 1}`;
    if (line.itemCode && !itemByCode.has(line.itemCode.toLowerCase()))
      problems.push(`${n}: item ${line.itemCode} does not exist in Xero`);
    if (line.accountCode) {
      if (!accountActive.has(line.accountCode))
        problems.push(`${n}: account ${line.accountCode} does not exist in Xero`);
      else if (!accountActive.get(line.accountCode))
        problems.push(`${n}: account ${line.accountCode} is archived in Xero`);
    }
    if (line.taxCode) {
      if (!taxActive.has(line.taxCode)) problems.push(`${n}: tax rate ${line.taxCode} does not exist in Xero`);
      else if (!taxActive.get(line.taxCode)) problems.push(`${n}: tax rate ${line.taxCode} is archived in Xero`);
    }
  });
  if (problems.length > 0)
    throw businessFailure('validation', `the document cannot be written: ${problems.join('; ')}`, {
      lines: problems,
    });
  return itemCodes.length > 0 ? itemAccount : undefined;
}
