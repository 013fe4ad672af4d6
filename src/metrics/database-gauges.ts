import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import type { Db } from '../db/database';
import { exportView } from '../exports/store';
import type { Logger } from '../log';
import { registry } from './registry';

/**
 * Figures that live in the database (open failures, the outbox, running exports), read when
 * Prometheus scrapes and kept a few seconds, so several scrapers or a dashboard's refreshes cost
 * one set of queries. Each read has a deadline; a read that fails or is late leaves the previous
 * values in place and sets xero_sync_metrics_database_up to 0.
 *
 * Every web and worker process reads the same tables, so these series are the same on each
 * instance: aggregate them with max(), not sum().
 */

export interface DatabaseSnapshot {
  openFailures: Array<{ documentKind: string; count: number }>;
  outbox: { pending: number; failing: number; oldestPendingSeconds: number };
  exports: { running: number; documents: Record<ExportOutcome, number> };
}

type ExportOutcome = 'exported' | 'failed' | 'refused' | 'cancelled' | 'pending';
const EXPORT_OUTCOMES: ExportOutcome[] = ['exported', 'failed', 'refused', 'cancelled', 'pending'];

/** A document's workflow id (`{kind}:{accountId}:{id}`): its newest entry says whether it is failing. */
const isDocumentWorkflow = sql<boolean>`(workflow_id like 'order:%' or workflow_id like 'bill:%' or workflow_id like 'credit\\_note:%' or workflow_id like 'deal:%')`;

/** More running exports than this are summed over their first ones only (exportView reads each one's items). */
const MAX_EXPORTS_READ = 20;

async function readSnapshot(db: Db): Promise<DatabaseSnapshot> {
  // The same rule as the Failures page (src/sync-log/query.ts listOpenFailures), over every account.
  const documentKey = sql<string>`case when ${isDocumentWorkflow} then workflow_id else kind || ':' || coalesce(host_ref, '') end`;
  const latest = db
    .selectFrom('sync_log')
    .select(['outcome', 'document_kind', 'kind'])
    .where((eb) => eb.or([eb('outcome', '!=', 'skipped'), eb(sql<boolean>`${isDocumentWorkflow}`, '=', true)]))
    .distinctOn([sql`account_id`, documentKey])
    .orderBy(sql`account_id`)
    .orderBy(documentKey)
    .orderBy('id', 'desc')
    .as('latest');
  const failures = await db
    .selectFrom(latest)
    .select([sql<string>`coalesce(document_kind, kind)`.as('document_kind'), sql<string>`count(*)`.as('n')])
    .where('outcome', '=', 'failure')
    .groupBy(sql`coalesce(document_kind, kind)`)
    .execute();

  const outbox = await db
    .selectFrom('webhook_outbox as o')
    .innerJoin('host_apps as h', 'h.id', 'o.host_app_id')
    .where('o.delivered_at', 'is', null)
    // Events for host apps without a webhook URL are never sent: they are not a backlog.
    .where('h.webhook_url', 'is not', null)
    .select([
      sql<string>`count(*)`.as('pending'),
      sql<string>`count(*) filter (where o.attempts > 0)`.as('failing'),
      sql<string | null>`extract(epoch from (now() - min(o.created_at)))`.as('oldest'),
    ])
    .executeTakeFirst();

  const running = await db
    .selectFrom('exports')
    .select(['id', 'account_id'])
    .where('status', '=', 'running')
    .orderBy('created_at')
    .execute();
  const documents = Object.fromEntries(EXPORT_OUTCOMES.map((o) => [o, 0])) as Record<ExportOutcome, number>;
  for (const e of running.slice(0, MAX_EXPORTS_READ)) {
    const view = await exportView(db, e.account_id, e.id);
    if (!view) continue;
    documents.exported += view.exported;
    documents.failed += view.failed;
    documents.refused += view.refused;
    documents.cancelled += view.cancelled;
    documents.pending += view.pending;
  }

  return {
    openFailures: failures.map((f) => ({ documentKind: f.document_kind, count: Number(f.n) })),
    outbox: {
      pending: Number(outbox?.pending ?? 0),
      failing: Number(outbox?.failing ?? 0),
      oldestPendingSeconds: Math.max(0, Number(outbox?.oldest ?? 0)),
    },
    exports: { running: running.length, documents },
  };
}

export interface DatabaseGaugeOptions {
  db: Db;
  log: Logger;
  /** How long one read is reused. */
  cacheMs?: number;
  /** How long a scrape waits for the database before answering with the previous values. */
  timeoutMs?: number;
}

let installed: DatabaseGaugeOptions | undefined;
let cached: { at: number; snapshot: DatabaseSnapshot } | undefined;
let inFlight: Promise<DatabaseSnapshot | undefined> | undefined;

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The current figures: cached, one read at a time, undefined when the database did not answer. */
export async function databaseSnapshot(): Promise<DatabaseSnapshot | undefined> {
  const opts = installed;
  if (!opts) return undefined;
  const cacheMs = opts.cacheMs ?? 5_000;
  if (cached && Date.now() - cached.at < cacheMs) return cached.snapshot;
  inFlight ??= (async () => {
    try {
      const snapshot = await withDeadline(readSnapshot(opts.db), opts.timeoutMs ?? 3_000);
      cached = { at: Date.now(), snapshot };
      databaseUp?.set(1);
      return snapshot;
    } catch (err) {
      databaseUp?.set(0);
      opts.log.warn({ err }, 'metrics: database figures not read');
      return cached?.snapshot;
    } finally {
      inFlight = undefined;
    }
  })();
  return inFlight;
}

let databaseUp: Gauge | undefined;

function createGauges(): Gauge[] {
  const gauges: Gauge[] = [];
  databaseUp = new Gauge({
    name: 'xero_sync_metrics_database_up',
    help: 'Whether the last read of the database-backed figures succeeded (1) or not (0: they show older values).',
    registers: [],
    // Waits for this scrape's read (shared with the other gauges) so it describes the values beside it.
    async collect() {
      await databaseSnapshot();
    },
  });

  gauges.push(
    new Gauge({
      name: 'xero_sync_open_failures',
      help: "Documents whose newest sync log entry is a failure (the Failures page's list, all accounts), by document kind.",
      labelNames: ['document_kind'] as const,
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (!s) return;
        this.reset();
        for (const f of s.openFailures) this.set({ document_kind: f.documentKind }, f.count);
      },
    }),
  );

  gauges.push(
    new Gauge({
      name: 'xero_sync_outbox_pending',
      help: 'Host webhook events not yet delivered (host apps with a webhook URL).',
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (s) this.set(s.outbox.pending);
      },
    }),
  );

  gauges.push(
    new Gauge({
      name: 'xero_sync_outbox_failing',
      help: 'Undelivered host webhook events that have failed at least once (waiting to be retried).',
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (s) this.set(s.outbox.failing);
      },
    }),
  );

  gauges.push(
    new Gauge({
      name: 'xero_sync_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest undelivered host webhook event (delivery lag); 0 when none waits.',
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (s) this.set(s.outbox.oldestPendingSeconds);
      },
    }),
  );

  gauges.push(
    new Gauge({
      name: 'xero_sync_exports_running',
      help: 'Bulk exports still running.',
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (s) this.set(s.exports.running);
      },
    }),
  );

  gauges.push(
    new Gauge({
      name: 'xero_sync_export_documents',
      help: 'Documents of the running bulk exports, by outcome so far (exported, failed, refused, cancelled, pending); total = the sum, done = all but pending.',
      labelNames: ['outcome'] as const,
      registers: [],
      async collect() {
        const s = await databaseSnapshot();
        if (!s) return;
        for (const o of EXPORT_OUTCOMES) this.set({ outcome: o }, s.exports.documents[o]);
      },
    }),
  );
  gauges.push(databaseUp);
  return gauges;
}

/** Turns the database-backed gauges on for this process (they stay absent otherwise). */
export function enableDatabaseGauges(opts: DatabaseGaugeOptions): void {
  if (!installed) for (const gauge of createGauges()) registry.registerMetric(gauge);
  installed = opts;
  cached = undefined;
}
