/** `npm run web`: the REST API and admin pages alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { buildAdminAccess, rateLimitsFromConfig } from '../access/wiring';
import { accountHooks } from '../process/account-hooks';
import { publicUrl } from '../config';
import { openConfiguredDatabase } from '../db/from-config';
import { requireSecrets } from '../security/secrets';
import { identityOptionsFromConfig } from '../xero/identity';
import { openTemporal } from '../temporal/connection';
import { createApp } from '../../web/app';
import { listen } from '../../web/server';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';

async function main() {
  const { cfg, log } = configOrExit();
  if (!cfg.TEMPORAL_ADDRESS)
    throw new Error(
      'TEMPORAL_ADDRESS: required for a standalone web server (npm start runs everything in one process)',
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
  const web = await listen(
    createApp({
      db: database.db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      ...temporalUi,
      allowPrivateNetworks: cfg.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
    }),
    cfg.PORT,
    cfg.HOST,
  );
  onShutdown(log, [
    { name: 'web', run: () => web.close() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  log.info({ url: web.url }, 'web server listening');
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
