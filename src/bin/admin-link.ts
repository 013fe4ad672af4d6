/**
 * `npm run admin-link -- <account id> [--host-app <name or id>]`: prints a signed, single-use admin
 * link (valid 15 minutes) for an account, as POST /api/v1/accounts/{id}/admin-link would. The account
 * is the host's own id (with --host-app when several host apps use it) or the engine's internal id.
 * Needs the same SESSION_SECRET as the web server (npm start keeps its own in DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { createAdminLink } from '../access/admin-links';
import { publicUrl } from '../config';
import { openConfiguredDatabase } from '../db/from-config';
import { configOrExit, runCommand } from '../process/startup';
import { devSecrets } from '../security/secrets';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'host-app': { type: 'string' } } });
  const [accountRef] = positionals;
  if (!accountRef) {
    process.stderr.write('usage: npm run admin-link -- <account id> [--host-app <name or id>]\n');
    return 2;
  }
  const { cfg, log } = configOrExit();
  const { sessionSecret } = devSecrets(cfg, log);
  const database = await openConfiguredDatabase(cfg);
  try {
    const db = database.db;
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(accountRef);
    let query = db
      .selectFrom('accounts')
      .innerJoin('host_apps', 'host_apps.id', 'accounts.host_app_id')
      .select(['accounts.id', 'accounts.name', 'host_apps.name as hostApp'])
      .where((eb) =>
        isUuid
          ? eb.or([eb('accounts.id', '=', accountRef), eb('accounts.external_id', '=', accountRef)])
          : eb('accounts.external_id', '=', accountRef),
      );
    const hostApp = values['host-app'];
    if (hostApp)
      query = query.where((eb) =>
        eb.or([
          eb('host_apps.name', '=', hostApp),
          ...(/^[0-9a-f-]{36}$/i.test(hostApp) ? [eb('host_apps.id', '=', hostApp)] : []),
        ]),
      );
    const accounts = await query.execute();
    if (accounts.length === 0)
      throw new Error(`no account "${accountRef}"${hostApp ? ` for host app ${hostApp}` : ''}`);
    if (accounts.length > 1)
      throw new Error(
        `several host apps have an account "${accountRef}": add --host-app (${accounts.map((a) => a.hostApp).join(', ')})`,
      );
    const account = accounts[0]!;
    const link = await createAdminLink(db, { secret: sessionSecret, publicUrl: publicUrl(cfg), accountId: account.id });
    process.stdout.write(
      `Admin link for "${account.name}" (${account.hostApp}), single use, valid until ${link.expiresAt.toISOString()}:\n\n  ${link.url}\n\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

runCommand('admin-link', main);
