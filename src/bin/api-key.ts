/**
 * `npm run api-key -- create --host-app "Quotes Co" [--webhook-url https://…]`: creates an API key
 * for a host app (and the host app, if no app has that name or id). The key is printed once and
 * stored only as a hash. Also `list`, and `revoke <prefix>`.
 */
import { parseArgs } from 'node:util';
import { createApiKey, createHostApp, listApiKeys, revokeApiKey } from '../access/api-keys';
import { openConfiguredDatabase } from '../db/from-config';
import type { Db } from '../db/database';
import { configOrExit, runCommand } from '../process/startup';

const USAGE = `usage:
  npm run api-key -- create --host-app <name or id> [--webhook-url <url>]
  npm run api-key -- list
  npm run api-key -- revoke <key prefix>`;

async function findOrCreateHostApp(
  db: Db,
  nameOrId: string,
  webhookUrl: string | undefined,
): Promise<{ id: string; name: string; created: boolean }> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrId);
  const found = await db
    .selectFrom('host_apps')
    .select(['id', 'name'])
    .where(isUuid ? 'id' : 'name', '=', nameOrId)
    .execute();
  if (found.length > 1)
    throw new Error(`several host apps are named "${nameOrId}": pass the id instead (npm run api-key -- list)`);
  if (found[0]) return { ...found[0], created: false };
  if (isUuid) throw new Error(`no host app with id ${nameOrId}`);
  return { ...(await createHostApp(db, { name: nameOrId, webhookUrl })), created: true };
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'host-app': { type: 'string' }, 'webhook-url': { type: 'string' } },
  });
  const [command, arg] = positionals;
  if (
    !command ||
    !['create', 'list', 'revoke'].includes(command) ||
    (command === 'create' && !values['host-app']) ||
    (command === 'revoke' && !arg)
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { cfg } = configOrExit();
  const database = await openConfiguredDatabase(cfg);
  try {
    if (command === 'create') {
      const app = await findOrCreateHostApp(database.db, values['host-app']!, values['webhook-url']);
      const key = await createApiKey(database.db, app.id);
      process.stdout.write(
        [
          `${app.created ? 'Created host app' : 'Host app'} "${app.name}" (${app.id})`,
          `API key (shown once, store it now; only its hash is kept):`,
          ``,
          `  ${key.key}`,
          ``,
          `Use it as: Authorization: Bearer ${key.prefix}…`,
          '',
        ].join('\n'),
      );
    } else if (command === 'list') {
      for (const k of await listApiKeys(database.db)) {
        const state = k.revoked_at
          ? `revoked ${k.revoked_at.toISOString()}`
          : k.last_used_at
            ? `last used ${k.last_used_at.toISOString()}`
            : 'never used';
        process.stdout.write(
          `${k.prefix}…  ${k.hostAppName} (${k.hostAppId})  created ${k.created_at.toISOString()}  ${state}\n`,
        );
      }
    } else {
      const n = await revokeApiKey(database.db, arg!);
      process.stdout.write(n > 0 ? `Revoked ${n} key(s) starting ${arg}\n` : `No active key starts with ${arg}\n`);
      return n > 0 ? 0 : 1;
    }
    return 0;
  } finally {
    await database.close();
  }
}

runCommand('api-key', main);
