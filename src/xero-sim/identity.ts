import express, { type Request, type Response, type Router } from 'express';
import { authorizePage, errorPage } from './authorize-page';
import { newId } from './ids';
import type { SimApp } from './options';
import type { Store } from './store';
import {
  checkAccessToken,
  connectTenants,
  issueTokens,
  newGrant,
  pkceS256,
  refreshTokens,
  revokeGrant,
} from './tokens';
import { connectionDateString } from './xero-dates';

/**
 * Xero's identity surface on the simulator's origin: the authorize (consent) page of
 * login.xero.com, the token and revocation endpoints of identity.xero.com, and the connections
 * endpoints of api.xero.com.
 */

export const KNOWN_SCOPES = new Set([
  'openid',
  'profile',
  'email',
  'offline_access',
  'accounting.transactions',
  'accounting.transactions.read',
  'accounting.invoices',
  'accounting.invoices.read',
  'accounting.payments',
  'accounting.payments.read',
  'accounting.banktransactions',
  'accounting.banktransactions.read',
  'accounting.manualjournals',
  'accounting.manualjournals.read',
  'accounting.reports.read',
  'accounting.journals.read',
  'accounting.settings',
  'accounting.settings.read',
  'accounting.contacts',
  'accounting.contacts.read',
  'accounting.attachments',
  'accounting.attachments.read',
  'accounting.budgets.read',
]);

function oauthError(res: Response, error: string, status = 400): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error });
}

/** HTTP Basic (what xero-node and openid-client send), or client_id/client_secret in the form. */
function authenticateClient(store: Store, req: Request): SimApp | undefined {
  let clientId: string | undefined;
  let secret: string | undefined;
  const auth = req.headers.authorization;
  if (auth?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return undefined;
    clientId = decodeURIComponent(decoded.slice(0, i));
    secret = decodeURIComponent(decoded.slice(i + 1));
  } else {
    clientId = typeof req.body?.client_id === 'string' ? req.body.client_id : undefined;
    secret = typeof req.body?.client_secret === 'string' ? req.body.client_secret : undefined;
  }
  if (!clientId) return undefined;
  const app = store.apps.get(clientId);
  if (!app) return undefined;
  if (app.clientSecret !== undefined && app.clientSecret !== secret) return undefined;
  return app;
}

function redirectAllowed(app: SimApp, uri: string): boolean {
  try {
    new URL(uri);
  } catch {
    return false;
  }
  return app.redirectUris === undefined || app.redirectUris.includes(uri);
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;

interface AuthorizeParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  nonce?: string;
}

function readAuthorizeParams(source: Record<string, unknown>): AuthorizeParams {
  const keys: Array<keyof AuthorizeParams> = [
    'response_type',
    'client_id',
    'redirect_uri',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'nonce',
  ];
  return Object.fromEntries(keys.map((k) => [k, str(source[k])]).filter(([, v]) => v !== undefined));
}

/** Problems Xero shows as an error screen (never redirected: the redirect URI itself may be bad). */
function validateAuthorize(store: Store, p: AuthorizeParams): { app: SimApp; scope: string[] } | { error: string } {
  const app = p.client_id ? store.apps.get(p.client_id) : undefined;
  if (!app) return { error: 'unauthorized_client: unknown client_id' };
  if (!p.redirect_uri || !redirectAllowed(app, p.redirect_uri))
    return { error: 'invalid_request: the redirect_uri does not match one registered for this app' };
  if (p.response_type !== 'code') return { error: 'unsupported_response_type: only response_type=code is supported' };
  const scope = (p.scope ?? '').split(/[\s+]+/).filter(Boolean);
  if (scope.length === 0) return { error: 'invalid_scope: a scope is required' };
  const unknown = scope.filter((s) => !KNOWN_SCOPES.has(s));
  if (unknown.length > 0) return { error: `invalid_scope: ${unknown.join(' ')}` };
  if (p.code_challenge && (p.code_challenge_method ?? 'plain') !== 'S256')
    return { error: 'invalid_request: code_challenge_method must be S256' };
  return { app, scope };
}

export function identityRouter(store: Store): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  router.get('/identity/connect/authorize', (req, res) => {
    const p = readAuthorizeParams(req.query as Record<string, unknown>);
    const checked = validateAuthorize(store, p);
    if ('error' in checked) {
      res.status(400).type('html').send(errorPage('Sorry, something went wrong', checked.error));
      return;
    }
    res.type('html').send(
      authorizePage({
        appName: checked.app.name,
        userName: store.user.name,
        userEmail: store.user.email,
        orgs: [...store.orgs.values()],
        scope: checked.scope,
        hidden: p as Record<string, string>,
      }),
    );
  });

  router.post('/identity/connect/authorize', form, (req, res) => {
    const p = readAuthorizeParams(req.body ?? {});
    const checked = validateAuthorize(store, p);
    if ('error' in checked) {
      res.status(400).type('html').send(errorPage('Sorry, something went wrong', checked.error));
      return;
    }
    const decision = str(req.body?.decision);
    if (decision !== 'allow') {
      res.redirect(302, withParams(p.redirect_uri!, { error: 'access_denied', state: p.state }));
      return;
    }
    const chosen = ([] as unknown[])
      .concat(req.body?.tenant ?? [])
      .filter((t): t is string => typeof t === 'string' && store.orgs.has(t));
    if (chosen.length === 0) {
      res
        .status(400)
        .type('html')
        .send(
          authorizePage({
            appName: checked.app.name,
            userName: store.user.name,
            userEmail: store.user.email,
            orgs: [...store.orgs.values()],
            scope: checked.scope,
            hidden: p as Record<string, string>,
            error: 'Choose at least one organisation to connect.',
          }),
        );
      return;
    }
    const grant = newGrant(store, checked.app.clientId, checked.scope);
    connectTenants(store, grant, chosen);
    const code = newId().replace(/-/g, '') + newId().replace(/-/g, '');
    store.authCodes.set(code, {
      code,
      clientId: checked.app.clientId,
      redirectUri: p.redirect_uri!,
      scope: checked.scope,
      codeChallenge: p.code_challenge,
      codeChallengeMethod: p.code_challenge_method,
      nonce: p.nonce,
      grantId: grant.id,
      expiresAt: store.now() + store.options.authCodeTtlMs,
      used: false,
    });
    res.redirect(
      302,
      withParams(p.redirect_uri!, {
        code,
        scope: checked.scope.join(' '),
        state: p.state,
        session_state: grant.id.replace(/-/g, ''),
      }),
    );
  });

  router.post('/connect/token', form, (req, res) => {
    const app = authenticateClient(store, req);
    if (!app) return oauthError(res, 'invalid_client');
    const grantType = str(req.body?.grant_type);
    if (grantType === 'authorization_code') {
      const code = store.authCodes.get(str(req.body?.code) ?? '');
      if (!code || code.used || code.clientId !== app.clientId || code.expiresAt <= store.now())
        return oauthError(res, 'invalid_grant');
      // A code is spent by any attempt, right or wrong, so it cannot be guessed at.
      code.used = true;
      if (str(req.body?.redirect_uri) !== code.redirectUri) return oauthError(res, 'invalid_grant');
      if (code.codeChallenge) {
        const verifier = str(req.body?.code_verifier);
        if (!verifier || pkceS256(verifier) !== code.codeChallenge) return oauthError(res, 'invalid_grant');
      } else if (app.clientSecret === undefined) {
        return oauthError(res, 'invalid_grant');
      }
      const grant = store.grants.get(code.grantId);
      if (!grant || grant.revoked) return oauthError(res, 'invalid_grant');
      res.set('Cache-Control', 'no-store').json(issueTokens(store, grant, code.nonce));
      return;
    }
    if (grantType === 'refresh_token') {
      const answer = refreshTokens(store, str(req.body?.refresh_token) ?? '', app.clientId);
      if (!answer) return oauthError(res, 'invalid_grant');
      res.set('Cache-Control', 'no-store').json(answer);
      return;
    }
    oauthError(res, 'unsupported_grant_type');
  });

  router.post('/connect/revocation', form, (req, res) => {
    const app = authenticateClient(store, req);
    if (!app) return oauthError(res, 'invalid_client');
    const token = str(req.body?.token) ?? '';
    const refresh = store.refreshTokens.get(token);
    const grantId = refresh?.grantId ?? store.accessTokens.get(token)?.grantId;
    const grant = grantId ? store.grants.get(grantId) : undefined;
    if (grant && grant.clientId === app.clientId) revokeGrant(store, grant.id);
    res.status(200).end();
  });

  const bearer = (req: Request) => {
    const h = req.headers.authorization;
    return h?.toLowerCase().startsWith('bearer ') ? h.slice(7).trim() : undefined;
  };

  router.get('/connections', (req, res) => {
    const check = checkAccessToken(store, bearer(req));
    if (!check.ok) {
      res.status(401).json({
        Type: null,
        Title: 'Unauthorized',
        Status: 401,
        Detail: 'AuthenticationUnsuccessful',
        Instance: newId(),
        Extensions: {},
      });
      return;
    }
    const authEventId = str(req.query.authEventId);
    const list = [...store.connections.values()]
      .filter(
        (c) =>
          c.clientId === check.grant.clientId &&
          c.userId === check.grant.userId &&
          (!authEventId || c.authEventId === authEventId),
      )
      .map((c) => ({
        id: c.id,
        authEventId: c.authEventId,
        tenantId: c.tenantId,
        tenantType: 'ORGANISATION',
        tenantName: store.orgs.get(c.tenantId)?.Name ?? '',
        createdDateUtc: connectionDateString(c.createdAt),
        updatedDateUtc: connectionDateString(c.updatedAt),
      }));
    res.json(list);
  });

  router.delete('/connections/:id', (req, res) => {
    const check = checkAccessToken(store, bearer(req));
    if (!check.ok) {
      res.status(401).json({
        Type: null,
        Title: 'Unauthorized',
        Status: 401,
        Detail: 'AuthenticationUnsuccessful',
        Instance: newId(),
        Extensions: {},
      });
      return;
    }
    const c =
      store.connections.get(String(req.params.id).toLowerCase()) ?? store.connections.get(String(req.params.id));
    if (!c || c.clientId !== check.grant.clientId || c.userId !== check.grant.userId) {
      res.status(404).type('text').send("The resource you're looking for cannot be found");
      return;
    }
    store.connections.delete(c.id);
    res.status(204).end();
  });

  return router;
}

/** Tokens without the browser: for the control API and in-process tests (outside Xero's surface). */
export function issueTokensDirectly(store: Store, clientId: string, tenantIds: string[], scope: string[]) {
  const grant = newGrant(store, clientId, scope);
  connectTenants(store, grant, tenantIds);
  return issueTokens(store, grant);
}
