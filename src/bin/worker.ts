/** `npm run worker`: the Temporal worker alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { openConfiguredDatabase } from '../db/from-config';
import { openTemporal } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorker } from '../worker';
import { reconcileContactSyncSchedules } from '../contact-sync/lifecycle';
import { orderWorkerDeps } from '../orders/worker-deps';
import { createTokenCipher } from '../security/token-cipher';
import { createXeroIdentity, identityOptionsFromConfig } from '../xero/identity';
import { createXeroAccessProvider } from '../xero/token-provider';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';
import { requireSecrets } from '../security/secrets';
import { startHostWebhookDelivery } from '../host-webhooks/host-config';

async function main() {
  const { cfg, log } = configOrExit();
  if (!cfg.TEMPORAL_ADDRESS)
    throw new Error('TEMPORAL_ADDRESS: required for a standalone worker (npm start runs everything in one process)');
  // The worker decrypts Xero tokens: it must share the web server's TOKEN_ENCRYPTION_KEY, never invent one.
  requireSecrets(cfg);
  installTemporalRuntime(log);
  const database = await openConfiguredDatabase(cfg);
  const temporal = await openTemporal(cfg, log, { devServerStore: 'memory' });
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
    deps: {
      db: database.db,
      databaseKind: database.kind,
      temporalClient: temporal.client,
      ...orderWorkerDeps({ db: database.db, cfg, access, apiUrl: identity.apiUrl }),
    },
  });
  const run = worker.run();
  // One contact-sync schedule per connected account, none for the others (repairs a failed hook).
  await reconcileContactSyncSchedules({
    db: database.db,
    temporal: temporal.client,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    log,
  }).catch((err) => log.error({ err }, 'contact-sync schedules not reconciled'));
  // Host webhooks: the outbox written by the activities is delivered from the worker process.
  const webhooks = startHostWebhookDelivery({
    db: database.db,
    cipher: createTokenCipher(requireSecrets(cfg).tokenEncryptionKey),
    log,
    allowPrivateNetworks: cfg.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
  });
  onShutdown(log, [
    {
      name: 'worker',
      run: async () => {
        worker.shutdown();
        await run;
      },
    },
    { name: 'host webhooks', run: () => webhooks.stop() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, address: temporal.address }, 'worker polling');
  await run;
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
