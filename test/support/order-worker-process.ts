/**
 * A worker in a process of its own, so a test can kill it with SIGKILL in the middle of a step
 * (test/order-exactly-once.test.ts). Configured by one JSON env var; prints "ready" when polling.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { openDatabase } from '../../src/db/database';
import { createLogger } from '../../src/log';
import { createTokenCipher } from '../../src/security/token-cipher';
import { createWorker } from '../../src/worker';
import { createXeroGateway } from '../../src/xero/gateway';
import { createRateLimiter } from '../../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../../src/xero/token-provider';
import { startHostWebhookDelivery } from '../../src/host-webhooks/host-config';
import { simulatorIdentity } from './xero-connect';

interface ChildConfig {
  databaseUrl: string;
  searchPath: string;
  simUrl: string;
  cipherKeyHex: string;
  temporalAddress: string;
  taskQueue: string;
  bundlePath?: string;
  orders: Record<string, number>;
  limits: Record<string, number>;
  /** The limiter's window and permit lease, shrunk with the simulator's (test/many-workers.test.ts). */
  limiterMinuteMs?: number;
  limiterLeaseMs?: number;
  /** The limiter's longest in-process wait; longer waits are handed to Temporal (test/fairness-two-workers.test.ts). */
  limiterMaxWaitMs?: number;
  /** The worker's activity slots (the SDK's default when absent). */
  maxActivitySlots?: number;
  /** Run the host-webhook delivery loop too, as `npm run worker` does (to loopback: private allowed). */
  deliverWebhooks?: boolean;
}

async function main() {
  const cfg = JSON.parse(process.env.ORDER_WORKER_CONFIG ?? '{}') as ChildConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const database = openDatabase({ kind: 'postgres', url: cfg.databaseUrl, poolSize: 3, searchPath: cfg.searchPath });
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
      limits: cfg.limits,
      ...(cfg.limiterMinuteMs ? { minuteMs: cfg.limiterMinuteMs } : {}),
      ...(cfg.limiterLeaseMs ? { leaseMs: cfg.limiterLeaseMs } : {}),
      ...(cfg.limiterMaxWaitMs !== undefined ? { maxWaitMs: cfg.limiterMaxWaitMs } : {}),
    }),
    apiUrl: cfg.simUrl,
  });
  const connection = await NativeConnection.connect({ address: cfg.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: cfg.taskQueue,
    deps: { db: database.db, databaseKind: 'postgres', xero, orders: cfg.orders },
    ...(cfg.bundlePath ? { workflowBundlePath: cfg.bundlePath } : {}),
    ...(cfg.maxActivitySlots ? { maxConcurrentActivityTaskExecutions: cfg.maxActivitySlots } : {}),
  });
  const run = worker.run();
  if (cfg.deliverWebhooks)
    startHostWebhookDelivery({
      db: database.db,
      cipher: createTokenCipher(Buffer.from(cfg.cipherKeyHex, 'hex')),
      log: createLogger('silent'),
      allowPrivateNetworks: true,
      intervalMs: 200,
    });
  process.stdout.write('ready\n');
  await run;
}

main().catch((err) => {
  process.stderr.write(`order worker failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
