import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_CLIENT_ID } from '../../src/xero-sim/server';
import {
  accountingApi,
  basic,
  consent,
  connectViaConsent,
  pkcePair,
  rawApi,
  REDIRECT_URI,
  rejection,
  SCOPE,
  startTestSim,
  tokenRequest,
} from './helpers';

const DAY = 86_400_000;

describe('identity: consent page, tokens, revocation, connections', async () => {
  const sim = await startTestSim();
  const { url } = sim;

  it("shows the consent page with the user's organisations and Allow/Deny", async () => {
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: DEMO_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state: 'abc',
    });
    const res = await fetch(`${url}/identity/connect/authorize?${q}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /Demo Company \(NZ\)/);
    assert.match(html, /Acme Plumbing Ltd/);
    assert.match(html, /value="allow"/);
    assert.match(html, /value="deny"/);
    assert.match(html, /name="tenant" value="[0-9a-f-]{36}"/);
  });

  it('refuses an unknown client, a foreign redirect URI, another response_type and an unknown scope', async () => {
    const base = {
      response_type: 'code',
      client_id: DEMO_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state: 'x',
    };
    for (const [patch, fragment] of [
      [{ client_id: 'nobody' }, 'unauthorized_client'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid accounting.everything' }, 'invalid_scope'],
      [{ redirect_uri: 'not a url' }, 'redirect_uri'],
    ] as const) {
      const res = await fetch(`${url}/identity/connect/authorize?${new URLSearchParams({ ...base, ...patch })}`, {
        redirect: 'manual',
      });
      assert.equal(res.status, 400, JSON.stringify(patch));
      assert.match(await res.text(), new RegExp(fragment));
    }
    sim.sim.addApp({ clientId: 'strict-app', clientSecret: 's', redirectUris: ['https://app.example/cb'] });
    const res = await fetch(
      `${url}/identity/connect/authorize?${new URLSearchParams({ ...base, client_id: 'strict-app', redirect_uri: 'https://evil.example/cb' })}`,
      { redirect: 'manual' },
    );
    assert.equal(res.status, 400);
  });

  it('Deny redirects with error=access_denied and the state', async () => {
    const { status, query } = await consent(url, { decision: 'deny', tenants: [sim.tenantId], state: 'keep-me' });
    assert.equal(status, 302);
    assert.equal(query.get('error'), 'access_denied');
    assert.equal(query.get('state'), 'keep-me');
    assert.equal(query.get('code'), null);
  });

  it('Allow redirects with a code and the state', async () => {
    const { status, query } = await consent(url, { tenants: [sim.tenantId], state: 's1' });
    assert.equal(status, 302);
    assert.match(query.get('code') ?? '', /^[0-9a-f]{64}$/);
    assert.equal(query.get('state'), 's1');
  });

  it('answers the code exchange as Xero does: JWT access token, 1800 s, Bearer, scope, refresh and id tokens', async () => {
    const tokens = await connectViaConsent(url, [sim.tenantId]);
    assert.equal(tokens.access_token.split('.').length, 3);
    const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    assert.equal(payload.client_id, DEMO_CLIENT_ID);
    assert.ok(payload.exp - payload.nbf === 1800);
    assert.equal(tokens.expires_in, 1800);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.scope, SCOPE);
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.id_token?.split('.').length, 3);
  });

  it('gives no refresh token without offline_access and no id_token without openid', async () => {
    const tokens = await connectViaConsent(url, [sim.tenantId], 'accounting.settings');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
  });

  it('verifies PKCE (S256), the redirect URI and the client, and spends a code once', async () => {
    const { verifier, challenge } = pkcePair();
    const code = (await consent(url, { tenants: [sim.tenantId], challenge })).query.get('code')!;
    const wrong = await tokenRequest(url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: `${verifier}x`,
    });
    assert.deepEqual([wrong.status, wrong.body], [400, { error: 'invalid_grant' }]);
    // A wrong attempt spends the code.
    const retry = await tokenRequest(url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.deepEqual([retry.status, retry.body], [400, { error: 'invalid_grant' }]);

    const code2 = (await consent(url, { tenants: [sim.tenantId], challenge })).query.get('code')!;
    const badClient = await tokenRequest(
      url,
      { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      basic(DEMO_CLIENT_ID, 'wrong'),
    );
    assert.deepEqual([badClient.status, badClient.body], [400, { error: 'invalid_client' }]);
    const noAuth = await tokenRequest(
      url,
      { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      '',
    );
    assert.deepEqual([noAuth.status, noAuth.body], [400, { error: 'invalid_client' }]);
    const ok = await tokenRequest(url, {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(ok.status, 200);
    const again = await tokenRequest(url, {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.deepEqual([again.status, again.body], [400, { error: 'invalid_grant' }]);
    const otherGrant = await tokenRequest(url, { grant_type: 'password' });
    assert.deepEqual([otherGrant.status, otherGrant.body], [400, { error: 'unsupported_grant_type' }]);
  });

  it('rotates refresh tokens; the previous one works again within the grace period (same answer), then invalid_grant', async () => {
    const first = await connectViaConsent(url, [sim.tenantId]);
    const r1 = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refresh_token, first.refresh_token);
    assert.notEqual(r1.body.access_token, first.access_token);
    // The answer was "lost": the old token is used again within 30 minutes.
    sim.sim.advanceTime(20 * 60_000);
    const replay = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    assert.equal(replay.status, 200);
    assert.equal(replay.body.refresh_token, r1.body.refresh_token);
    assert.equal(replay.body.access_token, r1.body.access_token);
    sim.sim.advanceTime(11 * 60_000);
    const late = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    assert.deepEqual([late.status, late.body], [400, { error: 'invalid_grant' }]);
    // The new one still rotates.
    const r2 = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token as string });
    assert.equal(r2.status, 200);
  });

  it('lets an unused refresh token expire after 60 days', async () => {
    const t = await connectViaConsent(url, [sim.tenantId]);
    sim.sim.advanceTime(59 * DAY);
    const fresh = await connectViaConsent(url, [sim.tenantId]);
    const ok = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: fresh.refresh_token! });
    assert.equal(ok.status, 200);
    sim.sim.advanceTime(1 * DAY + 1000);
    const expired = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: t.refresh_token! });
    assert.deepEqual([expired.status, expired.body], [400, { error: 'invalid_grant' }]);
  });

  it('answers 401 TokenExpired once the access token is 30 minutes old', async () => {
    const t = await connectViaConsent(url, [sim.tenantId]);
    sim.sim.advanceTime(30 * 60_000 + 1000);
    const res = await rawApi({ url, tokens: t, tenantId: sim.tenantId }, 'GET', '/Organisation');
    assert.equal(res.status, 401);
    assert.equal(res.json.Title, 'Unauthorized');
    assert.equal(res.json.Status, 401);
    assert.match(res.json.Detail, /^TokenExpired: token expired at \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
    assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
    const viaNode = await rejection(accountingApi(url, t.access_token).getOrganisations(sim.tenantId));
    assert.equal(viaNode.response.statusCode, 401);
  });

  it('answers 401 for a made-up token and 403 for a missing, unknown or unconnected tenant', async () => {
    const t = await connectViaConsent(url, [sim.tenantId]);
    const bogus = await rawApi(
      { url, tokens: { ...t, access_token: 'nope' }, tenantId: sim.tenantId },
      'GET',
      '/Organisation',
    );
    assert.equal(bogus.status, 401);
    assert.equal(bogus.json.Detail, 'AuthenticationUnsuccessful');
    for (const tenantId of ['', '00000000-0000-0000-0000-000000000000']) {
      const res = await rawApi({ url, tokens: t, tenantId }, 'GET', '/Organisation');
      assert.equal(res.status, 403);
      assert.deepEqual([res.json.Title, res.json.Detail], ['Forbidden', 'AuthenticationUnsuccessful']);
    }
  });

  it("answers 401 insufficient_scope when the token lacks the endpoint's scope (read scopes allow GET only)", async () => {
    const t = await connectViaConsent(
      url,
      [sim.tenantId],
      'offline_access accounting.settings accounting.contacts.read',
    );
    const api = accountingApi(url, t.access_token);
    await api.getOrganisations(sim.tenantId);
    await api.getContacts(sim.tenantId);
    const write = await rejection(api.createContacts(sim.tenantId, { contacts: [{ name: 'Scope Test' }] }));
    assert.equal(write.response.statusCode, 401);
    assert.match(write.response.headers['www-authenticate'] ?? '', /insufficient_scope/);
    const invoices = await rejection(api.getInvoices(sim.tenantId));
    assert.equal(invoices.response.statusCode, 401);
  });

  it("lists connections with Xero's fields and deletes one (its tenant then answers 403)", async () => {
    const t = await connectViaConsent(url, [sim.tenantId, sim.otherTenantId]);
    const list = await fetch(`${url}/connections`, { headers: { authorization: `Bearer ${t.access_token}` } });
    assert.equal(list.status, 200);
    const connections = (await list.json()) as Array<Record<string, string>>;
    const mine = connections.filter((c) => c.tenantId === sim.otherTenantId);
    assert.equal(mine.length, 1);
    const c = mine[0]!;
    assert.deepEqual(Object.keys(c).sort(), [
      'authEventId',
      'createdDateUtc',
      'id',
      'tenantId',
      'tenantName',
      'tenantType',
      'updatedDateUtc',
    ]);
    assert.equal(c.tenantType, 'ORGANISATION');
    assert.equal(c.tenantName, 'Acme Plumbing Ltd');
    assert.match(c.createdDateUtc!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$/);
    const del = await fetch(`${url}/connections/${c.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.access_token}` },
    });
    assert.equal(del.status, 204);
    const res = await rawApi({ url, tokens: t, tenantId: sim.otherTenantId }, 'GET', '/Organisation');
    assert.equal(res.status, 403);
    const stillOk = await rawApi({ url, tokens: t, tenantId: sim.tenantId }, 'GET', '/Organisation');
    assert.equal(stillOk.status, 200);
    const noToken = await fetch(`${url}/connections`);
    assert.equal(noToken.status, 401);
  });

  it('revocation ends the refresh token, its access tokens and its connections', async () => {
    const t = await connectViaConsent(url, [sim.otherTenantId]);
    const res = await fetch(`${url}/connect/revocation`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: t.refresh_token! }),
    });
    assert.equal(res.status, 200);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: t.refresh_token! });
    assert.deepEqual([refresh.status, refresh.body], [400, { error: 'invalid_grant' }]);
    const call = await rawApi({ url, tokens: t, tenantId: sim.otherTenantId }, 'GET', '/Organisation');
    assert.equal(call.status, 401);
  });

  it('forced revocation from the control API behaves like a user disconnecting the app', async () => {
    const t = await connectViaConsent(url, [sim.tenantId]);
    const res = await fetch(`${url}/__sim/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: sim.tenantId }),
    });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { revokedGrants: number }).revokedGrants >= 1);
    assert.equal((await rawApi({ url, tokens: t, tenantId: sim.tenantId }, 'GET', '/Organisation')).status, 401);
    const refresh = await tokenRequest(url, { grant_type: 'refresh_token', refresh_token: t.refresh_token! });
    assert.equal(refresh.status, 400);
  });
});
