import { randomUUID } from 'node:crypto';
import { createAdminSession } from '../../src/access/admin-sessions';
import type { Db } from '../../src/db/database';
import { createLogger } from '../../src/log';
import type { TokenCipher } from '../../src/security/token-cipher';
import { chooseOrganisation, completeConnect, startConnect } from '../../src/xero/connect-flow';
import { connectionState } from '../../src/xero/connections';
import { createXeroIdentity, SIMULATOR_CLIENT, type XeroIdentity } from '../../src/xero/identity';
import { DEFAULT_XERO_SCOPES } from '../../src/config';

/**
 * Connects an account to the Xero simulator without a browser, through the real code flow: the
 * engine's own start (state + PKCE), the simulator's authorize page answered with "Allow" for one
 * organisation, and the engine's own callback handling — so the connection is stored exactly as the
 * callback stores it. For tests of anything that needs a connected account.
 */

export interface ConnectForTest {
  db: Db;
  cipher: TokenCipher;
  simUrl: string;
  /** The engine's internal account id (accounts.id). */
  accountId: string;
  /** The organisation to allow, by name; default: the first one the simulator lists. */
  tenantName?: string;
  identity?: XeroIdentity;
}

export interface TestConnection {
  connectionId: string;
  tenantId: string;
  tenantName: string;
}

export function simulatorIdentity(simUrl: string): XeroIdentity {
  return createXeroIdentity({
    loginUrl: simUrl,
    identityUrl: simUrl,
    apiUrl: simUrl,
    ...SIMULATOR_CLIENT,
    scopes: DEFAULT_XERO_SCOPES,
  });
}

/** The simulator's consent page, read just enough to answer it: hidden fields and organisation boxes. */
export function parseAuthorizePage(html: string): {
  action: string;
  hidden: Record<string, string>;
  organisations: Array<{ tenantId: string; name: string }>;
} {
  const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];
  const unescape = (s: string) =>
    s
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
      .replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"');
  const hidden: Record<string, string> = {};
  for (const [tag] of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (name) hidden[unescape(name)] = unescape(attr(tag, 'value') ?? '');
  }
  const organisations = [
    ...html.matchAll(/<input[^>]*name="tenant"[^>]*value="([^"]*)"[^>]*>\s*<span>([^<]*)<\/span>/g),
  ].map((m) => ({ tenantId: unescape(m[1]!), name: unescape(m[2]!) }));
  const action = attr(/<form[^>]*>/.exec(html)?.[0] ?? '', 'action') ?? '/identity/connect/authorize';
  return { action, hidden, organisations };
}

export async function connectAccountForTest(p: ConnectForTest): Promise<TestConnection> {
  const identity = p.identity ?? simulatorIdentity(p.simUrl);
  const flow = { db: p.db, cipher: p.cipher, identity, log: createLogger('silent') };
  const { session } = await createAdminSession(p.db, p.accountId);
  const authorizeUrl = await startConnect(flow, {
    accountId: p.accountId,
    sessionId: session.id,
    redirectUri: 'http://127.0.0.1:1/connect/callback',
  });

  const page = await fetch(authorizeUrl);
  if (!page.ok) throw new Error(`simulator authorize page answered ${page.status}: ${await page.text()}`);
  const { action, hidden, organisations } = parseAuthorizePage(await page.text());
  const org = p.tenantName ? organisations.find((o) => o.name === p.tenantName) : organisations[0];
  if (!org)
    throw new Error(
      `the simulator offers no organisation named ${p.tenantName ?? '(any)'}: ${organisations.map((o) => o.name).join(', ')}`,
    );

  const form = new URLSearchParams(hidden);
  form.append('tenant', org.tenantId);
  form.set('decision', 'allow');
  const answer = await fetch(new URL(action, p.simUrl), { method: 'POST', body: form, redirect: 'manual' });
  const location = answer.headers.get('location');
  if (!location) throw new Error(`the simulator did not redirect after Allow (HTTP ${answer.status})`);
  const back = new URL(location);
  const q = (k: string) => back.searchParams.get(k) ?? undefined;

  const result = await completeConnect(flow, session.id, { state: q('state'), code: q('code'), error: q('error') });
  if (result.kind === 'failed')
    throw new Error(`connect failed: ${result.reason}${result.xeroError ? ` (${result.xeroError})` : ''}`);
  if (result.kind === 'choose') {
    const chosen = await chooseOrganisation(flow, {
      accountId: p.accountId,
      sessionId: session.id,
      tenantId: org.tenantId,
    });
    if (!chosen.ok) throw new Error(`choosing the organisation failed: ${chosen.reason}`);
  }
  const state = await connectionState(p.db, p.accountId);
  if (state.status !== 'active') throw new Error('the connection was not stored');
  return { connectionId: state.connectionId, tenantId: state.tenantId, tenantName: state.tenantName };
}

/**
 * One account per organisation name under the host app, each with these settings and connected to
 * that organisation of the simulator; in the names' order.
 */
export async function connectedAccounts(p: {
  db: Db;
  cipher: TokenCipher;
  simUrl: string;
  hostAppId: string;
  names: readonly string[];
  settings: unknown;
}): Promise<Array<{ accountId: string; tenantId: string }>> {
  const accounts: Array<{ accountId: string; tenantId: string }> = [];
  for (const name of p.names) {
    const account = await p.db
      .insertInto('accounts')
      .values({ host_app_id: p.hostAppId, external_id: `acct-${randomUUID().slice(0, 8)}`, name, options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await p.db
      .insertInto('settings')
      .values({ account_id: account.id, settings: JSON.stringify(p.settings) })
      .execute();
    const conn = await connectAccountForTest({
      db: p.db,
      cipher: p.cipher,
      simUrl: p.simUrl,
      accountId: account.id,
      tenantName: name,
    });
    accounts.push({ accountId: account.id, tenantId: conn.tenantId });
  }
  return accounts;
}
