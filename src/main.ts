/**
 * `npm start`: the whole engine in one process on embedded defaults — a Temporal dev server
 * (unless TEMPORAL_ADDRESS), PGlite under ./data (unless DATABASE_URL), the worker and the web server.
 */
import { publicUrl } from './config';
import { buildAdminAccess } from './access/wiring';
import { contactSyncHooks, reconcileContactSyncSchedules } from './contact-sync/lifecycle';
import { devSecrets } from './security/secrets';
import { identityOptionsFromConfig } from './xero/identity';
import { openConfiguredDatabase } from './db/from-config';
import { openTemporal } from './temporal/connection';
import { installTemporalRuntime } from './temporal/runtime';
import { createWorker } from './worker';
import { orderWorkerDeps } from './orders/worker-deps';
import { startHostWebhookDelivery } from './host-webhooks/host-config';
import { createApp } from '../web/app';
import { listen } from '../web/server';
import { configOrExit, exitOnStartupError, onShutdown } from './process/startup';

async function main() {
  const { cfg, log } = configOrExit();
  installTemporalRuntime(log);

  const database = await openConfiguredDatabase(cfg);
  let temporal;
  try {
    temporal = await openTemporal(cfg, log, { devServerStore: 'file' });
  } catch (err) {
    await database.close();
    throw err;
  }
  // Secrets not in the environment are generated once under DATA_DIR (development convenience).
  const access = buildAdminAccess({ db: database.db, log, secrets: devSecrets(cfg, log), publicUrl: publicUrl(cfg), identity: identityOptionsFromConfig(cfg) });
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: { db: database.db, databaseKind: database.kind, ...orderWorkerDeps({ db: database.db, cfg, access: access.xeroAccess, apiUrl: identityOptionsFromConfig(cfg).apiUrl }) },
  });
  const workerRun = worker.run();
  // Contact-sync schedules follow connect/setup/disconnect, and are brought in line with the database at start.
  Object.assign(access, contactSyncHooks({ db: database.db, temporal: temporal.client, taskQueue: cfg.TEMPORAL_TASK_QUEUE }));
  await reconcileContactSyncSchedules({ db: database.db, temporal: temporal.client, taskQueue: cfg.TEMPORAL_TASK_QUEUE, log }).catch((err) => log.error({ err }, 'contact-sync schedules not reconciled'));
  const webhooks = startHostWebhookDelivery({ db: database.db, cipher: access.cipher, log });
  const temporalUi = temporal.uiUrl ? { temporalUi: { url: temporal.uiUrl, namespace: temporal.namespace } } : {};
  const web = await listen(createApp({ db: database.db, temporal: temporal.client, log, access, taskQueue: cfg.TEMPORAL_TASK_QUEUE, ...temporalUi }), cfg.PORT, cfg.HOST);

  onShutdown(log, [
    { name: 'web', run: () => web.close() },
    { name: 'worker', run: async () => { worker.shutdown(); await workerRun; } },
    { name: 'host webhooks', run: () => webhooks.stop() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);

  const url = publicUrl(cfg);
  process.stdout.write(
    [
      '',
      'xero-sync is running',
      `  Admin URL:        ${url}/  (admin pages open through signed links: see README.md)`,
      `  Health:           ${url}/healthz`,
      `  Temporal UI URL:  ${temporal.uiUrl ?? '(not known: set TEMPORAL_UI_URL)'}`,
      `  Temporal gRPC:    ${temporal.address} (namespace ${temporal.namespace}, task queue ${cfg.TEMPORAL_TASK_QUEUE})`,
      `  Database:         ${database.kind === 'pglite' ? `PGlite in ${cfg.DATA_DIR}/pglite` : 'PostgreSQL (DATABASE_URL)'}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
