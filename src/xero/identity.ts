import { createHash } from 'node:crypto';
import { z } from 'zod';
import { usesXeroSimulator, type Config } from '../config';
import { XeroApiError } from './errors';

/**
 * Xero's identity endpoints, called directly (xero-node's XeroClient hard-codes Xero's hosts):
 * authorize URL, code exchange, refresh, revocation, and the tenant connections of a token.
 * The paths are Xero's real ones; only the base URLs change for the simulator.
 */

export interface XeroIdentityOptions {
  loginUrl: string;
  identityUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated, as Xero expects them. */
  scopes: string;
  timeoutMs?: number;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scopes: string;
}

export interface XeroTenantConnection {
  /** Xero's connection id: what `DELETE /connections/{id}` takes. */
  id: string;
  tenantId: string;
  tenantType: string;
  tenantName: string;
}

/** Xero answered 400 `invalid_grant`: the code or refresh token is used, expired or revoked. Reconnecting is the only way on. */
export class InvalidGrantError extends Error {
  constructor(readonly description?: string) {
    super(`Xero refused the grant (invalid_grant${description ? `: ${description}` : ''})`);
    this.name = 'InvalidGrantError';
  }
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });

const connectionsResponse = z.array(
  z.object({
    id: z.string(),
    tenantId: z.string(),
    tenantType: z.string(),
    tenantName: z.string().nullable().optional(),
  }),
);

/** The demo app the Xero simulator knows, used when no real Xero app is configured. */
export const SIMULATOR_CLIENT = { clientId: 'xero-sim-client', clientSecret: 'xero-sim-secret' } as const;

/**
 * Identity options from config. With no XERO_CLIENT_ID the engine talks to the simulator with its demo
 * app: pass the simulator's URL to aim all three bases at it (or set the XERO_*_URL variables).
 */
export function identityOptionsFromConfig(cfg: Config, simulatorUrl?: string): XeroIdentityOptions {
  const scopes = cfg.XERO_SCOPES;
  if (!usesXeroSimulator(cfg)) {
    return {
      loginUrl: cfg.XERO_LOGIN_URL,
      identityUrl: cfg.XERO_IDENTITY_URL,
      apiUrl: cfg.XERO_API_URL,
      clientId: cfg.XERO_CLIENT_ID!,
      clientSecret: cfg.XERO_CLIENT_SECRET!,
      scopes,
    };
  }
  if (simulatorUrl)
    return { loginUrl: simulatorUrl, identityUrl: simulatorUrl, apiUrl: simulatorUrl, ...SIMULATOR_CLIENT, scopes };
  return {
    loginUrl: cfg.XERO_LOGIN_URL,
    identityUrl: cfg.XERO_IDENTITY_URL,
    apiUrl: cfg.XERO_API_URL,
    ...SIMULATOR_CLIENT,
    scopes,
  };
}

/** PKCE S256: the challenge sent with the authorize request for the verifier kept server-side. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

const trim = (url: string) => url.replace(/\/+$/, '');

export interface XeroIdentity {
  /** Where the admin's browser is sent to sign in (its origin is allowed as a form target). */
  readonly loginUrl: string;
  readonly apiUrl: string;
  readonly scopes: string;
  authorizeUrl(p: { redirectUri: string; state: string; codeChallenge: string }): string;
  exchangeCode(p: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /** Revokes the refresh token and every tenant connection made with it. */
  revoke(refreshToken: string): Promise<void>;
  /** The tenants this token may use; with `authEventId`, only those authorised in that sign-in. */
  connections(accessToken: string, authEventId?: string): Promise<XeroTenantConnection[]>;
}

/**
 * The `authentication_event_id` claim of a Xero access token (a JWT), which Xero recommends using to
 * list only the organisations just authorised. Read without verifying: the token came straight from
 * Xero's token endpoint, and a wrong value only widens the list the admin chooses from.
 */
export function authEventIdOf(accessToken: string): string | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const id = claims.authentication_event_id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

export function createXeroIdentity(options: XeroIdentityOptions): XeroIdentity {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const basic = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;

  async function send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      // A lost answer on a refresh is survivable: Xero accepts the old refresh token again for 30 minutes.
      throw new XeroApiError('network', 0, `no answer from Xero identity: ${(err as Error).message}`);
    }
  }

  async function failure(res: Response, what: string): Promise<Error> {
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const parsed = oauthError.safeParse(body);
    if (res.status === 400 && parsed.success && parsed.data.error === 'invalid_grant')
      return new InvalidGrantError(parsed.data.error_description);
    const reason = parsed.success ? parsed.data.error : `HTTP ${res.status}`;
    if (res.status === 429)
      return new XeroApiError(
        'rate_limited',
        429,
        `${what}: Xero rate limit`,
        [],
        Number(res.headers.get('retry-after')) || undefined,
      );
    if (res.status >= 500) return new XeroApiError('server', res.status, `${what}: Xero answered ${res.status}`);
    if (res.status === 401)
      return new XeroApiError('unauthorized', 401, `${what}: Xero refused the credentials (${reason})`);
    if (res.status === 403) return new XeroApiError('forbidden', 403, `${what}: Xero refused access (${reason})`);
    return new XeroApiError('bad_request', res.status, `${what}: Xero refused the request (${reason})`);
  }

  async function tokenGrant(form: Record<string, string>, what: string): Promise<TokenSet> {
    const res = await send(`${trim(options.identityUrl)}/connect/token`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
    });
    if (!res.ok) throw await failure(res, what);
    const parsed = tokenResponse.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success)
      throw new XeroApiError('server', res.status, `${what}: Xero's token answer was not understood`);
    return {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000),
      scopes: parsed.data.scope ?? options.scopes,
    };
  }

  return {
    loginUrl: options.loginUrl,
    apiUrl: options.apiUrl,
    scopes: options.scopes,
    authorizeUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${trim(options.loginUrl)}/identity/connect/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: options.clientId,
        redirect_uri: redirectUri,
        scope: options.scopes,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url.toString();
    },
    exchangeCode({ code, redirectUri, codeVerifier }) {
      return tokenGrant(
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier },
        'code exchange',
      );
    },
    refresh(refreshToken) {
      return tokenGrant({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'token refresh');
    },
    async revoke(refreshToken) {
      const res = await send(`${trim(options.identityUrl)}/connect/revocation`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken }).toString(),
      });
      if (!res.ok) throw await failure(res, 'token revocation');
    },
    async connections(accessToken, authEventId) {
      const query = authEventId ? `?authEventId=${encodeURIComponent(authEventId)}` : '';
      const res = await send(`${trim(options.apiUrl)}/connections${query}`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      });
      if (!res.ok) throw await failure(res, 'listing connections');
      const parsed = connectionsResponse.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new XeroApiError('server', res.status, "Xero's connections answer was not understood");
      return parsed.data.map((c) => ({ ...c, tenantName: c.tenantName ?? c.tenantId }));
    },
  };
}
