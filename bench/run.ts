/**
 * `npm run bench`: orders through the real engine (Temporal dev server, worker, database, the
 * Xero simulator with Xero's limits) and the figures that matter: orders/s, Xero calls per order,
 * latency p50/p99 from the host's event to the invoice with its PDF in Xero, 429s and failures.
 * Writes bench/results/latest.json. Tunable with BENCH_* variables (printed in the result).
 *
 * Xero's "minute" is compressed (BENCH_MINUTE_MS, default 6 s = 10x) so the rate limits bite within
 * a short run; per-minute figures are reported both in wall time and in Xero minutes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrderSyncClient } from '../src/client';
import { settingsSchema } from '../src/domain/settings';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
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
  tenants: num('BENCH_TENANTS', 4),
  ordersPerTenant: num('BENCH_ORDERS_PER_TENANT', 25),
  customersPerTenant: num('BENCH_CUSTOMERS_PER_TENANT', 5),
  minuteMs: num('BENCH_MINUTE_MS', 6_000),
  /** Share of invoice writes answered 503 by the simulator (retried by the engine). */
  faultRate: num('BENCH_FAULT_RATE', 0.05),
  timeoutMs: num('BENCH_TIMEOUT_MS', 300_000),
  /**
   * Requests a host has in flight per tenant. Each answer comes from the order's workflow (it decides),
   * so a host with a backlog sends several at once; 1 = one after the other.
   */
  submitConcurrency: num('BENCH_SUBMIT_CONCURRENCY', 1),
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const log = createLogger('silent');
  const temporal = await testTemporal();
  const database = await createTestDatabase();
  const organisations = Array.from({ length: params.tenants }, (_, i) => ({ name: `Bench Org ${i + 1}` }));
  const sim = await startXeroSimulator({
    minuteMs: params.minuteMs,
    seed: { organisations },
    requestLogLimit: 1_000_000,
  });
  const { db } = database;
  const cipher = createTokenCipher(randomBytes(32));
  const hostApp = await db
    .insertInto('host_apps')
    .values({ name: 'Bench host' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const settings = JSON.stringify(
    settingsSchema.parse({
      revenueAccountCode: '200',
      defaultTaxType: 'OUTPUT2',
      bankAccountCode: '090',
      trackingCategoryName: 'Region',
      costCentreOptions: { N: 'North' },
    }),
  );

  const accounts: string[] = [];
  for (const org of organisations) {
    const account = await db
      .insertInto('accounts')
      .values({ host_app_id: hostApp.id, external_id: org.name, name: org.name, options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('settings').values({ account_id: account.id, settings }).execute();
    await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId: account.id, tenantName: org.name });
    accounts.push(account.id);
  }
  const access = createXeroAccessProvider({ db, cipher, identity: simulatorIdentity(sim.url), log });
  // The engine's limiter keeps Xero's limits on the same compressed minute as the simulator.
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
  });
  const client = createOrderSyncClient(temporal.client, { taskQueue: worker.taskQueue });
  if (params.faultRate > 0) sim.sim.addFault({ method: 'PUT', path: '/Invoices', status: 503, rate: params.faultRate });

  // Conversions one at a time on a quiet system first: how long a host waits for the workflow's answer
  // when nothing else runs (the median of five; the first also pays the worker's warm-up).
  const quietTimes: number[] = [];
  const quietNumbers: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const quietOrder = sampleOrder({ number: `QUIET-${i}` });
    const at = performance.now();
    await client.startOrderSync(accounts[0]!, { order: quietOrder });
    quietTimes.push(performance.now() - at);
    quietNumbers.push(quietOrder.number);
  }
  const quietAnswerMs = Math.round(quietTimes.sort((a, b) => a - b)[2]!);
  for (let waited = 0; waited < 60_000; waited += 100) {
    const attached = await db
      .selectFrom('sync_log')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .where('kind', '=', 'attachment')
      .where('host_ref', 'in', quietNumbers)
      .executeTakeFirstOrThrow();
    if (Number(attached.n) >= quietNumbers.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const callsBefore = sim.sim.requestLog().filter((r) => r.path.startsWith('/api.xro/')).length;
  const submittedAt = new Map<string, number>();
  const orders: Array<{ accountId: string; number: string }> = [];
  const started = performance.now();
  const submitLatencies: number[] = [];
  await Promise.all(
    accounts.map(async (accountId, t) => {
      let next = 0;
      const sender = async () => {
        for (let i = next++; i < params.ordersPerTenant; i = next++) {
          const c = i % params.customersPerTenant;
          const order = sampleOrder({
            number: `B${t}-${String(i).padStart(5, '0')}`,
            customer: {
              type: 'organisation',
              id: `cust-${t}-${c}`,
              name: `Bench Customer ${t}-${c}`,
              email: `c${c}@example.com`,
            },
          });
          const at = performance.now();
          submittedAt.set(`${accountId}/${order.number}`, at);
          orders.push({ accountId, number: order.number });
          await client.startOrderSync(accountId, { order });
          submitLatencies.push(performance.now() - at);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, params.submitConcurrency) }, sender));
    }),
  );
  const submitSeconds = (performance.now() - started) / 1000;

  // An order is done when its PDF is attached (the last step of creating the invoice).
  const done = new Map<string, number>();
  const deadline = Date.now() + params.timeoutMs;
  let shown = -1;
  while (done.size < orders.length && Date.now() < deadline) {
    const rows = await db
      .selectFrom('sync_log')
      .select(['account_id', 'host_ref', 'created_at'])
      .where('kind', '=', 'attachment')
      .where('outcome', '=', 'success')
      .execute();
    for (const r of rows) {
      const key = `${r.account_id}/${r.host_ref}`;
      if (!done.has(key) && submittedAt.has(key)) done.set(key, performance.now());
    }
    if (done.size !== shown) process.stdout.write(`${(shown = done.size)} of ${orders.length} orders in Xero\n`);
    // A business failure waits for a retry that will not come in a benchmark: stop waiting for it.
    const failed = await db
      .selectFrom('sync_log')
      .select(['account_id', 'host_ref'])
      .distinct()
      .where('outcome', '=', 'failure')
      .execute();
    const stuck = failed.filter((f) => !done.has(`${f.account_id}/${f.host_ref}`)).length;
    if (done.size + stuck >= orders.length) break;
    if (done.size < orders.length) await new Promise((r) => setTimeout(r, 200));
  }
  const wallSeconds = (performance.now() - started) / 1000;

  const latencies = [...done.entries()].map(([k, at]) => at - submittedAt.get(k)!).sort((a, b) => a - b);
  const apiCalls = sim.sim
    .requestLog()
    .filter((r) => r.path.startsWith('/api.xro/'))
    .slice(callsBefore);
  const invoices = accounts.flatMap((_, i) => sim.sim.invoices(sim.sim.organisations()[i]!.tenantId));
  const failures = await db
    .selectFrom('sync_log')
    .select(({ fn }) => fn.countAll<string>().as('n'))
    .where('outcome', '=', 'failure')
    .executeTakeFirstOrThrow();
  const naiveCallsPerOrder = 4; // search contact + create contact + create invoice + upload PDF, per order

  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), node: process.version, database: database.kind },
    params: { ...params, xeroMinuteCompression: 60_000 / params.minuteMs },
    orders: orders.length,
    completed: done.size,
    invoicesInXero: invoices.length,
    duplicateInvoices: invoices.length - new Set(invoices.map((i) => `${i.InvoiceNumber}`)).size,
    ordersPerSecond: Number((done.size / wallSeconds).toFixed(2)),
    ordersPerXeroMinutePerTenant: Number(
      (done.size / params.tenants / (wallSeconds / (params.minuteMs / 1000))).toFixed(1),
    ),
    submitSeconds: Number(submitSeconds.toFixed(2)),
    /** How long the host waited for the workflow's answer to each conversion of the burst, and to one alone. */
    answerMs: (() => {
      const sorted = [...submitLatencies].sort((a, b) => a - b);
      return { quiet: quietAnswerMs, p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
    })(),
    wallSeconds: Number(wallSeconds.toFixed(2)),
    xeroCalls: apiCalls.length,
    xeroCallsPerOrder: Number((apiCalls.length / Math.max(1, done.size)).toFixed(2)),
    naiveCallsPerOrder,
    rateLimited429: apiCalls.filter((r) => r.status === 429).length,
    injected503: apiCalls.filter((r) => r.status === 503).length,
    syncFailures: Number(failures.n),
    latencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p90: Math.round(percentile(latencies, 90)),
      p99: Math.round(percentile(latencies, 99)),
      max: Math.round(latencies[latencies.length - 1] ?? NaN),
    },
  };

  await temporal.close(); // stops the worker too
  await sim.close();
  await database.close();

  if (process.env.BENCH_DUMP_REQUESTS) {
    writeFileSync(
      process.env.BENCH_DUMP_REQUESTS,
      apiCalls.map((r) => `${r.at} ${r.method} ${r.status} ${r.path}`).join('\n'),
    );
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwritten to bench/results/latest.json\n`);
  if (result.completed < result.orders || result.duplicateInvoices > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
