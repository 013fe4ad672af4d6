/**
 * Xero's app-wide minute (10,000 calls across every organisation) as the limiter sees it: our own
 * calls in per-bucket counts (`xero_app_calls`, a sixtieth of the minute each) and, when low, what
 * Xero last said is left (X-AppMinLimit-Remaining). Pure: the limiter reads the rows, this decides.
 *
 * Xero's remaining count is a rolling window too, so a low one recovers as the calls it counted
 * age out. Of those, we know our own (their buckets); the rest were another install of the same
 * app, whose times we cannot know: only those are assumed to stay until the observation is a
 * minute old.
 */

export interface AppBucket {
  /** Bucket number: ms since the epoch divided by the bucket width. */
  bucket: number;
  calls: number;
}

export interface AppObservation {
  /** X-AppMinLimit-Remaining as Xero answered it. */
  remaining: number;
  /** When the call that carried it started (ms); calls started later were not in Xero's count. */
  observedAt: number;
}

export interface AppWindow {
  minuteMs: number;
  bucketMs: number;
}

/** How much later than its permit a call may reach Xero (and so leave Xero's count). */
const LATENCY_MARGIN_MS = 500;

/** When a bucket's calls have all left the rolling minute (ms since the epoch). */
export const bucketLeaves = (w: AppWindow, bucket: number) => (bucket + 1) * w.bucketMs + w.minuteMs;

/** When `count` more of these calls (oldest first) will have left the minute, or undefined if they are fewer. */
function whenAgedOut(w: AppWindow, buckets: AppBucket[], count: number, marginMs = 0): number | undefined {
  let aged = 0;
  for (const b of [...buckets].sort((x, y) => x.bucket - y.bucket)) {
    aged += b.calls;
    if (aged >= count) return bucketLeaves(w, b.bucket) + marginMs;
  }
  return undefined;
}

/** Our own calls in the rolling minute ending now. */
export function appCallsInMinute(w: AppWindow, now: number, buckets: AppBucket[]): number {
  return buckets.reduce((n, b) => (bucketLeaves(w, b.bucket) > now ? n + b.calls : n), 0);
}

/** Against our own budget: how long until a call fits, or undefined if one fits now. */
export function appBudgetWait(w: AppWindow, now: number, buckets: AppBucket[], budget: number): number | undefined {
  const live = buckets.filter((b) => bucketLeaves(w, b.bucket) > now);
  const used = live.reduce((n, b) => n + b.calls, 0);
  if (used < budget) return undefined;
  // One call fits once used - budget + 1 of them have aged out.
  const at = whenAgedOut(w, live, used - budget + 1);
  return at === undefined ? w.minuteMs : at - now;
}

/**
 * Against what Xero last said: how long until a call fits, or undefined if one fits now (or the
 * observation is a minute old: every call Xero counted then has aged out).
 */
export function appObservedWait(
  w: AppWindow,
  now: number,
  buckets: AppBucket[],
  obs: AppObservation | undefined,
): number | undefined {
  if (!obs || now - obs.observedAt >= w.minuteMs) return undefined;
  // Xero counted each call when it arrived, a little after its permit: a call leaves Xero's minute
  // up to that much later than its bucket says. Two buckets (2 s of a real minute), and never less
  // than half a second, cover it.
  const marginMs = Math.max(2 * w.bucketMs, LATENCY_MARGIN_MS);
  const leaves = (b: AppBucket) => bucketLeaves(w, b.bucket) + marginMs;
  const observedBucket = Math.floor(obs.observedAt / w.bucketMs);
  // Calls since the observation, the one that carried the header included (Xero had counted it):
  // a call earlier in the same bucket counts here too, which errs on the side of waiting.
  const since = buckets.reduce((n, b) => (b.bucket >= observedBucket ? n + b.calls : n), 0);
  // Our calls that Xero's count held: in its window at the observation, before it.
  const counted = buckets.filter((b) => b.bucket < observedBucket && bucketLeaves(w, b.bucket) > obs.observedAt);
  const agedOut = counted.reduce((n, b) => (leaves(b) <= now ? n + b.calls : n), 0);
  // Left now = remaining - (since - 1) + agedOut; a call fits while that is above zero.
  const short = since - obs.remaining - agedOut;
  if (short < 1) return undefined;
  const pending = counted.filter((b) => leaves(b) > now);
  const at = whenAgedOut(w, pending, short, marginMs) ?? obs.observedAt + w.minuteMs;
  return at - now;
}
