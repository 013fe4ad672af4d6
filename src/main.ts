/**
 * `npm start`: the whole engine in one process on embedded defaults — a Temporal dev server
 * (unless TEMPORAL_ADDRESS), PGlite under ./data (unless DATABASE_URL), the worker and the web server.
 */
import { publicUrl } from './config';
import { buildAdminAccess, rateLimitsFromConfig } from './access/wiring';
import { reconcileContactSyncSchedules } from './contact-sync/lifecycle';
import { accountHooks } from './process/account-hooks';
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
import { embeddedXero } from './process/embedded-xero';
import { prepareDemo } from './process/demo';

async function main() {
  const loaded = configOrExit();
  const { log } = loaded;
  installTemporalRuntime(log);

  // Without real Xero credentials the simulator runs in-process and the engine is pointed at it.
  const { cfg, simulator } = await embeddedXero(loaded.cfg, log);
  const database = await openConfiguredDatabase(cfg);
  let temporal;
  try {
    temporal = await openTemporal(cfg, log, { devServerStore: 'file' });
  } catch (err) {
    await database.close();
    await simulator?.close();
    throw err;
  }
  // Secrets not in the environment are generated once under DATA_DIR (development convenience).
  const access = buildAdminAccess({
    db: database.db,
    log,
    secrets: devSecrets(cfg, log),
    publicUrl: publicUrl(cfg),
    identity: identityOptionsFromConfig(cfg),
    rateLimits: rateLimitsFromConfig(cfg),
  });
  // The demo host and the simulator live on localhost: the embedded engine must reach private addresses.
  const allowPrivateNetworks = true;
  const worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    deps: {
      db: database.db,
      databaseKind: database.kind,
      temporalClient: temporal.client,
      ...orderWorkerDeps({
        db: database.db,
        cfg,
        access: access.xeroAccess,
        apiUrl: identityOptionsFromConfig(cfg).apiUrl,
        allowPrivateNetworks,
      }),
    },
  });
  const workerRun = worker.run();
  // Contact-sync schedules follow connect/setup/disconnect, and are brought in line with the database at start.
  Object.assign(
    access,
    accountHooks({
      db: database.db,
      temporal: temporal.client,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      xeroCall: access.xeroCall,
    }),
  );
  await reconcileContactSyncSchedules({
    db: database.db,
    temporal: temporal.client,
    taskQueue: cfg.TEMPORAL_TASK_QUEUE,
    log,
  }).catch((err) => log.error({ err }, 'contact-sync schedules not reconciled'));
  const webhooks = startHostWebhookDelivery({ db: database.db, cipher: access.cipher, log, allowPrivateNetworks });
  const temporalUi = temporal.uiUrl ? { temporalUi: { url: temporal.uiUrl, namespace: temporal.namespace } } : {};
  const web = await listen(
    createApp({
      db: database.db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      ...temporalUi,
      allowPrivateNetworks,
    }),
    cfg.PORT,
    cfg.HOST,
  );

  onShutdown(log, [
    { name: 'web', run: () => web.close() },
    {
      name: 'worker',
      run: async () => {
        worker.shutdown();
        await workerRun;
      },
    },
    { name: 'host webhooks', run: () => webhooks.stop() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
    { name: 'xero simulator', run: async () => simulator?.close() },
  ]);

  const url = publicUrl(cfg);
  const demo = await prepareDemo(database.db, {
    sessionSecret: access.sessionSecret,
    publicUrl: url,
    dataDir: cfg.DATA_DIR,
  });
  process.stdout.write(
    [
      '',
      'xero-sync is running',
      `  Admin URL:        ${demo.adminLink}`,
      "                    (the demo account's admin link: single use, valid 15 minutes; connect Xero and save Setup there)",
      `  Health:           ${url}/healthz`,
      `  Temporal UI URL:  ${temporal.uiUrl ?? '(not known: set TEMPORAL_UI_URL)'}`,
      `  Temporal gRPC:    ${temporal.address} (namespace ${temporal.namespace}, task queue ${cfg.TEMPORAL_TASK_QUEUE})`,
      `  Database:         ${database.kind === 'pglite' ? `PGlite in ${cfg.DATA_DIR}/pglite` : 'PostgreSQL (DATABASE_URL)'}`,
      `  Xero:             ${simulator ? `the Xero simulator at ${simulator.url} (no XERO_CLIENT_ID set)` : cfg.XERO_API_URL}`,
      `  Demo API key:     ${demo.apiKey}  (host app "Demo host app", account "demo"; shown once)`,
      '  Send a sample order once connected:',
      `    ${demo.sampleOrderCurl}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
