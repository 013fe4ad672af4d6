import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { DEFAULT_ORDER_SYNC_CONFIG, type OrderSyncConfig } from '../activities/orders/shared';
import { createOrderSyncClient, type OrderSyncClient } from '../src/client';
import type { DatabaseHandle, Db } from '../src/db/database';
import { settingsSchema } from '../src/domain/settings';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { startDevServer, type RunningDevServer } from '../src/temporal/dev-server';
import { createWorker, WORKFLOWS_PATH } from '../src/worker';
import type { RequestLogEntry } from '../src/xero-sim/store';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway } from '../src/xero/gateway';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { createTestDatabase } from '../test/support/database';
import { freePort } from '../test/support/free-port';
import { connectAccountForTest, simulatorIdentity } from '../test/support/xero-connect';
import { BARE_WORKFLOWS_PATH, bareActivities } from './bare-activities';
import { SyncProgress } from './progress';

/**
 * The bench's stack on embedded defaults: one Temporal dev server for the whole run (the CLI from
 * TEMPORAL_CLI_PATH, then PATH — the project's own finder), workflow bundles built once, and per
 * measure a scenario of its own: a database (PGlite, or a fresh schema when DATABASE_URL is set),
 * the Xero simulator in this process with the limits the measure wants, connected organisations,
 * and a worker with the product's timings on a task queue of its own.
 */

/** Limits as both the simulator and the engine's limiter take them. */
export interface BenchLimits {
  perMinute: number;
  concurrent: number;
  perDay: number;
  /** All organisations together; a limiter without an app-wide budget ignores it. */
  appPerMinute: number;
}

/** Xero's own limits (per organisation and app-wide). */
export const XERO_LIMITS: BenchLimits = { perMinute: 60, concurrent: 5, perDay: 5_000, appPerMinute: 10_000 };
/** Far above anything the bench reaches: "limits not binding". */
export const UNBOUND_LIMITS: BenchLimits = {
  perMinute: 1_000_000,
  concurrent: 1_000,
  perDay: 100_000_000,
  appPerMinute: 10_000_000,
};

const SETTINGS = settingsSchema.parse({
  revenueAccountCode: '200',
  defaultTaxType: 'OUTPUT2',
  bankAccountCode: '090',
  trackingCategoryName: 'Region',
  costCentreOptions: { N: 'North' },
});

export interface ScenarioOptions {
  name: string;
  organisations: string[];
  limits: BenchLimits;
  /** Xero's minute as the simulator and the engine's limiter both count it (compressed in the bench). */
  minuteMs: number;
}

export interface BenchOrg {
  name: string;
  accountId: string;
  tenantId: string;
}

export interface Scenario {
  db: Db;
  sim: RunningXeroSimulator;
  orgs: BenchOrg[];
  client: OrderSyncClient;
  progress: SyncProgress;
  /** Accounting-API requests the simulator answered (429s and 503s included), optionally of one organisation, from `sinceMs` (epoch ms). */
  apiCalls(filter?: { tenantId?: string; sinceMs?: number }): RequestLogEntry[];
  close(): Promise<void>;
}

export interface BenchStack {
  client: Client;
  databaseKind: 'pglite' | 'postgres';
  server: RunningDevServer;
  scenario(opts: ScenarioOptions): Promise<Scenario>;
  /** A worker of bench/workflows/bare.ts and its no-op activity, on a task queue of its own. */
  startBareWorker(): Promise<{ taskQueue: string; stop(): Promise<void> }>;
  close(): Promise<void>;
}

async function runWorker(worker: Worker) {
  const running = worker.run();
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    worker.shutdown();
    await running;
  };
}

export async function startStack(): Promise<BenchStack> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  Runtime.install({
    shutdownSignals: [],
    // The SDK's warnings (e.g. a workflow task over 5 s on a starved machine) would bury the table.
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    logger: {
      log: (level, message, meta) => (level === 'ERROR' ? log.error(meta ?? {}, message) : undefined),
      trace() {},
      debug() {},
      info() {},
      warn() {},
      error: (message, meta) => log.error(meta ?? {}, message),
    },
  });
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => log.error(m), log() {} };
  const [server, orderBundle, bareBundle] = await Promise.all([
    startDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH || undefined,
      port: await freePort(),
      namespace: 'default',
      log,
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet }),
    bundleWorkflowCode({ workflowsPath: BARE_WORKFLOWS_PATH, logger: quiet }),
  ]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-bench-'));
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, orderBundle.code);
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const databaseKind = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  const open: Array<() => Promise<void>> = [];

  async function scenario(opts: ScenarioOptions): Promise<Scenario> {
    const database: DatabaseHandle = await createTestDatabase(databaseKind);
    const { db } = database;
    const sim = await startXeroSimulator({
      minuteMs: opts.minuteMs,
      dayMs: opts.minuteMs * 60 * 24,
      limits: opts.limits,
      seed: { organisations: opts.organisations.map((name) => ({ name })) },
      requestLogLimit: 2_000_000,
    });
    const cipher = createTokenCipher(randomBytes(32));
    const hostApp = await db
      .insertInto('host_apps')
      .values({ name: `Bench host (${opts.name})` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const orgs: BenchOrg[] = [];
    for (const name of opts.organisations) {
      const account = await db
        .insertInto('accounts')
        .values({ host_app_id: hostApp.id, external_id: name, name, options: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('settings')
        .values({ account_id: account.id, settings: JSON.stringify(SETTINGS) })
        .execute();
      const conn = await connectAccountForTest({
        db,
        cipher,
        simUrl: sim.url,
        accountId: account.id,
        tenantName: name,
      });
      orgs.push({ name, accountId: account.id, tenantId: conn.tenantId });
    }
    const access = createXeroAccessProvider({
      db,
      cipher,
      identity: simulatorIdentity(sim.url),
      log: createLogger('silent'),
    });
    // The engine's limiter keeps the same limits on the same (compressed) minute as the simulator.
    const xero = createXeroGateway({
      access,
      limiter: createRateLimiter({ db, limits: opts.limits, minuteMs: opts.minuteMs, dayMs: opts.minuteMs * 60 * 24 }),
      apiUrl: sim.url,
      // As the product's XERO_BUSY_BATCH_HOLD_MS: a sixth of the (compressed) minute.
      busyBatchHoldMs: Math.round(opts.minuteMs / 6),
    });
    // The product's timings (retry back-off, timeouts); only the quiet period is long, so a paid
    // order's workflow stays open and no completion step runs inside a measure.
    const orders: OrderSyncConfig = { ...DEFAULT_ORDER_SYNC_CONFIG, quietPeriodMs: 24 * 60 * 60_000 };
    const taskQueue = `bench-${opts.name}-${randomUUID().slice(0, 8)}`;
    const worker = await createWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: { db, databaseKind: database.kind, xero, orders, temporalClient: client },
      workflowBundlePath: bundlePath,
      shutdownGraceTime: '2s',
    });
    const stopWorker = await runWorker(worker);
    const progress = new SyncProgress(db);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      progress.stop();
      await stopWorker();
      await sim.close();
      await database.close();
    };
    open.push(close);
    return {
      db,
      sim,
      orgs,
      client: createOrderSyncClient(client, { taskQueue }),
      progress,
      apiCalls(filter = {}) {
        return sim.sim
          .requestLog(filter.tenantId ? { tenantId: filter.tenantId } : undefined)
          .filter(
            (r) =>
              r.path.startsWith('/api.xro/') && (filter.sinceMs === undefined || Date.parse(r.at) >= filter.sinceMs),
          );
      },
      close,
    };
  }

  async function startBareWorker() {
    const taskQueue = `bench-bare-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: { code: bareBundle.code },
      activities: bareActivities,
      shutdownGraceTime: '2s',
    });
    const stop = await runWorker(worker);
    open.push(stop);
    return { taskQueue, stop };
  }

  return {
    client,
    databaseKind,
    server,
    scenario,
    startBareWorker,
    async close() {
      for (const close of open.reverse()) await close().catch(() => undefined);
      await native.close();
      await connection.close();
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
