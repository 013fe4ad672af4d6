/** `npm run web`: the REST API and admin pages alone (production). Needs TEMPORAL_ADDRESS and DATABASE_URL. */
import { openConfiguredDatabase } from '../db/from-config';
import { openTemporal } from '../temporal/connection';
import { createApp } from '../../web/app';
import { listen } from '../../web/server';
import { configOrExit, exitOnStartupError, onShutdown } from '../process/startup';

async function main() {
  const { cfg, log } = configOrExit();
  if (!cfg.TEMPORAL_ADDRESS) throw new Error('TEMPORAL_ADDRESS: required for a standalone web server (npm start runs everything in one process)');
  const database = await openConfiguredDatabase(cfg);
  const temporal = await openTemporal(cfg, log, { devServerStore: 'memory' });
  const web = await listen(createApp({ db: database.db, temporal: temporal.client, log }), cfg.PORT, cfg.HOST);
  onShutdown(log, [
    { name: 'web', run: () => web.close() },
    { name: 'temporal', run: () => temporal.close() },
    { name: 'database', run: () => database.close() },
  ]);
  log.info({ url: web.url }, 'web server listening');
}

main().catch((err) => exitOnStartupError(configOrExit().log, err));
