/**
 * `npm run bench:export`: a backlog exported through the
 * real engine (Temporal dev server, worker, database, the rate-limited Xero simulator) while live
 * orders keep arriving for the same organisation. Figures: Xero calls per exported document, the
 * export's time against the least Xero's 60 calls a minute allow for those calls, and the live
 * orders' latency meanwhile. Writes bench/results/export.json.
 *
 * Xero's minute is compressed (BENCH_MINUTE_MS, default 1 s = 60x); times are reported in Xero minutes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrderSyncClient } from '../src/client';
import { settingsSchema } from '../src/domain/settings';
import { EXPORT_WORKFLOW_TYPE, exportWorkflowId, type ExportWorkflowInput } from '../src/exports/messages';
import { parseExportItems } from '../src/exports/request';
import { createExport, exportView } from '../src/exports/store';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { exportPriority } from '../src/temporal/priorities';
import { startXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway } from '../src/xero/gateway';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { createTestDatabase } from '../test/support/database';
import { FAST_ORDER_CONFIG, sampleOrder } from '../test/support/orders';
import { testTemporal } from '../test/support/temporal';
import { connectAccountForTest, simulatorIdentity } from '../test/support/xero-connect';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const params = {
  documents: num('BENCH_EXPORT_DOCUMENTS', 1000),
  customers: num('BENCH_EXPORT_CUSTOMERS', 50),
  minuteMs: num('BENCH_MINUTE_MS', 1_000),
  /** A live order every this many ms while the export runs. */
  liveEveryMs: num('BENCH_LIVE_EVERY_MS', 2_000),
  timeoutMs: num('BENCH_TIMEOUT_MS', 600_000),
};
const PER_MINUTE = 60;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const log = createLogger('silent');
  const temporal = await testTemporal();
  const database = await createTestDatabase();
  const sim = await startXeroSimulator({
    minuteMs: params.minuteMs,
    seed: { organisations: [{ name: 'Export Bench Org' }] },
    requestLogLimit: 1_000_000,
  });
  const { db } = database;
  const cipher = createTokenCipher(randomBytes(32));
  const hostApp = await db
    .insertInto('host_apps')
    .values({ name: 'Bench host' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const account = await db
    .insertInto('accounts')
    .values({ host_app_id: hostApp.id, external_id: 'export-bench', name: 'Export bench', options: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('settings')
    .values({
      account_id: account.id,
      settings: JSON.stringify(
        settingsSchema.parse({ revenueAccountCode: '200', defaultTaxType: 'OUTPUT2', bankAccountCode: '090' }),
      ),
    })
    .execute();
  await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId: account.id, tenantName: 'Export Bench Org' });
  const tenantId = sim.sim.organisations()[0]!.tenantId;
  const access = createXeroAccessProvider({ db, cipher, identity: simulatorIdentity(sim.url), log });
  const xero = createXeroGateway({
    access,
    limiter: createRateLimiter({ db, minuteMs: params.minuteMs, dayMs: params.minuteMs * 60 * 24 }),
    apiUrl: sim.url,
  });
  const worker = await temporal.startWorker({
    db,
    databaseKind: database.kind,
    xero,
    orders: { ...FAST_ORDER_CONFIG, quietPeriodMs: 60_000 },
    temporalClient: temporal.client,
  });
  const client = createOrderSyncClient(temporal.client, { taskQueue: worker.taskQueue });

  const documents = Array.from({ length: params.documents }, (_, i) => {
    const c = i % params.customers;
    const order = sampleOrder({
      number: `EXP-${String(i).padStart(5, '0')}`,
      customer: { type: 'organisation', id: `backlog-${c}`, name: `Backlog Customer ${c}` },
      lines: [{ description: 'Service', quantity: 1, unitPrice: 100 + (i % 7) }],
      attachPdf: false,
    });
    return { kind: 'invoice', id: order.number, approved: true, document: order };
  });
  const apiCalls = () => sim.sim.requestLog({ tenantId }).filter((r) => r.path.startsWith('/api.xro/'));
  const callsBefore = apiCalls().length;
  const exportId = randomUUID();
  await createExport(db, account.id, exportId, parseExportItems(documents), false);
  const started = performance.now();
  await temporal.client.workflow.start(EXPORT_WORKFLOW_TYPE, {
    workflowId: exportWorkflowId(account.id, exportId),
    taskQueue: worker.taskQueue,
    args: [{ accountId: account.id, exportId } satisfies ExportWorkflowInput],
    priority: exportPriority(account.id),
  });

  // Live orders for the same organisation meanwhile: how long from the host's event to the invoice in Xero.
  const live: Array<{ number: string; at: number; doneAt?: number }> = [];
  let liveRunning = true;
  const liveLoop = (async () => {
    for (let i = 0; liveRunning; i++) {
      // One customer for every live order: after the first, each costs one call (its invoice).
      const order = sampleOrder({
        number: `LIVE-${i}`,
        attachPdf: false,
        customer: { type: 'organisation', id: 'live-customer', name: 'Live Customer' },
      });
      const entry = { number: order.number, at: performance.now() };
      live.push(entry);
      await client.startOrderSync(account.id, { order });
      await new Promise((r) => setTimeout(r, params.liveEveryMs));
    }
  })();

  let status = 'running';
  let shown = -1;
  const deadline = Date.now() + params.timeoutMs;
  let view = await exportView(db, account.id, exportId);
  while (status === 'running' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    view = await exportView(db, account.id, exportId);
    status = view?.status ?? 'missing';
    const settled = (view?.exported ?? 0) + (view?.failed ?? 0);
    if (settled !== shown)
      process.stdout.write(`${(shown = settled)} of ${params.documents} exported (eta ${view?.etaSeconds}s)\n`);
    const created = await db
      .selectFrom('sync_log')
      .select(['host_ref', 'created_at'])
      .where('account_id', '=', account.id)
      .where('kind', '=', 'invoice')
      .where('action', '=', 'create')
      .where('outcome', '=', 'success')
      .where('host_ref', 'like', 'LIVE-%')
      .execute();
    for (const c of created) {
      const e = live.find((l) => l.number === c.host_ref);
      if (e && e.doneAt === undefined) e.doneAt = performance.now();
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  liveRunning = false;
  await liveLoop;

  const calls = apiCalls().slice(callsBefore);
  const liveOrdersDone = live.filter((l) => l.doneAt !== undefined);
  const latencies = liveOrdersDone.map((l) => l.doneAt! - l.at).sort((a, b) => a - b);
  const invoiceCreates = calls.filter((r) => r.method === 'PUT' && /\/Invoices(\?|$)/.test(r.path)).length;
  const xeroMinutes = wallSeconds / (params.minuteMs / 1000);
  // The live orders' calls taken out: one invoice each, and two for the live customer's contact.
  const exportCalls = calls.length - liveOrdersDone.length - 2;
  const invoices = sim.sim.invoices(tenantId);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), node: process.version, database: database.kind },
    params: { ...params, xeroMinuteCompression: 60_000 / params.minuteMs },
    status,
    exported: view?.exported,
    failed: view?.failed,
    duplicateInvoices: invoices.length - new Set(invoices.map((i) => String(i.InvoiceNumber))).size,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    xeroMinutes: Number(xeroMinutes.toFixed(1)),
    xeroCallsDuringExport: calls.length,
    invoiceCreateRequests: invoiceCreates,
    xeroCallsPerExportedDocument: Number((exportCalls / Math.max(1, view?.exported ?? 1)).toFixed(2)),
    /** The least time Xero's 60 calls a minute allow for the calls made (the export's and the live orders'). */
    leastXeroMinutesForThoseCalls: Number((calls.length / PER_MINUTE).toFixed(1)),
    rateLimited429: calls.filter((r) => r.status === 429).length,
    liveOrders: { sent: live.length, inXero: liveOrdersDone.length },
    liveLatencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p90: Math.round(percentile(latencies, 90)),
      max: Math.round(latencies[latencies.length - 1] ?? NaN),
    },
  };
  await temporal.close();
  await sim.close();
  await database.close();
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'export.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to bench/results/export.json\n`);
  if (status !== 'completed' || result.duplicateInvoices > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
