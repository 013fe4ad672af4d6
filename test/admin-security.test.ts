import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { revokeApiKey } from '../src/access/api-keys';
import { createAdminLink } from '../src/access/admin-links';
import { loadSettings } from '../src/settings/store';
import { startAdminApp, type AdminApp } from './support/admin-app';
import { csrfTokenOf, WebClient } from './support/web-client';
import { connectAccountForTest, parseAuthorizePage } from './support/xero-connect';

/**
 * Security: nothing answers without the right credential, one account's session cannot touch
 * another account, admin links are signed, expiring and single use, a foreign `state` is refused,
 * and no secret is stored or logged in clear.
 */

let app: AdminApp;
let hostA: { hostAppId: string; apiKey: string };
let hostB: { hostAppId: string; apiKey: string };
let accountA: string;
let accountB: string;

before(async () => {
  app = await startAdminApp();
  hostA = await app.newHostApp('Host A');
  hostB = await app.newHostApp('Host B');
  await app.api(hostA.apiKey, 'PUT', '/accounts/a', { name: 'Account A' });
  accountA = (
    await app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('host_app_id', '=', hostA.hostAppId)
      .executeTakeFirstOrThrow()
  ).id;
  await app.api(hostB.apiKey, 'PUT', '/accounts/b', { name: 'Account B' });
  accountB = (
    await app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('host_app_id', '=', hostB.hostAppId)
      .executeTakeFirstOrThrow()
  ).id;
});
after(async () => {
  await app.close();
});

async function signIn(apiKey: string, externalId: string): Promise<WebClient> {
  const link = await app.api(apiKey, 'POST', `/accounts/${externalId}/admin-link`);
  const browser = new WebClient();
  assert.equal((await browser.get(link.body.url)).status, 303);
  return browser;
}

const API_ROUTES: Array<[string, string]> = [
  ['PUT', '/api/v1/accounts/a'],
  ['GET', '/api/v1/accounts/a'],
  ['POST', '/api/v1/accounts/a/admin-link'],
  ['GET', '/api/v1/accounts/a/settings'],
  ['PUT', '/api/v1/accounts/a/settings'],
  ['PATCH', '/api/v1/accounts/a/settings'],
  ['DELETE', '/api/v1/accounts/a/connection'],
  ['GET', '/api/v1/anything-added-later'],
];

describe('credentials', () => {
  test('no API route answers without a valid, unrevoked key', async () => {
    const revoked = await app.newHostApp('Revoked host');
    await revokeApiKey(app.database.db, revoked.apiKey.slice(0, 12));
    const forged = `${hostA.apiKey.slice(0, -4)}AAAA`;
    for (const [method, path] of API_ROUTES) {
      for (const authorization of [
        undefined,
        'Bearer',
        `Bearer ${forged}`,
        `Bearer ${revoked.apiKey}`,
        `Basic ${Buffer.from(`x:${hostA.apiKey}`).toString('base64')}`,
      ]) {
        const res = await fetch(`${app.url}${path}`, {
          method,
          headers: authorization ? { authorization, 'content-type': 'application/json' } : {},
          body: method === 'GET' ? undefined : '{}',
        });
        assert.equal(res.status, 401, `${method} ${path} with ${authorization?.split(' ')[0] ?? 'nothing'}`);
        const body = (await res.json()) as { error: string };
        assert.equal(body.error, 'unauthorized');
      }
    }
  });

  test("a host app cannot see or change another host app's accounts", async () => {
    for (const [method, path] of API_ROUTES.filter(
      ([m, p]) => !(m === 'PUT' && p === '/api/v1/accounts/a') && !p.includes('later'),
    )) {
      const res = await app.api(hostB.apiKey, method, path.replace('/api/v1', ''), method === 'GET' ? undefined : {});
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.error, 'account_not_found');
    }
    // PUT with the same external id makes B's own account, leaving A's untouched.
    assert.equal((await app.api(hostB.apiKey, 'PUT', '/accounts/a', { name: 'B’s own a' })).status, 201);
    assert.equal((await app.api(hostA.apiKey, 'GET', '/accounts/a')).body.name, 'Account A');
  });

  test('API errors name the field and the reason', async () => {
    const bad = await app.api(hostA.apiKey, 'PUT', '/accounts/a', { name: '', options: 'x' });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.body.fields).sort(), ['name', 'options']);
    assert.equal(bad.body.fields.name, 'required');
    const json = await app.api(hostA.apiKey, 'PUT', '/accounts/a', '{"name":');
    assert.equal(json.status, 400);
    assert.equal(json.body.error, 'invalid_json');
    const unknown = await app.api(hostA.apiKey, 'PUT', '/accounts/a/settings', { revenueAccount: '200' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.fields['(body)'] ?? unknown.body.fields[''], 'unknown field: revenueAccount');
  });

  test('admin pages need a session for that very account; forms need the CSRF token', async () => {
    const anonymous = new WebClient();
    for (const path of ['', '/setup', '/organisation', '/disconnect']) {
      assert.equal((await anonymous.get(`${app.url}/admin/accounts/${accountA}${path}`)).status, 401);
    }
    assert.equal((await anonymous.post(`${app.url}/admin/accounts/${accountA}/connect`, { _csrf: 'x' })).status, 401);

    const a = await signIn(hostA.apiKey, 'a');
    const page = await a.get(`${app.url}/admin/accounts/${accountA}`);
    assert.equal(page.status, 200);
    const token = csrfTokenOf(page.text);

    // A's session, B's pages and forms: refused, nothing changes.
    for (const path of ['', '/setup', '/organisation', '/disconnect']) {
      const res = await a.get(`${app.url}/admin/accounts/${accountB}${path}`);
      assert.equal(res.status, 403, `GET B${path}`);
      assert.doesNotMatch(res.text, /Account B/);
    }
    for (const path of ['/setup', '/connect', '/disconnect', '/organisation']) {
      assert.equal(
        (await a.post(`${app.url}/admin/accounts/${accountB}${path}`, { _csrf: token, revenueAccountCode: '200' }))
          .status,
        403,
        `POST B${path}`,
      );
    }
    assert.equal(
      await app.database.db
        .selectFrom('settings')
        .select('account_id')
        .where('account_id', '=', accountB)
        .executeTakeFirst(),
      undefined,
    );
    assert.equal(
      await app.database.db
        .selectFrom('oauth_states')
        .select('id')
        .where('account_id', '=', accountB)
        .executeTakeFirst(),
      undefined,
    );

    // A's own form without (or with a wrong) CSRF token: refused.
    assert.equal((await a.post(`${app.url}/admin/accounts/${accountA}/connect`, {})).status, 403);
    assert.equal(
      (await a.post(`${app.url}/admin/accounts/${accountA}/connect`, { _csrf: `${token.slice(0, -2)}00` })).status,
      403,
    );
    // Another session's token is no good either.
    const other = await signIn(hostA.apiKey, 'a');
    const otherToken = csrfTokenOf((await other.get(`${app.url}/admin/accounts/${accountA}`)).text);
    assert.equal((await a.post(`${app.url}/admin/accounts/${accountA}/connect`, { _csrf: otherToken })).status, 403);
    assert.equal((await a.post(`${app.url}/admin/accounts/${accountA}/connect`, { _csrf: token })).status, 303);

    // Signing out ends the session.
    const out = await a.post(`${app.url}/admin/logout`, {
      _csrf: csrfTokenOf((await a.get(`${app.url}/admin/accounts/${accountA}`)).text),
    });
    assert.equal(out.status, 200);
    assert.equal((await a.get(`${app.url}/admin/accounts/${accountA}`)).status, 401);
  });

  test('the session cookie is HttpOnly and SameSite; pages are not cached and carry security headers', async () => {
    const link = await app.api(hostA.apiKey, 'POST', '/accounts/a/admin-link');
    const res = await fetch(link.body.url, { redirect: 'manual' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('xero-sync-admin='))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Path=\//);
    const page = await fetch(`${app.url}/admin/accounts/${accountA}`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action 'self' ${app.sim.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('admin links', () => {
  test('expired, replayed, tampered and foreign links are refused', async () => {
    const link = (await app.api(hostA.apiKey, 'POST', '/accounts/a/admin-link')).body;
    const expiresIn = new Date(link.expiresAt).getTime() - Date.now();
    assert.ok(expiresIn > 14 * 60_000 && expiresIn <= 15 * 60_000, 'valid about 15 minutes');
    const token = new URL(link.url).searchParams.get('token')!;
    const withToken = (t: string) => `${app.url}/admin/enter?token=${encodeURIComponent(t)}`;
    const [id, exp, sig] = token.split('.') as [string, string, string];

    // Tampered: another expiry, another id, another signature, nothing at all.
    for (const t of [
      `${id}.${Number(exp) + 3600}.${sig}`,
      `${accountB.slice(0, 35)}0.${exp}.${sig}`,
      `${id}.${exp}.${sig.slice(0, -2)}AA`,
      '',
      'garbage',
    ]) {
      const res = await new WebClient().get(withToken(t));
      assert.equal(res.status, 400, `tampered ${t.slice(0, 20)}`);
      assert.equal(res.headers.getSetCookie().length, 0);
    }
    // Signed with another secret.
    const foreign = await createAdminLink(app.database.db, {
      secret: 'another-secret-of-at-least-32-characters',
      publicUrl: app.url,
      accountId: accountA,
    });
    assert.equal((await new WebClient().get(foreign.url)).status, 400);

    // Genuine: works once.
    assert.equal((await new WebClient().get(link.url)).status, 303);
    const replay = await new WebClient().get(link.url);
    assert.equal(replay.status, 410);
    assert.match(replay.text, /already used/);

    // Expired (signature valid, time passed).
    const old = await createAdminLink(app.database.db, {
      secret: app.access.sessionSecret,
      publicUrl: app.url,
      accountId: accountA,
      ttlMs: -1000,
    });
    const expired = await new WebClient().get(old.url);
    assert.equal(expired.status, 410);
    assert.match(expired.text, /expired/);
  });

  test('two clicks on one link at once: exactly one session', async () => {
    const link = (await app.api(hostA.apiKey, 'POST', '/accounts/a/admin-link')).body;
    const results = await Promise.all(Array.from({ length: 5 }, () => new WebClient().get(link.url)));
    assert.deepEqual(results.map((r) => r.status).sort(), [303, 410, 410, 410, 410]);
  });
});

describe('OAuth state', () => {
  test('a state issued to another session, or made up, is refused and connects nothing', async () => {
    const a = await signIn(hostA.apiKey, 'a');
    const intruder = await signIn(hostA.apiKey, 'a');
    const page = await a.get(`${app.url}/admin/accounts/${accountA}`);
    const toXero = await a.post(`${app.url}/admin/accounts/${accountA}/connect`, { _csrf: csrfTokenOf(page.text) });
    const state = new URL(toXero.location!).searchParams.get('state')!;

    // Another browser presenting A's state (login CSRF / stolen callback): refused.
    const stolen = await intruder.get(`${app.url}/connect/callback?code=abc&state=${encodeURIComponent(state)}`);
    assert.equal(stolen.location, `${app.url}/admin/accounts/${accountA}?notice=invalid_state`);
    // No session at all.
    const none = await new WebClient().get(`${app.url}/connect/callback?code=abc&state=${encodeURIComponent(state)}`);
    assert.equal(none.status, 400);
    assert.match(none.text, /could not be verified/);
    // Made up.
    assert.equal(
      (await a.get(`${app.url}/connect/callback?code=abc&state=made-up`)).location,
      `${app.url}/admin/accounts/${accountA}?notice=invalid_state`,
    );
    assert.equal(
      (await a.get(`${app.url}/connect/callback?code=abc`)).location,
      `${app.url}/admin/accounts/${accountA}?notice=invalid_state`,
    );
    assert.equal(
      await app.database.db
        .selectFrom('connections')
        .select('id')
        .where('account_id', '=', accountA)
        .executeTakeFirst(),
      undefined,
    );
  });
});

describe('secrets at rest and in logs', () => {
  test('no token, key, link or code is stored or logged in clear', async () => {
    const host = await app.newHostApp('Leak check');
    await app.api(host.apiKey, 'PUT', '/accounts/leak', { name: 'Leak Ltd' });
    const account = await app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('external_id', '=', 'leak')
      .executeTakeFirstOrThrow();
    const link = (await app.api(host.apiKey, 'POST', '/accounts/leak/admin-link')).body.url as string;
    const browser = new WebClient();
    await browser.get(link);
    const sessionToken = [...browser.cookies.get(new URL(app.url).host)!.entries()].find(
      ([k]) => k === 'xero-sync-admin',
    )![1];

    // The real callback, through a browser, so its code and state pass through the request log.
    const page = await browser.get(`${app.url}/admin/accounts/${account.id}`);
    const toXero = await browser.post(`${app.url}/admin/accounts/${account.id}/connect`, {
      _csrf: csrfTokenOf(page.text),
    });
    const consent = await browser.get(toXero.location!);
    const parsed = parseAuthorizePage(consent.text);
    const form = new URLSearchParams(parsed.hidden);
    form.append('tenant', parsed.organisations[0]!.tenantId);
    form.set('decision', 'allow');
    const back = await browser.post(new URL(parsed.action, app.sim.url).toString(), form);
    const callback = new URL(back.location!);
    assert.equal((await browser.get(callback.toString())).status, 303);

    const row = await app.database.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow();
    const accessToken = app.access.cipher.decrypt(row.access_token_enc);
    const refreshToken = app.access.cipher.decrypt(row.refresh_token_enc);
    assert.match(row.access_token_enc, /^v1\./);
    // A refresh, so the rotated tokens are covered too.
    await app.database.db
      .updateTable('connections')
      .set({ access_token_expires_at: new Date() })
      .where('id', '=', row.id)
      .execute();
    const refreshed = await app.access.xeroAccess.accessFor(account.id);
    assert.notEqual(refreshed.accessToken, accessToken);

    const secrets = {
      apiKey: host.apiKey,
      adminLinkToken: new URL(link).searchParams.get('token')!,
      sessionToken,
      accessToken,
      refreshToken,
      refreshedAccessToken: refreshed.accessToken,
      code: callback.searchParams.get('code')!,
      state: callback.searchParams.get('state')!,
    };
    // Everything in every table, as text.
    const tables = [
      'host_apps',
      'api_keys',
      'accounts',
      'connections',
      'settings',
      'admin_links',
      'admin_sessions',
      'oauth_states',
      'pending_connections',
    ];
    let dump = '';
    for (const t of tables)
      dump += JSON.stringify((await sql`select * from ${sql.table(t)}`.execute(app.database.db)).rows);
    const logs = app.logLines.join('');
    assert.ok(logs.includes('/connect/callback'), 'the callback request was logged');
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value.length >= 20, `${name} looks like a secret`);
      assert.ok(!dump.includes(value), `${name} is stored in clear`);
      assert.ok(
        !logs.includes(value),
        `${name} is in the logs: ${app.logLines.find((l) => l.includes(value))?.slice(0, 600)}`,
      );
    }
    assert.equal((await loadSettings(app.database.db, account.id)).invoiceStatus, 'AUTHORISED');
  });

  test('connectAccountForTest stores a connection exactly as the callback does', async () => {
    const host = await app.newHostApp('Helper');
    await app.api(host.apiKey, 'PUT', '/accounts/helper', { name: 'Helper Ltd' });
    const account = await app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('external_id', '=', 'helper')
      .executeTakeFirstOrThrow();
    const c = await connectAccountForTest({
      db: app.database.db,
      cipher: app.access.cipher,
      simUrl: app.sim.url,
      accountId: account.id,
      tenantName: 'Acme Plumbing Ltd',
    });
    assert.equal(c.tenantName, 'Acme Plumbing Ltd');
    const access = await app.access.xeroAccess.accessFor(account.id);
    assert.equal(access.tenantId, c.tenantId);
    const orgs = await fetch(`${app.sim.url}/api.xro/2.0/Organisation`, {
      headers: {
        authorization: `Bearer ${access.accessToken}`,
        'xero-tenant-id': access.tenantId,
        accept: 'application/json',
      },
    });
    assert.equal(orgs.status, 200);
  });
});
