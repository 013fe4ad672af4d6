import { z } from 'zod';
import type { Db } from '../db/database';
import { xeroDeepLink } from '../domain/document-mapping';
import { DOCUMENT_KINDS, parseDocumentRef, type DocumentKind } from '../documents/kinds';
import type { DriftChanges, DriftSource, XeroPaymentCopy } from './contract';

/**
 * An account's drifts (documents whose Xero copy differs from what the engine wrote) as the
 * Reconciliation page and `GET /api/v1/accounts/{id}/reconciliation` show them. Every query is
 * scoped by the engine's account id: a drift id from another account is "not found", never shown.
 */

/** `changes` and `xero_copy` are written by the document side: read leniently, so one odd row cannot hide the others. */
const paymentSchema = z
  .object({
    paymentId: z.string().catch(''),
    amount: z.number().catch(0),
    date: z.string().catch(''),
    reference: z.string().optional().catch(undefined),
    accountCode: z.string().optional().catch(undefined),
    status: z.string().optional().catch(undefined),
  })
  .loose();

const changesSchema = z
  .object({
    fields: z.array(z.object({ field: z.string(), ours: z.unknown(), xeros: z.unknown() })).catch([]),
    closedInXero: z
      .object({ status: z.enum(['VOIDED', 'DELETED']), at: z.string() })
      .optional()
      .catch(undefined),
    paymentsInXero: z.array(paymentSchema).optional().catch(undefined),
  })
  .catch({ fields: [] });

/** Only what the list needs from the Xero copy: its type for the deep link. */
const copySchema = z
  .object({ type: z.string().catch('') })
  .loose()
  .catch({ type: '' });

export const DRIFT_STATUSES = ['open', 'resolved', 'all'] as const;
export type DriftStatusFilter = (typeof DRIFT_STATUSES)[number];

export const driftListQuerySchema = z.object({
  status: z.enum(DRIFT_STATUSES).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type DriftListQuery = z.infer<typeof driftListQuerySchema>;

export type DriftResolution = 'sent_ours' | 'accepted_xero' | 'ignored' | 'overwritten';

export interface DriftView {
  id: string;
  kind: DocumentKind;
  /** The host's id of the document (the order number for orders). */
  documentId: string;
  xeroId: string;
  xeroNumber: string | null;
  via: DriftSource;
  detectedAt: string;
  updatedAt: string;
  status: 'open' | 'resolved';
  resolution?: DriftResolution;
  resolvedAt?: string;
  changes: DriftChanges;
  /** What differs, one plain sentence each (see `driftSentences`). */
  summary: string[];
  /** Opens the document in Xero (when the organisation's ShortCode is known). */
  xeroUrl?: string;
}

export interface DriftPage {
  drifts: DriftView[];
  /** Drifts matching the status filter. */
  total: number;
  /** Pass as `offset` for the next page; absent on the last page. */
  nextOffset?: number;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isDriftId = (id: unknown): id is string => typeof id === 'string' && uuid.test(id);

type DriftRow = {
  id: string;
  document_ref: string;
  document_kind: string;
  xero_id: string;
  xero_number: string | null;
  via: DriftSource;
  changes: unknown;
  xero_copy: unknown;
  status: 'open' | 'resolved';
  resolution: DriftResolution | null;
  detected_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
};

const COLUMNS = [
  'id',
  'document_ref',
  'document_kind',
  'xero_id',
  'xero_number',
  'via',
  'changes',
  'xero_copy',
  'status',
  'resolution',
  'detected_at',
  'updated_at',
  'resolved_at',
] as const;

/** The organisation's ShortCode (read once by the document side for deep links); no Xero call here. */
async function shortCodeOf(db: Db, accountId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('connections')
    .innerJoin('xero_org_short_codes', 'xero_org_short_codes.tenant_id', 'connections.tenant_id')
    .select('xero_org_short_codes.short_code')
    .where('connections.account_id', '=', accountId)
    .executeTakeFirst();
  return row?.short_code;
}

function toView(row: DriftRow, shortCode: string | undefined): DriftView {
  const ref = parseDocumentRef(row.document_ref);
  // The stored kind is the truth; the ref's prefix agrees with it for every kind but says nothing for orders.
  const kind = (DOCUMENT_KINDS as readonly string[]).includes(row.document_kind)
    ? (row.document_kind as DocumentKind)
    : ref.kind;
  const changes = changesSchema.parse(row.changes) as DriftChanges;
  const copy = copySchema.parse(row.xero_copy);
  return {
    id: row.id,
    kind,
    documentId: ref.hostId,
    xeroId: row.xero_id,
    xeroNumber: row.xero_number,
    via: row.via,
    detectedAt: row.detected_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    status: row.status,
    ...(row.resolution ? { resolution: row.resolution } : {}),
    ...(row.resolved_at ? { resolvedAt: row.resolved_at.toISOString() } : {}),
    changes,
    summary: driftSentences(changes),
    ...(shortCode && copy.type ? { xeroUrl: xeroDeepLink(shortCode, copy.type, row.xero_id) } : {}),
  };
}

export async function countOpenDrifts(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('xero_drift')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Open drifts newest first; resolved ones most recently resolved first. */
export async function listDrifts(db: Db, accountId: string, query: DriftListQuery): Promise<DriftPage> {
  let q = db.selectFrom('xero_drift').where('account_id', '=', accountId);
  if (query.status !== 'all') q = q.where('status', '=', query.status);
  const [rows, count, shortCode] = await Promise.all([
    q
      .select(COLUMNS)
      // Open first when both are asked for; within each, the most recent change first.
      .orderBy('status', 'asc')
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'asc')
      .limit(query.limit + 1)
      .offset(query.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    shortCodeOf(db, accountId),
  ]);
  const drifts = rows.slice(0, query.limit).map((r) => toView(r as DriftRow, shortCode));
  return {
    drifts,
    total: Number(count.n),
    ...(rows.length > query.limit ? { nextOffset: query.offset + query.limit } : {}),
  };
}

/** One drift of this account, or undefined (unknown id, malformed id, or another account's). */
export async function getDrift(db: Db, accountId: string, driftId: string): Promise<DriftView | undefined> {
  if (!isDriftId(driftId)) return undefined;
  const row = await db
    .selectFrom('xero_drift')
    .select(COLUMNS)
    .where('account_id', '=', accountId)
    .where('id', '=', driftId.toLowerCase())
    .executeTakeFirst();
  return row ? toView(row as DriftRow, await shortCodeOf(db, accountId)) : undefined;
}

// ---- plain words -------------------------------------------------------------------------------

const FIELD_WORDS: Record<string, string> = {
  status: 'Status',
  total: 'Total',
  subTotal: 'Subtotal',
  totalTax: 'Tax',
  amountPaid: 'Amount paid',
  amountDue: 'Amount due',
  reference: 'Reference',
  date: 'Date',
  dueDate: 'Due date',
  contact: 'Contact',
  contactId: 'Contact',
  contactName: 'Contact',
  currency: 'Currency',
  currencyCode: 'Currency',
  lineAmountTypes: 'Amounts are',
  number: 'Number',
  lines: 'Number of lines',
  payments: 'Payments',
};

const LINE_FIELD_WORDS: Record<string, string> = {
  description: 'description',
  quantity: 'quantity',
  unitAmount: 'unit amount',
  accountCode: 'account',
  taxType: 'tax rate',
  itemCode: 'item',
  discountRate: 'discount %',
  lineAmount: 'amount',
  tracking: 'tracking',
};

const MONEY_FIELDS = new Set(['total', 'subTotal', 'totalTax', 'amountPaid', 'amountDue', 'unitAmount', 'lineAmount']);

const money = (n: number) => n.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** A value as a person reads it; long or structured values are shortened. */
function valueWords(v: unknown, isMoney: boolean): string {
  if (v === undefined || v === null || v === '') return '(none)';
  if (typeof v === 'number') return isMoney ? money(v) : String(v);
  if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 117)}…` : v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) {
    if (v.length === 0) return '(none)';
    // Tracking comes as "Region: North" strings (src/xero-changes/compare.ts) or as {name, option}.
    if (v.every((x) => typeof x === 'string')) return v.join(', ');
    if (v.every((x) => typeof x === 'object' && x !== null && ('option' in x || 'name' in x)))
      return v
        .map((x: { name?: unknown; option?: unknown }) => [x.name, x.option].filter(Boolean).join(': '))
        .join(', ');
    return `${v.length} ${v.length === 1 ? 'item' : 'items'}`;
  }
  const json = JSON.stringify(v);
  return json.length > 120 ? `${json.slice(0, 117)}…` : json;
}

/**
 * "lines[2].unitAmount" → "Line 3 unit amount" (the index is the array position, from 0, as in a
 * JSON path); "total" → "Total"; anything else as its own name.
 */
export function fieldWords(field: string): { label: string; money: boolean } {
  const line = /^lines\[(\d+)\](?:\.(\w+))?$/.exec(field);
  if (line) {
    const n = Number(line[1]) + 1;
    const prop = line[2];
    return {
      label: prop ? `Line ${n} ${LINE_FIELD_WORDS[prop] ?? prop}` : `Line ${n}`,
      money: !!prop && MONEY_FIELDS.has(prop),
    };
  }
  return { label: FIELD_WORDS[field] ?? field, money: MONEY_FIELDS.has(field) };
}

function paymentWords(p: XeroPaymentCopy): string {
  return [
    `Payment ${money(p.amount)} received in Xero`,
    p.date ? ` on ${p.date}` : '',
    p.accountCode ? ` to account ${p.accountCode}` : '',
    p.reference ? ` (reference ${p.reference})` : '',
  ].join('');
}

/**
 * What differs, in plain words: "Total 161.00 → 150.00", "Status AUTHORISED → VOIDED", "Line 2 unit
 * amount 95.00 → 80.00", "Voided in Xero on 2026-03-04", "Payment 50.00 received in Xero on
 * 2026-03-05 to account 090". The engine's value comes first, Xero's second.
 */
export function driftSentences(changes: DriftChanges): string[] {
  const out: string[] = [];
  if (changes.closedInXero) {
    const verb = changes.closedInXero.status === 'VOIDED' ? 'Voided' : 'Deleted';
    out.push(`${verb} in Xero${changes.closedInXero.at ? ` on ${changes.closedInXero.at.slice(0, 10)}` : ''}`);
  }
  for (const f of changes.fields) {
    const w = fieldWords(f.field);
    out.push(`${w.label} ${valueWords(f.ours, w.money)} → ${valueWords(f.xeros, w.money)}`);
  }
  for (const p of changes.paymentsInXero ?? []) out.push(paymentWords(p));
  if (out.length === 0) out.push('Changed in Xero');
  return out;
}
