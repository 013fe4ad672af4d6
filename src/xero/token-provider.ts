import type { Db } from '../db/database';
import type { Connection } from '../db/schema';
import type { Logger } from '../log';
import type { TokenCipher } from '../security/token-cipher';
import { enqueueHostEvent } from '../host-webhooks/outbox';
import { NotConnectedError, type XeroAccess, type XeroAccessProvider } from './access';
import { InvalidGrantError, type XeroIdentity } from './identity';

/**
 * Implements XeroAccessProvider: a valid access token for an account's connection, refreshed when
 * less than two minutes remain.
 *
 * Xero rotates the refresh token on every use, so two refreshes racing with the same old token can
 * leave the stored token stale and, once the grace period ends, lock the account out. Every refresh
 * therefore runs inside a transaction holding the connection row `FOR UPDATE` (serializing all
 * processes on the same database), re-reads the row once the lock is held (someone may have
 * refreshed meanwhile), and stores the rotated tokens in that same transaction.
 */

export interface XeroAccessProviderDeps {
  db: Db;
  cipher: TokenCipher;
  identity: Pick<XeroIdentity, 'refresh'>;
  log: Logger;
  /** Refresh when less than this remains on the access token (default: 2 minutes). */
  refreshMarginMs?: number;
}

export const DEFAULT_REFRESH_MARGIN_MS = 2 * 60_000;

/** What the banner says and what NotConnectedError carries when Xero refuses the refresh token. */
export const NEEDS_RECONNECT_REASON =
  'Xero no longer accepts this connection (access was revoked in Xero, or it went unused for 60 days). Reconnect to Xero to resume syncing.';

type RefreshOutcome =
  { kind: 'access'; access: XeroAccess; refreshed: boolean } | { kind: 'needs_reconnect'; connectionId: string };

export function createXeroAccessProvider(deps: XeroAccessProviderDeps): XeroAccessProvider {
  const margin = deps.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  // Within one process, refreshes of one account queue here rather than each holding a pool connection.
  const queues = new Map<string, Promise<unknown>>();

  function usable(row: Connection | undefined): Connection {
    if (!row) throw new NotConnectedError('not_connected');
    if (row.status === 'needs_reconnect')
      throw new NotConnectedError('needs_reconnect', row.status_reason ?? undefined);
    return row;
  }

  function access(row: Connection): XeroAccess {
    return { connectionId: row.id, tenantId: row.tenant_id, accessToken: deps.cipher.decrypt(row.access_token_enc) };
  }

  const fresh = (row: Connection) => row.access_token_expires_at.getTime() - Date.now() > margin;

  function serialized<T>(accountId: string, run: () => Promise<T>): Promise<T> {
    const previous = queues.get(accountId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    queues.set(accountId, settled);
    void settled.then(() => {
      if (queues.get(accountId) === settled) queues.delete(accountId);
    });
    return next;
  }

  /** Refreshes unless, once the lock is held, `stillValid` says the stored token is already good. */
  function refresh(accountId: string, stillValid: (row: Connection) => boolean): Promise<XeroAccess> {
    return serialized(accountId, async () => {
      const outcome = await deps.db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
        const row = usable(
          await trx
            .selectFrom('connections')
            .selectAll()
            .where('account_id', '=', accountId)
            .forUpdate()
            .executeTakeFirst(),
        );
        if (stillValid(row)) return { kind: 'access', access: access(row), refreshed: false };
        let tokens;
        try {
          tokens = await deps.identity.refresh(deps.cipher.decrypt(row.refresh_token_enc));
        } catch (err) {
          if (!(err instanceof InvalidGrantError)) throw err; // transient: the stored refresh token is still the one to use
          await trx
            .updateTable('connections')
            .set({ status: 'needs_reconnect', status_reason: NEEDS_RECONNECT_REASON, updated_at: new Date() })
            .where('id', '=', row.id)
            .execute();
          // The host hears of it in the same transaction (delivered by the worker's outbox loop).
          const account = await trx
            .selectFrom('accounts')
            .select(['host_app_id', 'external_id'])
            .where('id', '=', accountId)
            .executeTakeFirst();
          if (account) {
            await enqueueHostEvent(trx, {
              hostAppId: account.host_app_id,
              accountId,
              hostAccountId: account.external_id,
              type: 'connection.lost',
              orderingKey: `connection:${accountId}`,
              data: { organisation: row.tenant_name, tenantId: row.tenant_id, reason: NEEDS_RECONNECT_REASON },
            });
          }
          return { kind: 'needs_reconnect', connectionId: row.id };
        }
        await trx
          .updateTable('connections')
          .set({
            access_token_enc: deps.cipher.encrypt(tokens.accessToken),
            refresh_token_enc: deps.cipher.encrypt(tokens.refreshToken),
            access_token_expires_at: tokens.expiresAt,
            scopes: tokens.scopes,
            updated_at: new Date(),
          })
          .where('id', '=', row.id)
          .execute();
        return {
          kind: 'access',
          access: { connectionId: row.id, tenantId: row.tenant_id, accessToken: tokens.accessToken },
          refreshed: true,
        };
      });
      if (outcome.kind === 'needs_reconnect') {
        deps.log.warn(
          { accountId, connectionId: outcome.connectionId },
          'Xero refused the refresh token (invalid_grant): connection needs reconnecting',
        );
        throw new NotConnectedError('needs_reconnect', NEEDS_RECONNECT_REASON);
      }
      if (outcome.refreshed)
        deps.log.info({ accountId, connectionId: outcome.access.connectionId }, 'refreshed Xero access token');
      return outcome.access;
    });
  }

  return {
    async accessFor(accountId) {
      const row = usable(
        await deps.db.selectFrom('connections').selectAll().where('account_id', '=', accountId).executeTakeFirst(),
      );
      if (fresh(row)) return access(row);
      return refresh(accountId, fresh);
    },
    refreshAfterRejection(accountId, rejectedToken) {
      // Someone else may already have replaced the rejected token; only refresh if it is still the stored one.
      return refresh(accountId, (row) => deps.cipher.decrypt(row.access_token_enc) !== rejectedToken && fresh(row));
    },
  };
}
