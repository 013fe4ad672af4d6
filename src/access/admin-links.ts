import type { Db } from '../db/database';
import { hmacSha256, safeEqual } from '../security/hashing';

/**
 * Signed, expiring, single-use admin links. The token is `<link id>.<expiry seconds>.<HMAC>`: the
 * signature (SESSION_SECRET) rejects a tampered or forged link before the database is asked; the
 * row makes it single use (redemption is one conditional UPDATE, so two clicks cannot both win).
 */

export const ADMIN_LINK_TTL_MS = 15 * 60_000;
export const ADMIN_LINK_PATH = '/admin/enter';

export type RedeemFailure = 'invalid' | 'expired' | 'used';
export type RedeemResult = { ok: true; accountId: string } | { ok: false; reason: RedeemFailure };

const sign = (secret: string, id: string, exp: number) => hmacSha256(secret, `admin-link:${id}:${exp}`);

export async function createAdminLink(
  db: Db,
  p: { secret: string; publicUrl: string; accountId: string; ttlMs?: number },
): Promise<{ url: string; expiresAt: Date }> {
  const exp = Math.floor((Date.now() + (p.ttlMs ?? ADMIN_LINK_TTL_MS)) / 1000);
  const expiresAt = new Date(exp * 1000);
  const row = await db
    .insertInto('admin_links')
    .values({ account_id: p.accountId, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  const token = `${row.id}.${exp}.${sign(p.secret, row.id, exp)}`;
  const url = new URL(ADMIN_LINK_PATH, p.publicUrl);
  url.searchParams.set('token', token);
  return { url: url.toString(), expiresAt };
}

export async function redeemAdminLink(db: Db, secret: string, token: string): Promise<RedeemResult> {
  const match = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'invalid' };
  const [, id, expText, signature] = match as unknown as [string, string, string, string];
  const exp = Number(expText);
  if (!safeEqual(signature, sign(secret, id, exp))) return { ok: false, reason: 'invalid' };
  if (exp * 1000 <= Date.now()) return { ok: false, reason: 'expired' };
  const used = await db
    .updateTable('admin_links')
    .set({ used_at: new Date() })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning('account_id')
    .executeTakeFirst();
  if (used) return { ok: true, accountId: used.account_id };
  const row = await db.selectFrom('admin_links').select(['used_at']).where('id', '=', id).executeTakeFirst();
  return { ok: false, reason: !row ? 'invalid' : row.used_at ? 'used' : 'expired' };
}
