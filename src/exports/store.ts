import { sql } from 'kysely';
import type { Db } from '../db/database';
import { documentRef, documentWorkflowId, type DocumentKind } from '../documents/kinds';
import { XERO_LIMITS, xeroCallsLastDay } from '../xero/rate-limiter';
import { exportEta, exportSentence, type ExportCounts, type ItemOutcome } from './progress';
import type { ExportKind, ParsedItem } from './request';

/**
 * Exports in the database. An item's own row says whether it was refused, is still queued, was
 * cancelled, or was handed to its document's workflow; what became of a handed-over document
 * (exported, failed — and exported after a Retry) is read from that document's sync (its link to
 * Xero and its newest sync-log entry), so the export's figures can never disagree with the sync log.
 */

export const DOCUMENT_KIND_OF: Record<ExportKind, DocumentKind> = {
  invoice: 'order',
  bill: 'bill',
  credit_note: 'credit_note',
};

/** Calls a document is expected to cost before any has been measured: its share of a batch, a contact, a PDF. */
const DEFAULT_CALLS_PER_DOCUMENT = 2;

export async function createExport(
  db: Db,
  accountId: string,
  exportId: string,
  items: ParsedItem[],
  notify: boolean,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('exports')
      .values({ id: exportId, account_id: accountId, total: items.length, notify })
      .execute();
    for (let i = 0; i < items.length; i += 500) {
      await trx
        .insertInto('export_items')
        .values(
          items.slice(i, i + 500).map((item, j) => ({
            export_id: exportId,
            seq: i + j,
            kind: (item.ok
              ? item.kind
              : ['invoice', 'bill', 'credit_note'].includes(item.kind)
                ? item.kind
                : 'invoice') as ExportKind,
            host_id: item.id,
            event: item.ok ? JSON.stringify(item.event) : null,
            state: item.ok ? ('queued' as const) : ('refused' as const),
            reason: item.ok ? null : item.reason,
          })),
        )
        .execute();
    }
  });
}

export interface ExportItemView {
  kind: ExportKind;
  id: string;
  outcome: ItemOutcome;
  reason?: string;
  xeroUrl?: string;
}

export interface ExportView extends ExportCounts {
  exportId: string;
  status: 'running' | 'completed' | 'cancelled';
  createdAt: string;
  completedAt?: string;
  etaSeconds: number;
  /** The calls left exceed what Xero allows today: the export carries on by itself when the day window frees. */
  continuesNextDay: boolean;
  sentence: string;
  items: ExportItemView[];
}

const isDraftRefusal = (reason: string | null) => !!reason && reason.startsWith('a draft ');

export async function exportView(db: Db, accountId: string, exportId: string): Promise<ExportView | undefined> {
  const head = await db
    .selectFrom('exports')
    .selectAll()
    .where('id', '=', exportId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!head) return undefined;
  const rows = await db
    .selectFrom('export_items')
    .select(['seq', 'kind', 'host_id', 'state', 'reason'])
    .where('export_id', '=', exportId)
    .orderBy('seq')
    .execute();
  const handed = rows.filter((r) => r.state === 'handed_over');
  const refOf = (r: (typeof rows)[number]) => documentRef(DOCUMENT_KIND_OF[r.kind], r.host_id);
  const links = new Map<string, { xeroUrl?: string }>();
  const failures = new Map<string, string>();
  if (handed.length > 0) {
    const linked = await db
      .selectFrom('entity_links')
      .select(['kind', 'host_id', sql<string | null>`data->>'xeroUrl'`.as('xero_url')])
      .where('account_id', '=', accountId)
      .where('kind', 'in', ['invoice', 'credit_note'])
      .where('host_id', 'in', handed.map(refOf))
      .execute();
    for (const l of linked) links.set(`${l.kind}|${l.host_id}`, l.xero_url ? { xeroUrl: l.xero_url } : {});
    const workflowIds = handed.map((r) => documentWorkflowId(DOCUMENT_KIND_OF[r.kind], accountId, r.host_id));
    const newest = await db
      .selectFrom('sync_log')
      .select(['workflow_id', 'outcome', 'message', sql<string | null>`error->'explanation'->>'problem'`.as('problem')])
      .where('account_id', '=', accountId)
      .where('workflow_id', 'in', workflowIds)
      .distinctOn('workflow_id')
      .orderBy('workflow_id')
      .orderBy('id', 'desc')
      .execute();
    for (const n of newest)
      if (n.outcome === 'failure' && n.workflow_id) failures.set(n.workflow_id, n.problem ?? n.message ?? 'failed');
  }

  const items: ExportItemView[] = rows.map((r) => {
    const base = { kind: r.kind, id: r.host_id };
    if (r.state === 'refused') return { ...base, outcome: 'refused', reason: r.reason ?? 'refused' };
    if (r.state === 'cancelled')
      return { ...base, outcome: 'cancelled', reason: 'the export was cancelled before it was sent' };
    if (r.state === 'queued') return { ...base, outcome: 'pending' };
    const link = links.get(`${r.kind === 'credit_note' ? 'credit_note' : 'invoice'}|${refOf(r)}`);
    const failure = failures.get(documentWorkflowId(DOCUMENT_KIND_OF[r.kind], accountId, r.host_id));
    if (link && !failure) return { ...base, outcome: 'exported', ...link };
    if (failure) return { ...base, outcome: 'failed', reason: failure };
    return { ...base, outcome: 'pending' };
  });

  const counts: ExportCounts = {
    total: rows.length,
    exported: items.filter((i) => i.outcome === 'exported').length,
    refused: items.filter((i) => i.outcome === 'refused').length,
    drafts: rows.filter((r) => r.state === 'refused' && isDraftRefusal(r.reason)).length,
    failed: items.filter((i) => i.outcome === 'failed').length,
    pending: items.filter((i) => i.outcome === 'pending').length,
    cancelled: items.filter((i) => i.outcome === 'cancelled').length,
  };
  const dayRemaining = await dayCallsRemaining(db, accountId);
  const eta = exportEta({
    pending: counts.pending,
    done: counts.exported + counts.failed,
    elapsedMs: Date.now() - head.created_at.getTime(),
    callsPerDocument: DEFAULT_CALLS_PER_DOCUMENT,
    dayRemaining,
    perDay: XERO_LIMITS.perDay,
    perMinute: XERO_LIMITS.perMinute,
  });
  return {
    exportId,
    status: head.status,
    createdAt: head.created_at.toISOString(),
    ...(head.completed_at ? { completedAt: head.completed_at.toISOString() } : {}),
    ...counts,
    ...eta,
    sentence:
      head.sentence ??
      exportSentence(
        counts,
        rows.map((r) => r.kind),
      ),
    items,
  };
}

/** Calls the account's organisation has left in Xero's rolling day (the shared limiter's own count). */
async function dayCallsRemaining(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('connections')
    .select('tenant_id')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!row?.tenant_id) return XERO_LIMITS.perDay;
  return XERO_LIMITS.perDay - (await xeroCallsLastDay(db, row.tenant_id));
}

export async function listExports(db: Db, accountId: string, limit = 20) {
  return db
    .selectFrom('exports')
    .select(['id', 'status', 'total', 'sentence', 'created_at', 'completed_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** The next queued items (in order) and how many stay queued after them. */
export async function nextQueued(db: Db, exportId: string, max: number) {
  return db
    .selectFrom('export_items')
    .select(['seq', 'kind', 'host_id', 'event'])
    .where('export_id', '=', exportId)
    .where('state', '=', 'queued')
    .orderBy('seq')
    .limit(max)
    .execute();
}

export async function markHandedOver(db: Db, exportId: string, seq: number): Promise<void> {
  await db
    .updateTable('export_items')
    .set({ state: 'handed_over' })
    .where('export_id', '=', exportId)
    .where('seq', '=', seq)
    .execute();
}

/** Cancel: what was not handed over yet is not sent. */
export async function cancelQueued(db: Db, exportId: string): Promise<number> {
  const r = await db
    .updateTable('export_items')
    .set({ state: 'cancelled' })
    .where('export_id', '=', exportId)
    .where('state', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
