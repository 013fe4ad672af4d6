/** `npm run web`: the REST API and admin pages alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { buildAdminAccess, rateLimitsFromConfig } from '../access/wiring';
import { accountHooks } from '../process/account-hooks';
import { publicUrl } from '../config';
import { openConfiguredDatabase } from '../db/from-config';
import { requireSecrets } from '../security/secrets';
import { identityOptionsFromConfig } from '../xero/identity';
import { openTemporal, temporalAddressConfigured } from '../temporal/connection';
import { createApp } from '../../web/app';
import { listen } from '../../web/server';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';
import { enableProcessMetrics } from '../metrics/registry';
import { enableDatabaseGauges } from '../metrics/database-gauges';
import { shutdownState } from '../metrics/probes';

async function main() {
  const { cfg, log } = configOrExit();
  if (!temporalAddressConfigured())
    throw new Error(
      'TEMPORAL_ADDRESS (or an env-config profile with an address): required for a standalone web server (npm start runs everything in one process)',
    );
  const secrets = requireSecrets(cfg);
  const database = await openConfiguredDatabase(cfg);
  const temporal = await openTemporal(cfg, log, { devServerStore: 'memory' });
  const access = buildAdminAccess({
    db: database.db,
    log,
    secrets,
    publicUrl: publicUrl(cfg),
    identity: identityOptionsFromConfig(cfg),
    rateLimits: rateLimitsFromConfig(cfg),
  });
  // Contact-sync schedules follow connect/setup/disconnect.
  Object.assign(
    access,
    accountHooks({
      db: database.db,
      temporal: temporal.client,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      xeroCall: access.xeroCall,
    }),
  );
  const temporalUi = temporal.uiUrl ? { temporalUi: { url: temporal.uiUrl, namespace: temporal.namespace } } : {};
  enableProcessMetrics();
  enableDatabaseGauges({ db: database.db, log });
  const shutdown = shutdownState();
  const web = await listen(
    createApp({
      db: database.db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      ...temporalUi,
      allowPrivateNetworks: cfg.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
      ...(cfg.METRICS_TOKEN ? { metricsToken: cfg.METRICS_TOKEN } : {}),
      shutdown,
      ...(cfg.XERO_WEBHOOK_KEY ? { xeroWebhookKey: cfg.XERO_WEBHOOK_KEY } : {}),
    }),
    cfg.PORT,
    cfg.HOST,
  );
  onShutdown(log, [
    // /readyz answers 503 first, and keeps serving for SHUTDOWN_DRAIN_SECONDS so load balancers stop sending.
    {
      name: 'drain',
      run: async () => {
        shutdown.begin();
        await new Promise((resolve) => setTimeout(resolve, cfg.SHUTDOWN_DRAIN_SECONDS * 1000));
      },
    },
    { name: 'web', run: () => web.close() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  log.info({ url: web.url }, 'web server listening');
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
