import type { Db } from '../db/database';
import { randomToken, safeEqual, sha256Hex } from '../security/hashing';

/**
 * API keys of host apps. A key is `xsk_<8 chars>_<43 chars>`: the first 12 characters are a
 * non-secret prefix kept in clear (to find the row and recognise a key in listings); only the
 * SHA-256 of the whole key is stored. The key is shown once, when it is created.
 */

const KEY_SHAPE = /^xsk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

export interface ApiKeyIdentity {
  keyId: string;
  hostAppId: string;
}

export async function createHostApp(
  db: Db,
  input: { name: string; webhookUrl?: string },
): Promise<{ id: string; name: string }> {
  return db
    .insertInto('host_apps')
    .values({ name: input.name, webhook_url: input.webhookUrl ?? null })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}

export async function createApiKey(db: Db, hostAppId: string): Promise<{ id: string; key: string; prefix: string }> {
  const key = `xsk_${randomToken(6)}_${randomToken(32)}`;
  const prefix = key.slice(0, PREFIX_LENGTH);
  const row = await db
    .insertInto('api_keys')
    .values({ host_app_id: hostAppId, prefix, key_hash: sha256Hex(key) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, key, prefix };
}

/** The key's host app, or undefined for an unknown, malformed or revoked key. */
export async function verifyApiKey(db: Db, presented: string): Promise<ApiKeyIdentity | undefined> {
  if (!KEY_SHAPE.test(presented)) return undefined;
  const hash = sha256Hex(presented);
  const candidates = await db
    .selectFrom('api_keys')
    .select(['id', 'host_app_id', 'key_hash', 'last_used_at'])
    .where('prefix', '=', presented.slice(0, PREFIX_LENGTH))
    .where('revoked_at', 'is', null)
    .execute();
  const match = candidates.find((c) => safeEqual(c.key_hash, hash));
  if (!match) return undefined;
  // Recorded at most once a minute: a hot key should not cost a write per request.
  if (!match.last_used_at || Date.now() - match.last_used_at.getTime() > 60_000) {
    await db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', match.id).execute();
  }
  return { keyId: match.id, hostAppId: match.host_app_id };
}

export async function revokeApiKey(db: Db, prefix: string): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('prefix', '=', prefix)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listApiKeys(db: Db) {
  return db
    .selectFrom('api_keys')
    .innerJoin('host_apps', 'host_apps.id', 'api_keys.host_app_id')
    .select([
      'api_keys.prefix',
      'host_apps.id as hostAppId',
      'host_apps.name as hostAppName',
      'api_keys.created_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
    ])
    .orderBy('api_keys.created_at')
    .execute();
}
