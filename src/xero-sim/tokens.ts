import { createHash, createHmac, randomBytes } from 'node:crypto';
import { newId } from './ids';
import type { AccessTokenRec, GrantRec, Store, TokenAnswer } from './store';

/**
 * Xero's token lifecycle: JWT-shaped access tokens that expire (30 minutes by default), refresh
 * tokens that rotate on every use, live 60 days unused, and can be used once more within a grace
 * period after rotating (for a client that lost the answer), and grants that revocation ends.
 */

const SIGNING_KEY = randomBytes(32);

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function jwt(payload: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: 'xero-sim', typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const signature = createHmac('sha256', SIGNING_KEY).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}

function opaque(): string {
  return randomBytes(32).toString('hex');
}

export function issueTokens(store: Store, grant: GrantRec, nonce?: string): TokenAnswer {
  const now = store.now();
  const o = store.options;
  const iat = Math.floor(now / 1000);
  const exp = Math.floor((now + o.accessTokenTtlMs) / 1000);
  const access = jwt({
    nbf: iat,
    exp,
    iss: store.baseUrl,
    aud: `${store.baseUrl}/resources`,
    client_id: grant.clientId,
    sub: createHash('sha256').update(store.user.id).digest('hex').slice(0, 32),
    auth_time: Math.floor(grant.createdAt / 1000),
    xero_userid: store.user.id,
    global_session_id: grant.id.replace(/-/g, ''),
    jti: newId().replace(/-/g, ''),
    authentication_event_id: grant.id,
    scope: grant.scope,
  });
  store.accessTokens.set(access, { token: access, grantId: grant.id, expiresAt: now + o.accessTokenTtlMs });
  const answer: TokenAnswer = {
    access_token: access,
    expires_in: Math.round(o.accessTokenTtlMs / 1000),
    token_type: 'Bearer',
    scope: grant.scope.join(' '),
  };
  if (grant.scope.includes('offline_access')) {
    const refresh = opaque();
    store.refreshTokens.set(refresh, { token: refresh, grantId: grant.id, expiresAt: now + o.refreshTokenTtlMs });
    answer.refresh_token = refresh;
  }
  if (grant.scope.includes('openid')) {
    const [given, ...family] = store.user.name.split(' ');
    answer.id_token = jwt({
      nbf: iat,
      exp: iat + 300,
      iss: store.baseUrl,
      aud: grant.clientId,
      iat,
      nonce,
      sid: grant.id.replace(/-/g, ''),
      sub: createHash('sha256').update(store.user.id).digest('hex').slice(0, 32),
      auth_time: Math.floor(grant.createdAt / 1000),
      xero_userid: store.user.id,
      global_session_id: grant.id.replace(/-/g, ''),
      preferred_username: store.user.email,
      email: store.user.email,
      given_name: given,
      family_name: family.join(' '),
      name: store.user.name,
    });
  }
  return answer;
}

export function newGrant(store: Store, clientId: string, scope: string[]): GrantRec {
  const grant: GrantRec = {
    id: newId(),
    clientId,
    userId: store.user.id,
    scope,
    revoked: false,
    createdAt: store.now(),
  };
  store.grants.set(grant.id, grant);
  return grant;
}

/** The refresh grant: rotate; a just-rotated token within the grace period gets the same answer again. */
export function refreshTokens(store: Store, token: string, clientId: string): TokenAnswer | undefined {
  const now = store.now();
  const rec = store.refreshTokens.get(token);
  if (!rec) return undefined;
  const grant = store.grants.get(rec.grantId);
  if (!grant || grant.revoked || grant.clientId !== clientId) return undefined;
  if (rec.rotatedAt !== undefined) {
    if (now - rec.rotatedAt > store.options.refreshGraceMs || !rec.answer) return undefined;
    return {
      ...rec.answer,
      expires_in: Math.max(
        0,
        Math.round(((store.accessTokens.get(rec.answer.access_token)?.expiresAt ?? now) - now) / 1000),
      ),
    };
  }
  if (rec.expiresAt <= now) return undefined;
  const answer = issueTokens(store, grant);
  rec.rotatedAt = now;
  rec.answer = answer;
  return answer;
}

/** Ends a grant: its tokens stop working and the connections it made are removed. */
export function revokeGrant(store: Store, grantId: string): void {
  const grant = store.grants.get(grantId);
  if (!grant) return;
  grant.revoked = true;
  for (const [k, t] of store.accessTokens) if (t.grantId === grantId) store.accessTokens.delete(k);
  for (const [k, t] of store.refreshTokens) if (t.grantId === grantId) store.refreshTokens.delete(k);
  for (const [k, c] of store.connections) if (c.authEventId === grantId) store.connections.delete(k);
}

export type AccessCheck = { ok: true; token: AccessTokenRec; grant: GrantRec } | { ok: false; expiredAt?: number };

export function checkAccessToken(store: Store, token: string | undefined): AccessCheck {
  if (!token) return { ok: false };
  const rec = store.accessTokens.get(token);
  if (!rec) return { ok: false };
  const grant = store.grants.get(rec.grantId);
  if (!grant || grant.revoked) return { ok: false };
  if (rec.expiresAt <= store.now()) return { ok: false, expiredAt: rec.expiresAt };
  return { ok: true, token: rec, grant };
}

export function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Connects (or reconnects) the user's chosen tenants to the app under this grant. */
export function connectTenants(store: Store, grant: GrantRec, tenantIds: string[]): void {
  const now = store.now();
  for (const tenantId of tenantIds) {
    const existing = [...store.connections.values()].find(
      (c) => c.clientId === grant.clientId && c.userId === grant.userId && c.tenantId === tenantId,
    );
    if (existing) {
      existing.authEventId = grant.id;
      existing.updatedAt = now;
    } else {
      const id = newId();
      store.connections.set(id, {
        id,
        clientId: grant.clientId,
        userId: grant.userId,
        tenantId,
        authEventId: grant.id,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
}
