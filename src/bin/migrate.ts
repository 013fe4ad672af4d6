/** `npm run migrate`: brings the database schema up to date and exits (production deploy step). */
import { openConfiguredDatabase } from '../db/from-config';
import { configOrExit, exitOnStartupError } from '../process/startup';

const { cfg, log } = configOrExit();
openConfiguredDatabase(cfg)
  .then(async (database) => {
    log.info({ database: database.kind }, 'database schema is up to date');
    await database.close();
  })
  .catch((err) => exitOnStartupError(log, err));
