import { z } from 'zod';
import { readStoredReferenceData, refreshReferenceData } from '../../src/contact-sync/reference-data';
import type { Db } from '../../src/db/database';
import type { ReferenceDataKind } from '../../src/db/schema-contact-sync';
import { XeroApiError } from '../../src/xero/errors';
import type { XeroGateway } from '../../src/xero/gateway';
import { createSingleFlight } from '../../src/xero/single-flight';

/**
 * The organisation's reference data as the checks before a write need it: the copy kept in
 * `xero_reference_data` (read on connect, on the contact-sync schedule, and here), so a document
 * costs no Xero call for it. A list is read again from Xero when it lacks something a document
 * names (an item pushed a moment ago, a currency just enabled) and when Xero refuses a write over a
 * code (./pre-write-checks.ts), so what was archived since is caught before the next write.
 */

const status = z.string().optional();
const parsers = {
  accounts: z.object({ code: z.string().optional(), status, type: z.string().optional() }),
  'tax-rates': z.object({
    taxType: z.string().optional(),
    name: z.string().optional(),
    status,
    effectiveRate: z.coerce.number().optional(),
  }),
  items: z.object({
    code: z.string().optional(),
    salesDetails: z.object({ accountCode: z.string().optional() }).optional(),
    purchaseDetails: z.object({ accountCode: z.string().optional() }).optional(),
  }),
  'tracking-categories': z.object({
    name: z.string().optional(),
    status,
    options: z.array(z.object({ name: z.string().optional(), status })).optional(),
  }),
  currencies: z.object({ code: z.string().optional() }),
} satisfies Record<ReferenceDataKind, z.ZodType>;

export type ReferenceRow<K extends ReferenceDataKind> = z.infer<(typeof parsers)[K]>;

/** Xero leaves Status out on some models; only ACTIVE (or none) is usable. */
export const isActive = (s: string | undefined) => (s ?? 'ACTIVE') === 'ACTIVE';

export interface ReferenceDeps {
  db: Db;
  xero: XeroGateway;
}

function parse<K extends ReferenceDataKind>(kind: K, rows: unknown[]): Array<ReferenceRow<K>> {
  // Rows Xero sent in a shape we do not know are left out rather than failing every document.
  return rows.flatMap((r) => {
    const p = parsers[kind].safeParse(r);
    return p.success ? [p.data as ReferenceRow<K>] : [];
  });
}

/** Documents arriving together that find a list missing share one read of it. */
const refreshes = createSingleFlight<number>({ reuseMs: 5_000 });

/**
 * One list; read from Xero first when it was never read or `stale(rows)` says it lacks something.
 * Undefined when Xero does not let this connection read it (a scope not granted): the caller
 * leaves that check to Xero. `read` is the stored lists as just read together
 * (readStoredReferenceLists), so a document's lists cost one query rather than one each.
 */
export async function referenceList<K extends ReferenceDataKind>(
  deps: ReferenceDeps,
  accountId: string,
  kind: K,
  stale: (rows: Array<ReferenceRow<K>>) => boolean = () => false,
  read?: ReadonlyMap<ReferenceDataKind, unknown[]>,
): Promise<Array<ReferenceRow<K>> | undefined> {
  const kept = read ? read.get(kind) : await readStoredReferenceData(deps.db, accountId, kind);
  const keptRows = kept && parse(kind, kept);
  if (keptRows && !stale(keptRows)) return keptRows;
  const stored = async () => parse(kind, (await readStoredReferenceData(deps.db, accountId, kind)) ?? []);
  try {
    await refreshes(`${accountId}\u0000${kind}`, () =>
      refreshReferenceData(deps.db, { call: deps.xero.call }, accountId, kind),
    );
    const rows = await stored();
    if (!stale(rows)) return rows;
    // The shared read may have started before what this document names existed (an item pushed a
    // moment ago): read once more, alone.
    await refreshReferenceData(deps.db, { call: deps.xero.call }, accountId, kind);
  } catch (err) {
    if (err instanceof XeroApiError && err.kind === 'forbidden') return undefined;
    throw err;
  }
  return stored();
}

const CODE_KINDS: Array<[RegExp, ReferenceDataKind]> = [
  [/account/i, 'accounts'],
  [/tax/i, 'tax-rates'],
  [/item/i, 'items'],
  [/tracking|option/i, 'tracking-categories'],
  [/currenc/i, 'currencies'],
];

/**
 * Xero refused a write over a code our copy said was fine: that copy is out of date. The lists the
 * refusal names are read again (best effort), so the retry's checks see what Xero sees.
 */
export async function refreshAfterRefusal(deps: ReferenceDeps, accountId: string, err: unknown): Promise<void> {
  if (!(err instanceof XeroApiError) || err.kind !== 'validation') return;
  const text = [err.message, ...err.validationMessages].join(' ');
  const kinds = CODE_KINDS.filter(([re]) => re.test(text)).map(([, kind]) => kind);
  await Promise.allSettled(
    kinds.map((kind) => refreshReferenceData(deps.db, { call: deps.xero.call }, accountId, kind)),
  );
}
