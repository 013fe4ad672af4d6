/** `npm run worker`: the Temporal worker alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { openConfiguredDatabase } from '../db/from-config';
import { openTemporal } from '../temporal/connection';
import { installTemporalRuntime } from '../temporal/runtime';
import { createWorker } from '../worker';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';
import { requireSecrets } from '../security/secrets';

async function main() {
  const { cfg, log } = configOrExit();
  if (!cfg.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS: required for a standalone worker (npm start runs everything in one process)');
  // The worker decrypts Xero tokens: it must share the web server's TOKEN_ENCRYPTION_KEY, never invent one.
  requireSecrets(cfg);
  installTemporalRuntime(log);
  const database = await openConfiguredDatabase(cfg);
  const temporal = await openTemporal(cfg, log, { devServerStore: 'memory' });
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: { db: database.db, databaseKind: database.kind },
  });
  const run = worker.run();
  onShutdown(log, [
    { name: 'worker', run: async () => { worker.shutdown(); await run; } },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, address: temporal.address }, 'worker polling');
  await run;
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
