/**
 * `npm run admin-link [-- <account id> [--host-app <name or id>]]`: prints a signed, single-use admin
 * link (valid 15 minutes) for an account, as POST /api/v1/accounts/{id}/admin-link would. The account
 * is the host's own id (with --host-app when several host apps use it) or the engine's internal id;
 * without one, `npm start`'s demo account.
 *
 * While `npm start` runs on the embedded database (PGlite serves one process at a time), the link
 * comes from the running engine through its local control endpoint ($DATA_DIR/engine.json); a
 * database held by another process is refused with what to do. With DATABASE_URL the database is
 * opened directly; the link needs the web server's SESSION_SECRET (npm start keeps its own in DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { publicUrl } from '../config';
import { openConfiguredDatabase } from '../db/from-config';
import { EmbeddedDatabaseInUseError } from '../db/pglite-lock';
import { issueAdminLink, AdminLinkRequestError, type IssuedAdminLink } from '../process/admin-link';
import { requestAdminLink, runningEngine } from '../process/local-control';
import { configOrExit, runCommand } from '../process/startup';
import { devSecrets } from '../security/secrets';

const USAGE = 'usage: npm run admin-link [-- <account id> [--host-app <name or id>]]';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { 'host-app': { type: 'string' } } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [accountRef, extra] = parsed.positionals;
  if (extra !== undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const hostApp = parsed.values['host-app'];
  const { cfg, log } = configOrExit();

  let link: IssuedAdminLink;
  try {
    const engine = cfg.DATABASE_URL ? undefined : runningEngine(cfg.DATA_DIR);
    if (engine) {
      link = await requestAdminLink(engine, { account: accountRef, hostApp }).catch((err: unknown) => {
        if (err instanceof AdminLinkRequestError) throw err;
        throw new Error(
          `npm start (pid ${engine.pid}) runs on ${cfg.DATA_DIR} but did not give a link (${(err as Error).message}). ` +
            'Wait until it prints "Press Ctrl-C to stop." and run npm run admin-link again, or stop it and run this again.',
          { cause: err },
        );
      });
    } else {
      const { sessionSecret } = devSecrets(cfg, log);
      const database = await openConfiguredDatabase(cfg);
      try {
        link = await issueAdminLink(database.db, {
          secret: sessionSecret,
          publicUrl: publicUrl(cfg),
          accountRef,
          hostApp,
        });
      } finally {
        await database.close();
      }
    }
  } catch (err) {
    if (err instanceof AdminLinkRequestError) {
      process.stderr.write(`admin-link: ${err.message}\n`);
      return 1;
    }
    if (err instanceof EmbeddedDatabaseInUseError || (err as Error).cause instanceof EmbeddedDatabaseInUseError) {
      const inUse =
        err instanceof EmbeddedDatabaseInUseError ? err : ((err as Error).cause as EmbeddedDatabaseInUseError);
      process.stderr.write(
        `admin-link: the embedded database in ${inUse.dataDir} is in use by another process (pid ${inUse.pid}) ` +
          'that does not hand out links. If it is npm start, wait until it prints "Press Ctrl-C to stop." and run ' +
          'npm run admin-link again; otherwise stop that process first, or use POST /api/v1/accounts/{id}/admin-link.\n',
      );
      return 1;
    }
    throw err;
  }
  process.stdout.write(
    `Admin link for "${link.accountName}" (${link.hostApp}), single use, valid until ${link.expiresAt}:\n\n  ${link.url}\n\n`,
  );
  return 0;
}

runCommand('admin-link', main);
