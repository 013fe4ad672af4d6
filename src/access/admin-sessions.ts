import type { Db } from '../db/database';
import { randomToken, sha256Hex } from '../security/hashing';

/**
 * Admin sessions: the cookie carries a random token, the database its hash and the one account the
 * session may see. Sessions end after a fixed time; a new admin link starts a new one.
 */

export const ADMIN_SESSION_TTL_MS = 8 * 60 * 60_000;

export interface AdminSession {
  id: string;
  accountId: string;
  expiresAt: Date;
}

export async function createAdminSession(db: Db, accountId: string): Promise<{ token: string; session: AdminSession }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + ADMIN_SESSION_TTL_MS);
  const row = await db
    .insertInto('admin_sessions')
    .values({ token_hash: sha256Hex(token), account_id: accountId, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Expired sessions are of no use to anyone: clear them as new ones are made.
  await db.deleteFrom('admin_sessions').where('expires_at', '<', new Date()).execute();
  return { token, session: { id: row.id, accountId, expiresAt } };
}

export async function findAdminSession(db: Db, token: string): Promise<AdminSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const row = await db
    .selectFrom('admin_sessions')
    .select(['id', 'account_id', 'expires_at'])
    .where('token_hash', '=', sha256Hex(token))
    .where('expires_at', '>', new Date())
    .executeTakeFirst();
  return row && { id: row.id, accountId: row.account_id, expiresAt: row.expires_at };
}

export async function endAdminSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id', '=', sessionId).execute();
}
