import type { Db } from '../db/database';
import type { PendingTenant } from '../db/schema';
import type { Logger } from '../log';
import { randomToken, sha256Hex } from '../security/hashing';
import type { TokenCipher } from '../security/token-cipher';
import { storeConnection } from './connections';
import { authEventIdOf, InvalidGrantError, pkceChallenge, type XeroIdentity } from './identity';

/**
 * The OAuth2 authorization-code flow with PKCE (S256): start (state + verifier stored, bound to the
 * admin session), callback (state checked and consumed once, code exchanged, organisations listed),
 * and the choice of organisation when the admin authorised several.
 */

export const OAUTH_STATE_TTL_MS = 10 * 60_000;
const PENDING_TTL_MS = 15 * 60_000;

export interface ConnectFlowDeps {
  db: Db;
  cipher: TokenCipher;
  identity: XeroIdentity;
  log: Logger;
}

/** Why a connect attempt failed; each has a fixed message on the page (nothing from the URL is echoed raw). */
export type ConnectFailure =
  'denied' | 'invalid_state' | 'xero_error' | 'no_organisation' | 'exchange_failed' | 'choice_expired';

export type CallbackResult =
  | { kind: 'connected'; accountId: string; tenantName: string }
  | { kind: 'choose'; accountId: string }
  | { kind: 'failed'; accountId?: string; reason: ConnectFailure; xeroError?: string };

export async function startConnect(
  deps: ConnectFlowDeps,
  p: { accountId: string; sessionId: string; redirectUri: string },
): Promise<string> {
  const state = randomToken(32);
  const verifier = randomToken(48); // 64 characters: within PKCE's 43-128
  await deps.db
    .insertInto('oauth_states')
    .values({
      state_hash: sha256Hex(state),
      account_id: p.accountId,
      session_id: p.sessionId,
      code_verifier_enc: deps.cipher.encrypt(verifier),
      redirect_uri: p.redirectUri,
      expires_at: new Date(Date.now() + OAUTH_STATE_TTL_MS),
    })
    .execute();
  await deps.db.deleteFrom('oauth_states').where('expires_at', '<', new Date()).execute();
  return deps.identity.authorizeUrl({ redirectUri: p.redirectUri, state, codeChallenge: pkceChallenge(verifier) });
}

export interface CallbackQuery {
  state?: string;
  code?: string;
  error?: string;
}

/** Xero's error codes are short identifiers; anything else is not shown at all. */
const safeXeroError = (e: string) => (/^[a-z_]{1,64}$/.test(e) ? e : 'unknown_error');

/**
 * The callback. `sessionId` is the admin session presenting it (undefined without one): the state
 * must have been issued to that very session, unexpired, and not used before.
 */
export async function completeConnect(
  deps: ConnectFlowDeps,
  sessionId: string | undefined,
  query: CallbackQuery,
): Promise<CallbackResult> {
  if (!query.state || !sessionId) return { kind: 'failed', reason: 'invalid_state' };
  const consumed = await deps.db
    .updateTable('oauth_states')
    .set({ used_at: new Date() })
    .where('state_hash', '=', sha256Hex(query.state))
    .where('session_id', '=', sessionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning(['account_id', 'code_verifier_enc', 'redirect_uri'])
    .executeTakeFirst();
  if (!consumed) return { kind: 'failed', reason: 'invalid_state' };
  const accountId = consumed.account_id;
  if (query.error) {
    return query.error === 'access_denied'
      ? { kind: 'failed', accountId, reason: 'denied' }
      : { kind: 'failed', accountId, reason: 'xero_error', xeroError: safeXeroError(query.error) };
  }
  if (!query.code) return { kind: 'failed', accountId, reason: 'xero_error', xeroError: 'missing_code' };

  let tokens;
  let tenants: PendingTenant[];
  try {
    tokens = await deps.identity.exchangeCode({
      code: query.code,
      redirectUri: consumed.redirect_uri,
      codeVerifier: deps.cipher.decrypt(consumed.code_verifier_enc),
    });
    tenants = (await deps.identity.connections(tokens.accessToken, authEventIdOf(tokens.accessToken)))
      .filter((c) => c.tenantType === 'ORGANISATION')
      .map((c) => ({ connectionId: c.id, tenantId: c.tenantId, tenantName: c.tenantName }));
  } catch (err) {
    deps.log.warn({ accountId, err: (err as Error).message }, 'Xero code exchange failed');
    return {
      kind: 'failed',
      accountId,
      reason: err instanceof InvalidGrantError ? 'invalid_state' : 'exchange_failed',
    };
  }
  const [only] = tenants;
  if (!only) return { kind: 'failed', accountId, reason: 'no_organisation' };
  if (tenants.length === 1) {
    await storeConnection(deps.db, deps.cipher, accountId, tokens, only);
    deps.log.info({ accountId, tenantId: only.tenantId }, 'connected to Xero');
    return { kind: 'connected', accountId, tenantName: only.tenantName };
  }
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('pending_connections').where('account_id', '=', accountId).execute();
    await trx
      .insertInto('pending_connections')
      .values({
        account_id: accountId,
        session_id: sessionId,
        access_token_enc: deps.cipher.encrypt(tokens.accessToken),
        refresh_token_enc: deps.cipher.encrypt(tokens.refreshToken),
        access_token_expires_at: tokens.expiresAt,
        scopes: tokens.scopes,
        tenants: JSON.stringify(tenants),
        expires_at: new Date(Date.now() + PENDING_TTL_MS),
      })
      .execute();
  });
  return { kind: 'choose', accountId };
}

/** The organisations waiting to be chosen by this session for this account, if any. */
export async function pendingChoice(
  db: Db,
  accountId: string,
  sessionId: string,
): Promise<PendingTenant[] | undefined> {
  const row = await db
    .selectFrom('pending_connections')
    .select(['tenants'])
    .where('account_id', '=', accountId)
    .where('session_id', '=', sessionId)
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row?.tenants;
}

export async function chooseOrganisation(
  deps: ConnectFlowDeps,
  p: { accountId: string; sessionId: string; tenantId: string },
): Promise<{ ok: true; tenantName: string } | { ok: false; reason: 'choice_expired' | 'unknown_tenant' }> {
  const pending = await deps.db
    .selectFrom('pending_connections')
    .selectAll()
    .where('account_id', '=', p.accountId)
    .where('session_id', '=', p.sessionId)
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  if (!pending) return { ok: false, reason: 'choice_expired' };
  const tenant = pending.tenants.find((t) => t.tenantId === p.tenantId);
  if (!tenant) return { ok: false, reason: 'unknown_tenant' };
  const tokens = {
    accessToken: deps.cipher.decrypt(pending.access_token_enc),
    refreshToken: deps.cipher.decrypt(pending.refresh_token_enc),
    expiresAt: pending.access_token_expires_at,
    scopes: pending.scopes,
  };
  await storeConnection(deps.db, deps.cipher, p.accountId, tokens, tenant);
  await deps.db.deleteFrom('pending_connections').where('id', '=', pending.id).execute();
  deps.log.info({ accountId: p.accountId, tenantId: tenant.tenantId }, 'connected to Xero (organisation chosen)');
  return { ok: true, tenantName: tenant.tenantName };
}
