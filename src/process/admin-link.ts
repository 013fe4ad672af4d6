import type { Db } from '../db/database';
import { createAdminLink } from '../access/admin-links';
import { DEMO_ACCOUNT, DEMO_HOST_APP } from './demo';

/** What `npm run admin-link` prints: a fresh signed, single-use link for one account. */
export interface IssuedAdminLink {
  url: string;
  expiresAt: string;
  accountName: string;
  hostApp: string;
}

/** A mistake in what was asked (no such account, ambiguous): said as is, never a stack trace. */
export class AdminLinkRequestError extends Error {
  override name = 'AdminLinkRequestError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds the account (the host's own id, with `hostApp` when several host apps use it, or the
 * engine's id; none = `npm start`'s demo account) and signs a link for it. Used by the CLI on a
 * database it opens itself, and by `npm start`'s local control endpoint on its own database.
 */
export async function issueAdminLink(
  db: Db,
  p: { secret: string; publicUrl: string; accountRef?: string; hostApp?: string },
): Promise<IssuedAdminLink> {
  const accountRef = p.accountRef || DEMO_ACCOUNT;
  const hostApp = p.accountRef ? p.hostApp : (p.hostApp ?? DEMO_HOST_APP);
  let query = db
    .selectFrom('accounts')
    .innerJoin('host_apps', 'host_apps.id', 'accounts.host_app_id')
    .select(['accounts.id', 'accounts.name', 'host_apps.name as hostApp'])
    .where((eb) =>
      UUID.test(accountRef)
        ? eb.or([eb('accounts.id', '=', accountRef), eb('accounts.external_id', '=', accountRef)])
        : eb('accounts.external_id', '=', accountRef),
    );
  if (hostApp)
    query = query.where((eb) =>
      eb.or([eb('host_apps.name', '=', hostApp), ...(UUID.test(hostApp) ? [eb('host_apps.id', '=', hostApp)] : [])]),
    );
  const accounts = await query.execute();
  if (accounts.length === 0)
    throw new AdminLinkRequestError(
      p.accountRef
        ? `no account "${accountRef}"${hostApp ? ` for host app ${hostApp}` : ''}`
        : `no demo account yet (npm start creates it); name an account: npm run admin-link -- <account id>`,
    );
  if (accounts.length > 1)
    throw new AdminLinkRequestError(
      `several host apps have an account "${accountRef}": add --host-app (${accounts.map((a) => a.hostApp).join(', ')})`,
    );
  const account = accounts[0]!;
  const link = await createAdminLink(db, { secret: p.secret, publicUrl: p.publicUrl, accountId: account.id });
  return {
    url: link.url,
    expiresAt: link.expiresAt.toISOString(),
    accountName: account.name,
    hostApp: account.hostApp,
  };
}
