/** `npm run worker`: the Temporal worker alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { openConfiguredDatabase } from '../db/from-config';
import { openTemporal, temporalAddressConfigured } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorker } from '../worker';
import { orderWorkerDeps } from '../orders/worker-deps';
import { createTokenCipher } from '../security/token-cipher';
import { createXeroIdentity, identityOptionsFromConfig } from '../xero/identity';
import { createXeroAccessProvider } from '../xero/token-provider';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';
import { repairSchedules } from '../process/account-hooks';
import { requireSecrets } from '../security/secrets';
import { startHostWebhookDelivery } from '../host-webhooks/host-config';
import { pingDatabase } from '../db/database';
import { enableProcessMetrics } from '../metrics/registry';
import { enableDatabaseGauges } from '../metrics/database-gauges';
import { runtimeMetricsTelemetry } from '../metrics/exposition';
import { startOpsServer } from '../metrics/ops-server';
import { shutdownState } from '../metrics/probes';
import type { Worker } from '@temporalio/worker';

async function main() {
  const { cfg, log } = configOrExit();
  if (!temporalAddressConfigured())
    throw new Error(
      'TEMPORAL_ADDRESS (or an env-config profile with an address): required for a standalone worker (npm start runs everything in one process)',
    );
  // The worker decrypts Xero tokens: it must share the web server's TOKEN_ENCRYPTION_KEY, never invent one.
  requireSecrets(cfg);
  // The SDK runtime's metrics are served on a loopback port of their own and merged into the ops server's /metrics.
  installTemporalRuntime(log, { telemetryOptions: await runtimeMetricsTelemetry(cfg.TEMPORAL_METRICS_BIND_ADDRESS) });
  enableProcessMetrics();
  const database = await openConfiguredDatabase(cfg);
  const temporal = await openTemporal(cfg, log, { devServerStore: 'memory' });
  enableDatabaseGauges({ db: database.db, log });
  // Up before the worker is built (bundling workflows takes a while): alive at once, ready once polling.
  const current: { worker?: Worker } = {};
  const shutdown = shutdownState();
  const ops = await startOpsServer({
    host: cfg.WORKER_OPS_HOST,
    port: cfg.WORKER_OPS_PORT,
    log,
    ...(cfg.METRICS_TOKEN ? { metricsToken: cfg.METRICS_TOKEN } : {}),
    worker: () => current.worker,
    database: () => pingDatabase(database.db),
    temporal: () => temporal.nativeConnection.workflowService.getSystemInfo({}),
    shutdown,
  });
  log.info({ url: ops.url }, 'worker ops server listening (/livez, /readyz, /metrics)');
  // The worker refreshes tokens itself (serialized with the web process through the connection row lock).
  const identity = identityOptionsFromConfig(cfg);
  const access = createXeroAccessProvider({
    db: database.db,
    cipher: createTokenCipher(requireSecrets(cfg).tokenEncryptionKey),
    identity: createXeroIdentity(identity),
    log,
  });
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    maxConcurrentActivityTaskExecutions: cfg.WORKER_ACTIVITY_SLOTS,
    deps: {
      db: database.db,
      databaseKind: database.kind,
      temporalClient: temporal.client,
      ...orderWorkerDeps({ db: database.db, cfg, access, apiUrl: identity.apiUrl }),
    },
  });
  current.worker = worker;
  // Host webhooks: the outbox written by the activities is delivered from the worker process.
  const webhooks = startHostWebhookDelivery({
    db: database.db,
    cipher: createTokenCipher(requireSecrets(cfg).tokenEncryptionKey),
    log,
    allowPrivateNetworks: cfg.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
  });
  const run = worker.run();
  // Installed as soon as the worker runs (it is ready from then on): a SIGTERM during the
  // schedule repairs below must still stop it in order.
  onShutdown(log, [
    {
      name: 'worker',
      run: async () => {
        shutdown.begin();
        worker.shutdown();
        await run;
      },
    },
    { name: 'host webhooks', run: () => webhooks.stop() },
    { name: 'ops server', run: () => ops.close() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  // One contact-sync schedule per connected account, none for the others (repairs a failed hook).
  await repairSchedules({ db: database.db, temporal: temporal.client, taskQueue: cfg.TEMPORAL_TASK_QUEUE, log });
  log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, address: temporal.address }, 'worker polling');
  await run;
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
