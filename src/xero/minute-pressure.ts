import { numericHeader } from './rate-limiter';

/**
 * Whether an organisation is spending its minute: Xero's X-MinLimit-Remaining on its last answer.
 *
 * Half-empty batches are what run a burst into the limit: a burst's first minute goes on a create
 * request per handful of orders. So once an organisation has used a sixth of its minute (the share
 * bulk work leaves to live work), its batched writes wait a little for company (gateway.ts); a
 * quiet organisation's writes go at once. What Xero said ages out after the hold: an organisation
 * quiet since then is quiet again, and its next answer says how busy it is.
 */
export interface MinutePressureOptions {
  perMinute: number;
  /** How long a busy organisation's batched writes wait to fill (a sixth of Xero's minute: 10 s), and how long what Xero said counts. */
  holdMs: number;
  now?: () => number;
}

export function createMinutePressure(opts: MinutePressureOptions) {
  const now = opts.now ?? Date.now;
  const freshMs = opts.holdMs;
  const busyBelow = opts.perMinute - Math.max(1, Math.floor(opts.perMinute / 6));
  const seen = new Map<string, { remaining: number; at: number }>();

  return {
    holdMs: opts.holdMs,
    /** Notes what Xero said about this organisation's minute (a minute 429 is 0 left). */
    observe(key: string, remaining: number | undefined): void {
      if (remaining === undefined || !Number.isFinite(remaining)) return;
      seen.set(key, { remaining, at: now() });
    },
    busy(key: string): boolean {
      const s = seen.get(key);
      if (!s) return false;
      if (now() - s.at > freshMs) {
        seen.delete(key);
        return false;
      }
      return s.remaining <= busyBelow;
    },
  };
}

/** X-MinLimit-Remaining from a response's headers (any case), when Xero sent it. */
export function minuteRemaining(headers: unknown): number | undefined {
  return headers && typeof headers === 'object'
    ? numericHeader(headers as Record<string, unknown>, 'X-MinLimit-Remaining')
    : undefined;
}
