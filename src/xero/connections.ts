import type { Db } from '../db/database';
import type { Connection } from '../db/schema';
import type { Logger } from '../log';
import type { TokenCipher } from '../security/token-cipher';
import type { TokenSet, XeroIdentity } from './identity';
import { InvalidGrantError } from './identity';

/** An account's Xero connection as stored (tokens encrypted), and its end. */

export interface ChosenTenant {
  connectionId: string;
  tenantId: string;
  tenantName: string;
}

export type ConnectionState =
  | { status: 'not_connected' }
  | {
      status: 'active' | 'needs_reconnect';
      connectionId: string;
      tenantId: string;
      tenantName: string;
      connectedAt: Date;
      reason: string | null;
      scopes: string;
    };

export async function connectionState(db: Db, accountId: string): Promise<ConnectionState> {
  const row = await db.selectFrom('connections').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (!row) return { status: 'not_connected' };
  return {
    status: row.status,
    connectionId: row.id,
    tenantId: row.tenant_id,
    tenantName: row.tenant_name,
    connectedAt: row.connected_at,
    reason: row.status_reason,
    scopes: row.scopes,
  };
}

/**
 * Stores the connection the admin just authorised. Reconnecting to the same organisation keeps the
 * connection's id and connected-at (its syncs resume); another organisation replaces it outright.
 */
export async function storeConnection(
  db: Db,
  cipher: TokenCipher,
  accountId: string,
  tokens: TokenSet,
  tenant: ChosenTenant,
): Promise<Connection> {
  const values = {
    tenant_id: tenant.tenantId,
    tenant_name: tenant.tenantName,
    xero_connection_id: tenant.connectionId,
    access_token_enc: cipher.encrypt(tokens.accessToken),
    refresh_token_enc: cipher.encrypt(tokens.refreshToken),
    access_token_expires_at: tokens.expiresAt,
    scopes: tokens.scopes,
    status: 'active' as const,
    status_reason: null,
    updated_at: new Date(),
  };
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('connections')
      .select(['id', 'tenant_id'])
      .where('account_id', '=', accountId)
      .forUpdate()
      .executeTakeFirst();
    if (existing && existing.tenant_id === tenant.tenantId) {
      return trx
        .updateTable('connections')
        .set(values)
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    if (existing) await trx.deleteFrom('connections').where('id', '=', existing.id).execute();
    return trx
      .insertInto('connections')
      .values({ account_id: accountId, ...values })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export interface DisconnectResult {
  /** False when there was nothing to disconnect. */
  disconnected: boolean;
  /** False when Xero could not be told (the connection is removed here all the same). */
  revokedAtXero: boolean;
}

/**
 * Revokes the refresh token at Xero (which ends its tenant connections there) and removes the
 * connection. The row lock waits for any refresh in flight, so the token revoked is the current one.
 * If Xero cannot be reached the connection is removed anyway: an admin who asked to disconnect must
 * not stay connected because Xero is down (they can remove the app in Xero's Connected Apps).
 */
export async function disconnect(
  deps: { db: Db; cipher: TokenCipher; identity: Pick<XeroIdentity, 'revoke'>; log: Logger },
  accountId: string,
): Promise<DisconnectResult> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', accountId)
      .forUpdate()
      .executeTakeFirst();
    await trx.deleteFrom('pending_connections').where('account_id', '=', accountId).execute();
    if (!row) return { disconnected: false, revokedAtXero: false };
    let revokedAtXero = true;
    try {
      await deps.identity.revoke(deps.cipher.decrypt(row.refresh_token_enc));
    } catch (err) {
      // An already-dead token needs no revoking; anything else is logged (without the token) and reported.
      if (!(err instanceof InvalidGrantError)) {
        revokedAtXero = false;
        deps.log.warn(
          { accountId, connectionId: row.id, err: (err as Error).message },
          'could not revoke the Xero token; removing the connection anyway',
        );
      }
    }
    await trx.deleteFrom('connections').where('id', '=', row.id).execute();
    deps.log.info(
      { accountId, connectionId: row.id, tenantId: row.tenant_id, revokedAtXero },
      'disconnected from Xero',
    );
    return { disconnected: true, revokedAtXero };
  });
}
