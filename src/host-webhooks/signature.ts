import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Host webhooks are signed over "<timestamp>.<body>" so a captured request cannot be replayed later:
 * the header carries both, `t=<unix seconds>,v1=<hex HMAC-SHA256>`. Hosts verify with
 * `verifyHostWebhook` (exported by the package) or any HMAC library.
 */
export const SIGNATURE_HEADER = 'x-xero-sync-signature';

export function signHostWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export type VerifyResult =
  { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'bad_signature' | 'too_old' };

export function verifyHostWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  { toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): VerifyResult {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return { ok: false, reason: 'malformed' };
  const timestamp = Number(match[1]);
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'), 'hex');
  const given = Buffer.from(match[2]!, 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'bad_signature' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'too_old' };
  return { ok: true, timestamp };
}
