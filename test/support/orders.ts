import type { OrderActivityDeps } from '../../activities/orders';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { OrderSyncConfig } from '../../activities/orders';
import { createOrderSyncClient, type OrderSyncClient } from '../../src/client';
import type { DatabaseHandle } from '../../src/db/database';
import { orderSchema, type Order, type OrderInput } from '../../src/domain/order';
import { settingsSchema, type SettingsInput } from '../../src/domain/settings';
import { createLogger } from '../../src/log';
import { createTokenCipher } from '../../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator, type XeroSimulatorOptions } from '../../src/xero-sim/server';
import { createXeroGateway, type XeroGateway } from '../../src/xero/gateway';
import { createRateLimiter, type RateLimits } from '../../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../../src/xero/token-provider';
import { createTestDatabase } from './database';
import type { TestTemporal } from './temporal';
import { connectAccountForTest, simulatorIdentity } from './xero-connect';

/**
 * A connected account ready for order syncs: its own database, a Xero simulator, the account
 * connected through the real OAuth flow, settings saved, and a worker with short timings.
 */

export const FAST_ORDER_CONFIG: Partial<OrderSyncConfig> = {
  quietPeriodMs: 1_500,
  activityTimeoutMs: 10_000,
  retryInitialMs: 100,
  retryMaxMs: 1_000,
};

export const TEST_SETTINGS: SettingsInput = {
  revenueAccountCode: '200',
  defaultTaxType: 'OUTPUT2',
  bankAccountCode: '090',
  trackingCategoryName: 'Region',
  costCentreOptions: { N: 'North' },
  exportedJobStatus: 'Invoiced',
};

export interface OrderTestEnv {
  database: DatabaseHandle;
  sim: RunningXeroSimulator;
  accountId: string;
  hostAppId: string;
  externalId: string;
  tenantId: string;
  /** For a worker in another process: the key that decrypts the stored tokens, and the limits. */
  cipherKeyHex: string;
  limits: Partial<RateLimits>;
  orderConfig: Partial<OrderSyncConfig>;
  xero: XeroGateway;
  client: OrderSyncClient;
  taskQueue: string;
  worker: Worker;
  /** Starts another worker on the same task queue (after stopping the first, e.g.). */
  startWorker(): Promise<{ stop(): Promise<void> }>;
  stopWorker(): Promise<void>;
  setSettings(s: SettingsInput): Promise<void>;
  close(): Promise<void>;
}

export async function orderTestEnv(
  temporal: TestTemporal,
  opts: {
    settings?: SettingsInput;
    sim?: XeroSimulatorOptions;
    orders?: Partial<OrderSyncConfig>;
    connect?: boolean;
    limits?: Partial<RateLimits>;
    limiterMinuteMs?: number;
    /** The worker's host-PDF fetcher (e.g. one that reaches a local server). */
    fetchPdf?: OrderActivityDeps['fetchPdf'];
  } = {},
): Promise<OrderTestEnv> {
  const database = await createTestDatabase();
  // Xero's 60 calls a minute would make a test file wait on itself: raised here on both sides
  // (the limiter has tests of its own, and test/order-exactly-once.test.ts lowers them again).
  const limits = { perMinute: 5_000, perDay: 100_000, concurrent: 5, ...opts.limits };
  const sim = await startXeroSimulator({ ...opts.sim, limits: { ...limits, ...opts.sim?.limits } });
  const { db } = database;
  const cipherKey = randomBytes(32);
  const cipher = createTokenCipher(cipherKey);
  const hostApp = await db
    .insertInto('host_apps')
    .values({ name: 'Quotes Co' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const externalId = `acct-${randomUUID().slice(0, 8)}`;
  const account = await db
    .insertInto('accounts')
    .values({ host_app_id: hostApp.id, external_id: externalId, name: 'Acme Plumbing', options: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const setSettings = async (s: SettingsInput) => {
    const json = JSON.stringify(settingsSchema.parse(s));
    await db
      .insertInto('settings')
      .values({ account_id: account.id, settings: json })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ settings: json, updated_at: new Date() }))
      .execute();
  };
  await setSettings(opts.settings ?? TEST_SETTINGS);
  let tenantId: string;
  if (opts.connect !== false) {
    const conn = await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId: account.id });
    tenantId = conn.tenantId;
  } else {
    tenantId = sim.sim.organisations()[0]!.tenantId;
  }
  const access = createXeroAccessProvider({
    db,
    cipher,
    identity: simulatorIdentity(sim.url),
    log: createLogger('silent'),
  });
  const xero = createXeroGateway({
    access,
    limiter: createRateLimiter({ db, limits, ...(opts.limiterMinuteMs ? { minuteMs: opts.limiterMinuteMs } : {}) }),
    apiUrl: sim.url,
  });
  const deps = {
    db,
    databaseKind: database.kind,
    xero,
    orders: { ...FAST_ORDER_CONFIG, ...opts.orders },
    ...(opts.fetchPdf ? { fetchPdf: opts.fetchPdf } : {}),
    temporalClient: temporal.client,
  };
  let current = await temporal.startWorker(deps);
  const taskQueue = current.taskQueue;
  const env: OrderTestEnv = {
    database,
    sim,
    accountId: account.id,
    hostAppId: hostApp.id,
    externalId,
    tenantId,
    cipherKeyHex: cipherKey.toString('hex'),
    limits,
    orderConfig: deps.orders,
    xero,
    client: createOrderSyncClient(temporal.client, { taskQueue }),
    taskQueue,
    worker: current.worker,
    async startWorker() {
      const w = await temporal.startWorker(deps, taskQueue);
      current = w;
      env.worker = w.worker;
      return w;
    },
    stopWorker: () => current.stop(),
    setSettings,
    async close() {
      await current.stop();
      await sim.close();
      await database.close();
    },
  };
  return env;
}

let orderSeq = 0;

/** A valid order; every call gets a fresh number unless one is given. */
export function sampleOrder(patch: Partial<OrderInput> = {}): Order {
  orderSeq++;
  return orderSchema.parse({
    number: `SO-${Date.now().toString(36)}-${orderSeq}`,
    date: '2026-03-02',
    currency: 'NZD',
    customer: {
      type: 'organisation',
      id: `cust-${randomUUID().slice(0, 8)}`,
      name: `Customer ${randomUUID().slice(0, 6)}`,
      email: 'ap@customer.example',
    },
    lines: [
      { description: 'Call-out fee', quantity: 1, unitPrice: 95, costCentre: 'N' },
      { description: 'Copper pipe 15mm (m)', quantity: 4, unitPrice: 12.5, itemCode: 'PIPE-15', discountRate: 10 },
    ],
    jobDescription: 'Replace hot water cylinder',
    customerReference: 'PO-4471',
    jobLocation: '12 Harbour St',
    ...patch,
  });
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
