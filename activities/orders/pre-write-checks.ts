import type { LineItem } from 'xero-node';
import { defaultTaxFor, type Side } from '../../src/domain/document-mapping';
import type { HostDocument } from '../../src/domain/documents';
import { trackingFor } from '../../src/domain/invoice-mapping';
import type { Settings } from '../../src/domain/settings';
import { checkHostTotals } from '../../src/domain/total-check';
import { xeroFigures, type LineAmountType } from '../../src/domain/xero-totals';
import { businessFailure } from '../../src/orders/failures';
import { readStoredReferenceLists } from '../../src/contact-sync/reference-data';
import type { ReferenceDataKind } from '../../src/db/schema-contact-sync';
import { isActive, referenceList, type ReferenceDeps, type ReferenceRow } from './reference-lists';

/**
 * What a bookkeeper would check before a document goes to Xero, from the organisation's reference
 * data (./reference-lists.ts) — so a problem is named plainly, per line, before any write, instead
 * of Xero refusing the whole document:
 * - the currency is one the organisation has enabled;
 * - every account, tax rate, item and tracking option the document uses (its own or Setup's) exists
 *   and is active;
 * - the host's totals are the ones Xero will compute (a rounding line, or a hold, as Setup says).
 */

/** Xero's figures for the document as it will be written, and how they relate to the host's. */
export interface WrittenTotals {
  subTotal: number;
  totalTax: number;
  total: number;
  /** What the host said the total is, when it said. */
  hostTotal?: number;
  /** The rounding line's amount, when one was added. */
  rounding?: number;
}

export interface WriteChecks {
  /** Items' own accounts for this side, while active (lines naming items take them). */
  itemAccount?: (itemCode: string) => string | undefined;
  /**
   * Checks the payload's lines (codes, then totals): throws a business failure naming each problem,
   * or returns the lines to add (a rounding line) and the totals Xero will show.
   */
  verify(
    /** The payload's lines (built again if the reference data is read again). */
    lines: () => LineItem[],
    lineAmountTypes: LineAmountType,
    unitdp: 2 | 4,
  ): Promise<{ extraLines: LineItem[]; totals?: WrittenTotals; lines: LineItem[] }>;
}

const lower = (s: string) => s.toLowerCase();
const codesOf = (rows: Array<{ code?: string }>) => new Set(rows.map((r) => lower(r.code ?? '')));

function settingName(side: Side, what: 'account' | 'tax'): string {
  if (what === 'account') return side === 'sales' ? "Setup's revenue account" : "Setup's purchases account";
  return side === 'sales' ? "Setup's default tax rate" : "Setup's tax rate for bills";
}

export async function checksBeforeWrite(
  deps: ReferenceDeps,
  accountId: string,
  doc: HostDocument,
  side: Side,
  settings: Settings,
): Promise<WriteChecks> {
  const named = (pick: (l: HostDocument['lines'][number]) => string | undefined) =>
    doc.lines.map(pick).filter((c): c is string => !!c);
  const itemCodes = named((l) => l.itemCode);
  const defaultAccount = side === 'sales' ? settings.revenueAccountCode : settings.expenseAccountCode;
  const defaultTax = defaultTaxFor(side, settings);
  const tracked = doc.lines.flatMap((l) => trackingFor(l.costCentre, settings));
  // Every list this document needs, as stored, in one query; a list found wanting is read again.
  const needed: ReferenceDataKind[] = [
    ...(doc.currency ? (['currencies'] as const) : []),
    ...(itemCodes.length ? (['items'] as const) : []),
    'accounts',
    'tax-rates',
    ...(tracked.length ? (['tracking-categories'] as const) : []),
  ];
  let firstRead: ReadonlyMap<ReferenceDataKind, unknown[]> | undefined = await readStoredReferenceLists(
    deps.db,
    accountId,
    needed,
  );

  if (doc.currency) {
    const currencies = await referenceList(
      deps,
      accountId,
      'currencies',
      (rows) => !codesOf(rows).has(lower(doc.currency)),
      firstRead,
    );
    if (currencies && !codesOf(currencies).has(lower(doc.currency))) {
      const enabled = currencies.map((c) => c.code).filter(Boolean);
      throw businessFailure(
        'validation',
        `the Xero organisation is not subscribed to currency ${doc.currency}${enabled.length ? ` (it has ${enabled.join(', ')})` : ''}: nothing was written. Enable ${doc.currency} in Xero (Settings → Currencies), or send the document in one of those currencies, then retry`,
        { currency: doc.currency, enabled },
      );
    }
  }

  type Lists = {
    items: Array<ReferenceRow<'items'>> | undefined;
    accounts: Array<ReferenceRow<'accounts'>> | undefined;
    taxRates: Array<ReferenceRow<'tax-rates'>> | undefined;
    tracking: Array<ReferenceRow<'tracking-categories'>> | undefined;
  };
  const itemAccountIn = (items: Lists['items'], code: string) => {
    const item = items?.find((i) => lower(i.code ?? '') === lower(code));
    return (side === 'sales' ? item?.salesDetails : item?.purchaseDetails)?.accountCode;
  };
  /** The lists this document needs: stored ones that name everything it uses, or (`force`) read again. */
  async function load(force: boolean): Promise<Lists> {
    const missing =
      <T>(has: (rows: T[], code: string) => boolean, codes: string[]) =>
      (rows: T[]) =>
        force || codes.some((c) => !has(rows, c));
    // The first load uses the lists read above; a forced one reads them afresh.
    const read = force ? undefined : firstRead;
    firstRead = undefined;
    const byCode = (rows: Array<{ code?: string }>, c: string) => codesOf(rows).has(lower(c));
    const items = itemCodes.length
      ? await referenceList(deps, accountId, 'items', missing(byCode, itemCodes), read)
      : [];
    const wantedAccounts = [
      ...named((l) => l.accountCode),
      ...itemCodes.map((c) => itemAccountIn(items, c)).filter((c): c is string => !!c),
      ...(defaultAccount ? [defaultAccount] : []),
      ...(settings.totalDifference === 'rounding_line' && settings.roundingAccountCode
        ? [settings.roundingAccountCode]
        : []),
    ];
    const wantedTax = [...named((l) => l.taxCode), ...(defaultTax ? [defaultTax] : [])];
    const [accounts, taxRates, tracking] = await Promise.all([
      referenceList(deps, accountId, 'accounts', missing(byCode, wantedAccounts), read),
      referenceList(
        deps,
        accountId,
        'tax-rates',
        missing(
          (rows: Array<ReferenceRow<'tax-rates'>>, c) => rows.some((t) => lower(t.taxType ?? '') === lower(c)),
          wantedTax,
        ),
        read,
      ),
      tracked.length
        ? referenceList(
            deps,
            accountId,
            'tracking-categories',
            (cats) =>
              force ||
              tracked.some((t) => !cats.find((c) => c.name === t.name)?.options?.some((o) => o.name === t.option)),
            read,
          )
        : Promise.resolve([] as Array<ReferenceRow<'tracking-categories'>>),
    ]);
    return { items, accounts, taxRates, tracking };
  }

  let lists = await load(false);
  let fresh = false;
  const itemAccount = itemCodes.length
    ? (code: string) => {
        // An item whose account was archived falls back to Setup's default rather than failing a
        // document the host cannot fix.
        const account = itemAccountIn(lists.items, code);
        const a = lists.accounts?.find((x) => x.code === account);
        return account && (!lists.accounts || isActive(a?.status)) ? account : undefined;
      }
    : undefined;

  function codeProblems(lines: LineItem[]): string[] {
    const { items, accounts, taxRates, tracking } = lists;
    const accountByCode = new Map((accounts ?? []).map((a) => [a.code ?? '', a]));
    const taxByType = new Map((taxRates ?? []).map((t) => [t.taxType ?? '', t]));
    const itemByCode = new Map((items ?? []).map((i) => [lower(i.code ?? ''), i]));
    const problems = new Set<string>();
    lines.forEach((line, i) => {
      const host = doc.lines[i];
      const n = `line ${i + 1}`;
      const account = line.accountCode;
      if (account && accounts) {
        const who =
          host?.accountCode === account
            ? `${n}: account ${account}`
            : host?.itemCode && itemAccountIn(items, host.itemCode) === account
              ? `${n}: account ${account} of item ${host.itemCode}`
              : `${settingName(side, 'account')} code '${account}'`;
        const a = accountByCode.get(account);
        if (!a) problems.add(`${who} does not exist in Xero`);
        else if (!isActive(a.status)) problems.add(`${who} is archived in Xero`);
      }
      const tax = line.taxType;
      if (tax && taxRates) {
        const who = host?.taxCode === tax ? `${n}: tax rate ${tax}` : `${settingName(side, 'tax')} tax type '${tax}'`;
        const t = taxByType.get(tax);
        if (!t) problems.add(`${who} does not exist in Xero`);
        else if (!isActive(t.status)) problems.add(`${who} is archived in Xero`);
      }
      if (line.itemCode && items && !itemByCode.has(lower(line.itemCode)))
        problems.add(`${n}: item ${line.itemCode} does not exist in Xero`);
      for (const t of line.tracking ?? []) {
        if (!tracking) break;
        const category = tracking.find((c) => c.name === t.name);
        if (!category || !isActive(category.status)) {
          problems.add(`Setup's tracking category '${t.name}' does not exist in Xero or is archived`);
          continue;
        }
        const option = category.options?.find((o) => o.name === t.option);
        if (!option || !isActive(option.status))
          problems.add(
            `${n}: tracking option '${t.option}' of category '${t.name}' (cost centre '${host?.costCentre ?? t.option}') ${option ? 'is archived' : 'does not exist'} in Xero`,
          );
      }
    });
    return [...problems];
  }

  return {
    ...(itemAccount ? { itemAccount } : {}),
    async verify(linesOf, lineAmountTypes, unitdp) {
      let lines = linesOf();
      let problems = codeProblems(lines);
      if (problems.length > 0 && !fresh) {
        // Our copy may be older than the fix (a code restored or added in Xero since): a problem is
        // confirmed against what Xero says now before the document is held for it.
        lists = await load(true);
        fresh = true;
        lines = linesOf();
        problems = codeProblems(lines);
      }
      if (problems.length > 0)
        throw businessFailure('validation', `the document cannot be written: ${problems.join('; ')}`, {
          lines: problems,
        });
      const { taxRates } = lists;
      const taxByType = new Map((taxRates ?? []).map((t) => [t.taxType ?? '', t]));
      const accountByCode = new Map((lists.accounts ?? []).map((a) => [a.code ?? '', a]));
      // Totals need every line's rate; without the organisation's tax rates Xero alone decides.
      const rates = lines.map((l) => (l.taxType ? taxByType.get(l.taxType)?.effectiveRate : 0));
      if (!taxRates || rates.some((r) => r === undefined)) return { lines, extraLines: [] };
      const computed = xeroFigures(
        lines.map((l, i) => ({
          quantity: Number(l.quantity ?? 1),
          unitAmount: Number(l.unitAmount ?? 0),
          ...(l.discountRate ? { discountRate: Number(l.discountRate) } : {}),
          taxRate: rates[i]!,
        })),
        lineAmountTypes,
        unitdp,
      );
      const zero = ['NONE', ...taxByType.keys()].find((t) => {
        const rate = taxByType.get(t);
        return rate && isActive(rate.status) && rate.effectiveRate === 0;
      });
      const check = checkHostTotals(
        {
          ...(doc.total !== undefined ? { total: doc.total } : {}),
          ...(doc.taxTotal !== undefined ? { taxTotal: doc.taxTotal } : {}),
        },
        computed,
        settings,
        zero,
      );
      const { subTotal, totalTax, total } = computed;
      const host = doc.total !== undefined ? { hostTotal: doc.total } : {};
      switch (check.outcome) {
        case 'hold':
          throw businessFailure('total_mismatch', check.reason, {
            computed: { subTotal, totalTax, total },
            host: { total: doc.total, taxTotal: doc.taxTotal },
          });
        case 'rounding': {
          const account = accountByCode.get(check.line.accountCode);
          if (!account || !isActive(account.status))
            throw businessFailure(
              'validation',
              `Setup's rounding account code '${check.line.accountCode}' ${account ? 'is archived' : 'does not exist'} in Xero: the ${check.rounding.toFixed(2)} rounding line cannot be added. Choose another rounding account in Setup, then retry`,
            );
          return {
            lines,
            extraLines: [{ ...check.line }],
            totals: {
              subTotal: Math.round((subTotal + check.rounding) * 100) / 100,
              totalTax,
              total: Math.round((total + check.rounding) * 100) / 100,
              ...host,
              rounding: check.rounding,
            },
          };
        }
        default:
          return { lines, extraLines: [], totals: { subTotal, totalTax, total, ...host } };
      }
    },
  };
}

/** The sync log's words for the totals: what Xero computes, and the rounding that met the host's. */
export function totalsNote(totals: WrittenTotals | undefined): string {
  if (!totals) return '';
  if (totals.rounding === undefined) return totals.hostTotal !== undefined ? '; the host’s total matches Xero’s' : '';
  const sign = totals.rounding > 0 ? '+' : '−';
  return `; rounding line ${sign}${Math.abs(totals.rounding).toFixed(2)} added so Xero's total meets the host's ${totals.hostTotal?.toFixed(2)}`;
}
