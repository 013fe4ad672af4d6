import { numericHeader } from './rate-limiter';

/**
 * Whether an organisation is spending its minute, from Xero's X-MinLimit-Remaining on its answers.
 *
 * Half-empty batches are what run a burst into the limit: a burst's first minute goes on a create
 * request per handful of orders. So an organisation on course for its limit has its batched writes
 * wait a little for company (gateway.ts): one nearly out of its minute (a third or less left), or
 * one that has used a sixth of it and spent another twelfth within the hold (a burst). An
 * organisation using a steady part of its minute, however large, is not held: its calls go at
 * once, as the limit allows them. What Xero said ages out after the hold: an organisation quiet
 * since then is quiet again, and its next answer says how busy it is.
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
  const sixth = Math.max(1, Math.floor(opts.perMinute / 6));
  const nearlyOut = Math.max(1, Math.floor(opts.perMinute / 3));
  const usedASixth = opts.perMinute - sixth;
  const burst = Math.max(1, Math.floor(sixth / 2));
  /** Each organisation's answers within the hold, oldest first. */
  const seen = new Map<string, Array<{ remaining: number; at: number }>>();
  const fresh = (key: string) => {
    const answers = seen.get(key);
    if (!answers) return undefined;
    const since = now() - freshMs;
    while (answers.length > 0 && answers[0]!.at < since) answers.shift();
    if (answers.length === 0) seen.delete(key);
    return answers.length > 0 ? answers : undefined;
  };

  return {
    holdMs: opts.holdMs,
    /** Notes what Xero said about this organisation's minute (a minute 429 is 0 left). */
    observe(key: string, remaining: number | undefined): void {
      if (remaining === undefined || !Number.isFinite(remaining)) return;
      const answers = fresh(key) ?? [];
      answers.push({ remaining, at: now() });
      seen.set(key, answers);
    },
    busy(key: string): boolean {
      const answers = fresh(key);
      if (!answers) return false;
      const last = answers[answers.length - 1]!.remaining;
      if (last <= nearlyOut) return true;
      if (last > usedASixth) return false;
      return Math.max(...answers.map((a) => a.remaining)) - last >= burst;
    },
  };
}

/** X-MinLimit-Remaining from a response's headers (any case), when Xero sent it. */
export function minuteRemaining(headers: unknown): number | undefined {
  return headers && typeof headers === 'object'
    ? numericHeader(headers as Record<string, unknown>, 'X-MinLimit-Remaining')
    : undefined;
}
