/**
 * `npm run bench:capacity`: how far the shared parts carry, measured on this machine (needs
 * DATABASE_URL to a real PostgreSQL; Temporal: TEMPORAL_ADDRESS, or a dev server it starts).
 *
 * - the Xero rate limiter (src/xero/rate-limiter.ts): permits (acquire + release) per second with
 *   many tenants and with one hot tenant, for N concurrent callers on one pool, with each tenant's
 *   call table as full as a day at Xero's daily cap leaves it;
 * - the host-webhook outbox (src/host-webhooks/): events enqueued per second, and delivered per
 *   second to a local receiver by one and by three delivery loops (three workers);
 * - a worker's memory per cached workflow: a worker in a child process with a large workflow cache,
 *   N order workflows opened and left waiting for payments, RSS and heap before and after.
 *
 * Prints a table and writes bench/results/capacity.json. Tunable with CAPACITY_* variables.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { sql } from 'kysely';
import { createActivities } from '../activities';
import { createOrderSyncClient } from '../src/client';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../src/db/database';
import { settingsSchema } from '../src/domain/settings';
import { deliverPending } from '../src/host-webhooks/delivery';
import { setHostWebhook, webhookTargets } from '../src/host-webhooks/host-config';
import { enqueueHostEventOnce } from '../src/host-webhooks/outbox';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { WORKFLOWS_PATH } from '../src/worker';
import { startXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway } from '../src/xero/gateway';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { FAST_ORDER_CONFIG, sampleOrder } from '../test/support/orders';
import { testTemporal } from '../test/support/temporal';
import { connectAccountForTest, simulatorIdentity } from '../test/support/xero-connect';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const params = {
  seconds: num('CAPACITY_SECONDS', 5),
  tenants: num('CAPACITY_TENANTS', 200),
  /** Rows per tenant in the limiter's call table before measuring: 5,000 = a day at Xero's daily cap. */
  rowsPerTenant: num('CAPACITY_ROWS_PER_TENANT', 5_000),
  callers: (process.env.CAPACITY_CALLERS ?? '10,50').split(',').map(Number),
  poolSize: num('CAPACITY_POOL_SIZE', 10),
  outboxEvents: num('CAPACITY_OUTBOX_EVENTS', 3_000),
  cachedWorkflows: num('CAPACITY_CACHED_WORKFLOWS', 200),
  /** Which measurements to run (a comma list of limiter, outbox, worker). */
  parts: (process.env.CAPACITY_PARTS ?? 'limiter,outbox,worker').split(','),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** A schema of its own in DATABASE_URL's database, migrated; dropped on close. */
async function benchDatabase(url: string, poolSize: number): Promise<DatabaseHandle & { schema: string }> {
  const schema = `capacity_${randomBytes(4).toString('hex')}`;
  const admin = openDatabase({ kind: 'postgres', url, poolSize: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = openDatabase({ kind: 'postgres', url, poolSize, searchPath: schema });
  await migrateToLatest(handle.db, { schema });
  return {
    ...handle,
    schema,
    async close() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db).catch(() => undefined);
      await handle.close();
    },
  };
}

/** Runs `op` in `callers` loops for `seconds`; operations per second and latency percentiles. */
async function throughput(callers: number, seconds: number, op: (caller: number, i: number) => Promise<void>) {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let i = 0; performance.now() < until; i++) {
        const at = performance.now();
        await op(c, i);
        latencies.push(performance.now() - at);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: Number(pct(latencies, 50).toFixed(1)),
    p99Ms: Number(pct(latencies, 99).toFixed(1)),
  };
}

async function limiterFigures(url: string) {
  const database = await benchDatabase(url, params.poolSize);
  try {
    const { db } = database;
    const tenants = Array.from({ length: params.tenants }, (_, i) => `tenant-${i}`);
    // A day's worth of calls per tenant, spread over the last 24 h (the window every acquire counts).
    await sql`
      insert into xero_api_calls (tenant_id, started_at, finished_at, lease_expires_at)
      select 'tenant-' || t, now() - (random() * interval '23 hours') - interval '2 minutes',
             now() - interval '1 minute', now() - interval '1 minute'
      from generate_series(0, ${params.tenants - 1}) t, generate_series(1, ${params.rowsPerTenant}) n`.execute(db);
    await sql`analyze xero_api_calls`.execute(db);
    // The permit's cost, not Xero's limits: the limits are lifted so no call waits.
    const limiter = createRateLimiter({
      db,
      limits: { perMinute: 1e9, perDay: 1e9, concurrent: 1e9, appPerMinute: 1e9 },
    });
    const headers = { 'X-MinLimit-Remaining': '59', 'X-DayLimit-Remaining': '4000' };
    const rows: Array<Record<string, unknown>> = [];
    // What the same database does with the simplest write transaction, at the same moment: on a
    // shared machine the permits/s mean something only next to it.
    await sql`create table bench_commit (id bigserial primary key, at timestamptz not null default now())`.execute(db);
    for (const callers of params.callers) {
      const r = await throughput(callers, params.seconds, async () => {
        await db.transaction().execute(async (trx) => {
          await sql`insert into bench_commit default values`.execute(trx);
        });
      });
      rows.push({ scenario: 'baseline: one-row insert transaction', callers, poolSize: params.poolSize, ...r });
      process.stdout.write(`baseline insert transaction, ${callers} callers: ${r.opsPerSecond}/s\n`);
      for (const scenario of ['many tenants', 'one hot tenant'] as const) {
        const r = await throughput(callers, params.seconds, async (c, i) => {
          const tenant = scenario === 'one hot tenant' ? tenants[0]! : tenants[(c * 7919 + i) % tenants.length]!;
          const permit = await limiter.acquire(tenant);
          await permit.release({ headers });
        });
        rows.push({ scenario, callers, poolSize: params.poolSize, ...r });
        process.stdout.write(`limiter ${scenario}, ${callers} callers: ${r.opsPerSecond} permits/s\n`);
      }
    }
    return rows;
  } finally {
    await database.close();
  }
}

async function outboxFigures(url: string) {
  const database = await benchDatabase(url, params.poolSize);
  let delivered = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered++;
      res.writeHead(204).end();
    });
  });
  try {
    const { db } = database;
    const cipher = createTokenCipher(randomBytes(32));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hostApp = await db
      .insertInto('host_apps')
      .values({ name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const account = await db
      .insertInto('accounts')
      .values({ host_app_id: hostApp.id, external_id: 'acct', name: 'Bench', options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await setHostWebhook(db, cipher, hostApp.id, {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      secret: 's'.repeat(32),
    });
    const rows: Array<Record<string, unknown>> = [];

    // Enqueue: each event its own insert, as activities write them (one per business fact).
    let seq = 0;
    const enqueue = (orderingKey: (n: number) => string) => async () => {
      const n = seq++;
      await enqueueHostEventOnce(db, {
        hostAppId: hostApp.id,
        accountId: account.id,
        hostAccountId: 'acct',
        type: 'invoice.exported',
        orderingKey: orderingKey(n),
        data: { orderNumber: `SO-${n}`, invoiceId: randomUUID(), xeroUrl: 'https://go.xero.com/x' },
        factKey: `bench|${n}`,
      });
    };
    const enq = await throughput(
      20,
      params.seconds,
      enqueue((n) => `order:bench:${n}`),
    );
    rows.push({
      operation: 'enqueue (20 writers)',
      eventsPerSecond: enq.opsPerSecond,
      p50Ms: enq.p50Ms,
      p99Ms: enq.p99Ms,
    });
    process.stdout.write(`outbox enqueue: ${enq.opsPerSecond} events/s\n`);

    const log = createLogger('silent');
    const targetFor = webhookTargets(db, cipher);
    const deliverAll = async (loops: number, label: string) => {
      const pending = async () =>
        Number(
          (
            await db
              .selectFrom('webhook_outbox')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('delivered_at', 'is', null)
              .executeTakeFirstOrThrow()
          ).n,
        );
      const total = await pending();
      const before = delivered;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: loops }, async () => {
          while ((await pending()) > 0) {
            const pass = await deliverPending({ db, log, targetFor, allowPrivateNetworks: true, batchSize: 100 });
            // The rest is claimed by another loop: wait for it rather than spin on the database.
            if (pass.delivered === 0) await sleep(20);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const eventsPerSecond = Math.round(total / seconds);
      rows.push({ operation: label, events: total, eventsPerSecond, duplicates: delivered - before - total });
      process.stdout.write(`outbox ${label}: ${eventsPerSecond} events/s\n`);
    };
    const reset = () =>
      db
        .updateTable('webhook_outbox')
        .set({ delivered_at: null, attempts: 0, next_attempt_at: new Date(Date.now() - 1000) })
        .execute();

    // Top up to a backlog of outboxEvents, each its own order (a pass takes up to 100 heads).
    const have = seq;
    for (let n = have; n < params.outboxEvents; n += 50)
      await Promise.all(
        Array.from(
          { length: Math.min(50, params.outboxEvents - n) },
          enqueue((k) => `order:bench:${k}`),
        ),
      );
    await reset();
    await deliverAll(1, `delivery, backlog of ${seq} events on distinct orders, 1 loop`);
    await reset();
    await deliverAll(3, `delivery, same backlog, 3 loops (3 workers)`);
    // One order's events go one per pass (ordering kept): the per-pass cost.
    await db.deleteFrom('webhook_outbox').execute();
    seq = 0;
    for (let n = 0; n < 200; n += 50)
      await Promise.all(
        Array.from(
          { length: 50 },
          enqueue(() => 'order:bench:one'),
        ),
      );
    await deliverAll(1, 'delivery, 200 events of one order, 1 loop');
    return rows;
  } finally {
    receiver.close();
    await database.close();
  }
}

interface ChildConfig {
  databaseUrl: string;
  searchPath: string;
  simUrl: string;
  cipherKeyHex: string;
  temporalAddress: string;
  taskQueue: string;
  bundlePath: string;
  maxCachedWorkflows: number;
}

/** The worker under measurement, in a process of its own so its RSS is its own. */
async function workerChild() {
  const cfg = JSON.parse(process.env.CAPACITY_WORKER_CONFIG!) as ChildConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const database = openDatabase({ kind: 'postgres', url: cfg.databaseUrl, poolSize: 5, searchPath: cfg.searchPath });
  const access = createXeroAccessProvider({
    db: database.db,
    cipher: createTokenCipher(Buffer.from(cfg.cipherKeyHex, 'hex')),
    identity: simulatorIdentity(cfg.simUrl),
    log: createLogger('silent'),
  });
  const xero = createXeroGateway({
    access,
    limiter: createRateLimiter({
      db: database.db,
      limits: { perMinute: 1e6, perDay: 1e7, concurrent: 20, appPerMinute: 1e9 },
    }),
    apiUrl: cfg.simUrl,
  });
  const connection = await NativeConnection.connect({ address: cfg.temporalAddress });
  // As src/worker.ts builds it, with a cache large enough to keep every workflow of the run.
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: cfg.taskQueue,
    activities: createActivities({
      db: database.db,
      databaseKind: 'postgres',
      xero,
      orders: { ...FAST_ORDER_CONFIG, quietPeriodMs: 3_600_000 },
    }),
    workflowBundle: { codePath: cfg.bundlePath },
    maxCachedWorkflows: cfg.maxCachedWorkflows,
  });
  process.on('message', (m) => {
    if (m !== 'memory') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    process.send!({ rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
  });
  const run = worker.run();
  process.send!('ready');
  await run;
}

async function workerMemoryFigures(url: string) {
  const temporal = await testTemporal();
  const database = await benchDatabase(url, 5);
  const sim = await startXeroSimulator({ limits: { perMinute: 1e6, perDay: 1e7, concurrent: 50, appPerMinute: 1e7 } });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'capacity-'));
  let child: ChildProcess | undefined;
  try {
    const { db } = database;
    const cipherKey = randomBytes(32);
    const cipher = createTokenCipher(cipherKey);
    const hostApp = await db
      .insertInto('host_apps')
      .values({ name: 'Bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const account = await db
      .insertInto('accounts')
      .values({ host_app_id: hostApp.id, external_id: 'acct', name: 'Bench', options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('settings')
      .values({
        account_id: account.id,
        settings: JSON.stringify(
          settingsSchema.parse({
            revenueAccountCode: '200',
            defaultTaxType: 'OUTPUT2',
            bankAccountCode: '090',
            trackingCategoryName: 'Region',
            costCentreOptions: { N: 'North' },
          }),
        ),
      })
      .execute();
    await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId: account.id });
    const bundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const bundlePath = path.join(tmp, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    const taskQueue = `capacity-${randomUUID()}`;
    const config: ChildConfig = {
      databaseUrl: url,
      searchPath: database.schema,
      simUrl: sim.url,
      cipherKeyHex: cipherKey.toString('hex'),
      temporalAddress: temporal.address,
      taskQueue,
      bundlePath,
      maxCachedWorkflows: params.cachedWorkflows * 4,
    };
    child = fork(__filename, [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, CAPACITY_WORKER_CHILD: '1', CAPACITY_WORKER_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const c = child;
    await new Promise<void>((resolve, reject) => {
      c.once('message', () => resolve());
      c.once('exit', (code) => reject(new Error(`capacity worker exited (${code})`)));
    });
    const memory = () =>
      new Promise<{ rss: number; heapUsed: number; external: number }>((resolve) => {
        c.once('message', (m) => resolve(m as { rss: number; heapUsed: number; external: number }));
        c.send('memory');
      });
    const client = createOrderSyncClient(temporal.client, { taskQueue });
    // Open orders (invoice and PDF in Xero, waiting for payments): what a worker's cache holds.
    const open = async (prefix: string, n: number) => {
      const numbers: string[] = [];
      for (let i = 0; i < n; i += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
            const order = sampleOrder({ number: `${prefix}-${i + k}` });
            numbers.push(order.number);
            await client.startOrderSync(account.id, { order });
          }),
        );
      }
      for (;;) {
        const row = await db
          .selectFrom('sync_log')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('kind', '=', 'attachment')
          .where('outcome', '=', 'success')
          .where('host_ref', 'in', numbers)
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= numbers.length) break;
        await sleep(250);
      }
      // Let the last workflow tasks finish before reading memory.
      await sleep(2_000);
    };
    const idle = await memory();
    await open('WARM', 20);
    const before = await memory();
    const openedAt = performance.now();
    await open('OPEN', params.cachedWorkflows);
    const openSeconds = (performance.now() - openedAt) / 1000;
    const after = await memory();
    const mb = (b: number) => Number((b / 1024 / 1024).toFixed(1));
    const n = params.cachedWorkflows;
    const result = {
      workflows: n,
      rssIdleMb: mb(idle.rss),
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      heapBeforeMb: mb(before.heapUsed),
      heapAfterMb: mb(after.heapUsed),
      rssPerWorkflowMb: Number(((after.rss - before.rss) / n / 1024 / 1024).toFixed(3)),
      heapPerWorkflowMb: Number(((after.heapUsed - before.heapUsed) / n / 1024 / 1024).toFixed(3)),
      ordersPerSecondOpened: Number((n / openSeconds).toFixed(1)),
    };
    process.stdout.write(`worker memory: ${result.rssPerWorkflowMb} MB RSS per cached workflow\n`);
    return result;
  } finally {
    child?.kill('SIGKILL');
    await sim.close();
    await database.close();
    await temporal.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function table(rows: Array<Record<string, unknown>>): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k] ?? '')))];
  const widths = keys.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('bench:capacity needs DATABASE_URL (a real PostgreSQL: the limiter and outbox live there)\n');
    process.exit(2);
  }
  const probe = openDatabase({ kind: 'postgres', url, poolSize: 1 });
  const pgVersion = (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(probe.db)).rows[0]!
    .v;
  await probe.close();
  const limiter = params.parts.includes('limiter') ? await limiterFigures(url) : [];
  const outbox = params.parts.includes('outbox') ? await outboxFigures(url) : [];
  const worker = params.parts.includes('worker') ? await workerMemoryFigures(url) : undefined;
  const result = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
      postgres: pgVersion,
      node: process.version,
    },
    params,
    limiter,
    outbox,
    worker,
  };
  process.stdout.write(`\nRate limiter (permits: acquire + release, limits lifted)\n${table(limiter)}\n`);
  process.stdout.write(`\nHost-webhook outbox\n${table(outbox)}\n`);
  if (worker) process.stdout.write(`\nWorker memory per cached workflow\n${table([worker])}\n`);
  process.stdout.write(`\nmachine: ${JSON.stringify(result.machine)}\n`);
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  // A partial run (CAPACITY_PARTS) leaves the full figures alone.
  const file = params.parts.length === 3 ? 'capacity.json' : `capacity-${params.parts.join('-')}.json`;
  writeFileSync(path.join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written to bench/results/${file}\n`);
  process.exit(0);
}

if (process.env.CAPACITY_WORKER_CHILD) {
  workerChild().catch((err) => {
    process.stderr.write(`capacity worker failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`bench:capacity failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
