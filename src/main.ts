/**
 * `npm start`: the whole engine in one process on embedded defaults — a Temporal dev server
 * (unless TEMPORAL_ADDRESS), PGlite under ./data (unless DATABASE_URL), the worker and the web server.
 */
import { publicUrl } from './config';
import { buildAdminAccess, rateLimitsFromConfig } from './access/wiring';
import { accountHooks, repairSchedules } from './process/account-hooks';
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
import { configOrExit, exitOnSignalDuringStartup, exitOnStartupError, onShutdown } from './process/startup';
import { embeddedXero } from './process/embedded-xero';
import { DEMO_SIGN_IN_HINT, prepareDemo, startupBanner } from './process/demo';
import { issueAdminLink } from './process/admin-link';
import { startLocalControl } from './process/local-control';
import { enableProcessMetrics } from './metrics/registry';
import { enableDatabaseGauges } from './metrics/database-gauges';
import { runtimeMetricsTelemetry } from './metrics/exposition';
import { shutdownState } from './metrics/probes';

async function main() {
  const loaded = configOrExit();
  const { log } = loaded;
  // Ctrl-C before the ordered shutdown below is in place still ends the dev server (process 'exit' hooks).
  exitOnSignalDuringStartup(log);
  // One process, one scrape target: the web server's /metrics includes the SDK runtime's metrics.
  installTemporalRuntime(log, {
    telemetryOptions: await runtimeMetricsTelemetry(loaded.cfg.TEMPORAL_METRICS_BIND_ADDRESS),
  });
  enableProcessMetrics();
  const shutdown = shutdownState();

  // Without real Xero credentials the simulator runs in-process and the engine is pointed at it.
  const { cfg, simulator, webhookKey } = await embeddedXero(loaded.cfg, log);
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
    maxConcurrentActivityTaskExecutions: cfg.WORKER_ACTIVITY_SLOTS,
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
  await repairSchedules({ db: database.db, temporal: temporal.client, taskQueue: cfg.TEMPORAL_TASK_QUEUE, log });
  // The sign-in pages name the command that prints a fresh admin link (npm run admin-link).
  access.signInHint = DEMO_SIGN_IN_HINT;
  const webhooks = startHostWebhookDelivery({ db: database.db, cipher: access.cipher, log, allowPrivateNetworks });
  enableDatabaseGauges({ db: database.db, log });
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
      ...(cfg.METRICS_TOKEN ? { metricsToken: cfg.METRICS_TOKEN } : {}),
      shutdown,
      workerState: () => worker.getState(),
      // The simulator's key (its webhooks are signed with it), or XERO_WEBHOOK_KEY with real Xero.
      ...(webhookKey ? { xeroWebhookKey: webhookKey } : {}),
    }),
    cfg.PORT,
    cfg.HOST,
  );

  const url = publicUrl(cfg);
  // `npm run admin-link` asks this process for links ($DATA_DIR/engine.json) instead of opening its database.
  const localControl = await startLocalControl({
    dataDir: cfg.DATA_DIR,
    log,
    issueAdminLink: (request) =>
      issueAdminLink(database.db, {
        secret: access.sessionSecret,
        publicUrl: url,
        accountRef: request.account,
        hostApp: request.hostApp,
      }),
  });

  onShutdown(log, [
    { name: 'readiness', run: async () => shutdown.begin() },
    { name: 'local control', run: () => localControl.close() },
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

  const demo = await prepareDemo(database.db, {
    sessionSecret: access.sessionSecret,
    publicUrl: url,
    dataDir: cfg.DATA_DIR,
  });
  // The banner comes last, after the worker's own start-up lines, so the one-time key and the admin link stay in view.
  for (let waited = 0; worker.getState() === 'INITIALIZED' && waited < 10_000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setImmediate(resolve));
  process.stdout.write(
    startupBanner({
      demo,
      url,
      temporalUiUrl: temporal.uiUrl,
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      database: database.kind === 'pglite' ? `PGlite in ${cfg.DATA_DIR}/pglite` : 'PostgreSQL (DATABASE_URL)',
      xero: simulator ? `the Xero simulator at ${simulator.url} (no XERO_CLIENT_ID set)` : cfg.XERO_API_URL,
    }),
  );
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
