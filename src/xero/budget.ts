import { z } from 'zod';

/**
 * An organisation's Xero budget as the admin and the host see it (issue 14, "Budget you can see"):
 * calls used in Xero's rolling minute and day against the limits, calls in flight, a Retry-After
 * block, the documents waiting to go to Xero and when they will be done. Pure, table-tested
 * (test/xero-budget.test.ts); src/xero/budget-queries.ts reads the figures.
 *
 * The finish time is a small simulation of the limiter's rules, not a division: the queue's calls go
 * at the minute's pace while the day has room; when the day is used up, each further call waits for
 * a call of the last 24 hours to age out of the rolling window (the `dayWindow` buckets), then for the
 * queue's own calls of a day earlier. So a queue larger than today's room says "tomorrow ~09:40", the
 * minute the window frees enough, and not "about 3 h".
 */

/**
 * Xero calls one queued document is expected to cost. With issue 14's batching an invoice is its
 * share of a batch of up to 50 (create first, no look-up), its PDF one upload (the floor: Xero takes
 * no attachments in batches), a payment its share of a `PUT /Payments` batch, a known contact
 * nothing: about 1.0–1.2 per document (`npm run bench`, measure b). The upper end, so the ETA errs late.
 */
export const ESTIMATED_CALLS_PER_DOCUMENT = 1.2;

export interface BudgetLimits {
  perMinute: number;
  perDay: number;
  concurrent: number;
}

export interface BudgetInput {
  /** The database clock, which the limiter's timestamps come from. */
  now: Date;
  limits: BudgetLimits;
  minuteUsed: number;
  dayUsed: number;
  inFlight: number;
  /** Xero's Retry-After as the limiter stored it; ignored once past. */
  blockedUntil?: Date | null;
  blockReason?: string | null;
  /** What Xero last said is left of its day, less the calls made since (when known and not older than a day). */
  xeroDayRemaining?: number | null;
  queuedDocuments: number;
  callsPerDocument?: number;
  /** False when the organisation cannot be called (not connected, or needs reconnecting): no ETA. */
  connected?: boolean;
  /**
   * The last day's calls by bucket (start of the bucket, calls), oldest first, and the bucket's width:
   * when each ages out of the rolling day. Needed only when the queue needs more than the day has
   * left; without it every call of the last day is assumed to age out a full day from now (late, never early).
   */
  dayWindow?: ReadonlyArray<{ at: Date; calls: number }>;
  dayBucketMs?: number;
  /** Window lengths (the limiter's; shrunk in tests). */
  minuteMs?: number;
  dayMs?: number;
  /** IANA zone for the words' clock time ("tomorrow ~09:40"). */
  timeZone?: string;
}

/** What sets the queue's pace; `connection`: nothing goes until the account is (re)connected. */
export type BudgetLimitedBy = 'none' | 'minute' | 'day' | 'blocked' | 'connection';

export interface XeroBudget {
  asOf: Date;
  minute: { used: number; limit: number; remaining: number };
  day: { used: number; limit: number; remaining: number };
  concurrent: { inFlight: number; limit: number };
  blocked: { until: Date; reason: string | null } | null;
  queue: { documents: number; estimatedCalls: number; callsPerDocument: number };
  eta: {
    /** 0 when nothing waits. */
    seconds: number;
    /** When the last queued document's calls are made; null when nothing waits. */
    doneAt: Date | null;
    /** What sets the pace: nothing (within the minute's room), the minute limit, the day limit, Xero's block, the connection. */
    limitedBy: BudgetLimitedBy;
    /** "in about 4 min", "tomorrow ~09:40 UTC", "nothing waiting". */
    words: string;
    timeZone: string;
  };
}

const MINUTE = 60_000;
const DAY = 86_400_000;

interface Release {
  at: number;
  n: number;
}

/** When the queue's last call can be made under the limits, and what held it back. */
function finish(i: BudgetInput, calls: number, dayRoom: number): { at: number; limitedBy: BudgetLimitedBy } {
  const minuteMs = i.minuteMs ?? MINUTE;
  const dayMs = i.dayMs ?? DAY;
  const now = i.now.getTime();
  const perCall = minuteMs / i.limits.perMinute;
  let limitedBy: BudgetLimitedBy = 'none';
  let t = now;
  // Calls the rolling minute takes at once; it refills at the limit's pace as time passes.
  let burst = Math.max(0, i.limits.perMinute - i.minuteUsed);
  const advance = (to: number) => {
    if (to <= t) return;
    burst = Math.min(i.limits.perMinute, burst + (to - t) / perCall);
    t = to;
  };
  const blockedUntil = i.blockedUntil?.getTime();
  if (blockedUntil !== undefined && blockedUntil > now) {
    advance(blockedUntil);
    limitedBy = 'blocked';
  }

  // The day window frees as its calls age out: first the last day's, then the queue's own.
  const width = i.dayBucketMs ?? 0;
  const past: Release[] = i.dayWindow
    ? i.dayWindow.map((b) => ({ at: b.at.getTime() + width + dayMs, n: b.calls }))
    : [{ at: now + dayMs, n: i.dayUsed }];
  const own: Release[] = [];
  let room = dayRoom;
  let remaining = calls;
  let last = t;
  while (remaining > 0) {
    if (room >= 1) {
      const k = Math.min(remaining, Math.floor(room));
      const start = t;
      const atOnce = Math.min(k, Math.floor(burst));
      burst -= atOnce;
      const paced = k - atOnce;
      if (paced > 0) {
        // The first paced call waits for the minute to free one slot, each next one more.
        t += (paced - burst) * perCall;
        burst = 0;
        if (limitedBy === 'none') limitedBy = 'minute';
      }
      last = t;
      own.push({ at: start + dayMs, n: k });
      remaining -= k;
      room -= k;
    } else {
      const next = past.shift() ?? own.shift();
      if (!next) break;
      if (next.at > t) {
        advance(next.at);
        limitedBy = 'day';
      }
      room += next.n;
    }
  }
  return { at: last, limitedBy };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "in about 4 min", "in about 2 h 10 min", or the clock time once it runs into another day. */
export function etaWords(now: Date, doneAt: Date | null, limitedBy: BudgetLimitedBy, timeZone = 'UTC'): string {
  if (limitedBy === 'connection') return 'when Xero is connected again';
  if (!doneAt) return 'nothing waiting';
  const seconds = Math.max(0, (doneAt.getTime() - now.getTime()) / 1000);
  if (seconds < 60) return 'in less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in about ${minutes} min`;
  const sameDay = dayOf(now, timeZone) === dayOf(doneAt, timeZone);
  if (limitedBy !== 'day' && minutes < 12 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return `in about ${h} h${m ? ` ${m} min` : ''}`;
  }
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(doneAt)
    .replace(/^24:/, '00:');
  const zone = timeZone === 'UTC' ? ' UTC' : '';
  if (sameDay) return `today ~${clock}${zone}`;
  if (dayOf(new Date(now.getTime() + DAY), timeZone) === dayOf(doneAt, timeZone)) return `tomorrow ~${clock}${zone}`;
  const date = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' }).format(doneAt);
  return `on ${date} ~${clock}${zone}`;
}

const dayOf = (d: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

export function xeroBudget(i: BudgetInput): XeroBudget {
  const { limits } = i;
  const callsPerDocument = i.callsPerDocument ?? ESTIMATED_CALLS_PER_DOCUMENT;
  const documents = Math.max(0, i.queuedDocuments);
  const estimatedCalls = Math.ceil(documents * callsPerDocument);
  const minuteRemaining = Math.max(0, limits.perMinute - i.minuteUsed);
  // Xero's own count wins when it leaves less (another install of the app, a trimmed call table).
  const dayRemaining = Math.max(0, Math.min(limits.perDay - i.dayUsed, i.xeroDayRemaining ?? Infinity));
  const now = i.now.getTime();
  const blocked =
    i.blockedUntil && i.blockedUntil.getTime() > now ? { until: i.blockedUntil, reason: i.blockReason ?? null } : null;
  const timeZone = i.timeZone ?? 'UTC';
  let eta: XeroBudget['eta'];
  if (estimatedCalls === 0) {
    eta = { seconds: 0, doneAt: null, limitedBy: 'none', words: etaWords(i.now, null, 'none', timeZone), timeZone };
  } else if (i.connected === false) {
    eta = { seconds: 0, doneAt: null, limitedBy: 'connection', words: etaWords(i.now, null, 'connection'), timeZone };
  } else {
    const f = finish(i, estimatedCalls, dayRemaining);
    const doneAt = new Date(Math.ceil(f.at / 1000) * 1000);
    eta = {
      seconds: Math.max(0, Math.ceil((f.at - now) / 1000)),
      doneAt,
      limitedBy: f.limitedBy,
      words: etaWords(i.now, doneAt, f.limitedBy, timeZone),
      timeZone,
    };
  }
  return {
    asOf: i.now,
    minute: { used: i.minuteUsed, limit: limits.perMinute, remaining: minuteRemaining },
    day: { used: i.dayUsed, limit: limits.perDay, remaining: dayRemaining },
    concurrent: { inFlight: i.inFlight, limit: limits.concurrent },
    blocked,
    queue: { documents, estimatedCalls, callsPerDocument },
    eta,
  };
}

/** The queue in words: "3 documents waiting (about 4 Xero calls)". */
export function queueWords(b: XeroBudget): string {
  if (b.queue.documents === 0) return 'No documents waiting for Xero';
  return `${plural(b.queue.documents, 'document')} waiting for Xero (about ${plural(b.queue.estimatedCalls, 'call')})`;
}

const windowSchema = z.object({
  used: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  remaining: z.number().int().nonnegative(),
});

/** `GET /api/v1/accounts/{accountId}/xero-budget`: what the host receives. */
export const xeroBudgetResponse = z.object({
  accountId: z.string(),
  connection: z.enum(['not_connected', 'active', 'needs_reconnect']),
  organisation: z.string().nullable(),
  asOf: z.string().datetime(),
  minute: windowSchema,
  day: windowSchema,
  concurrent: z.object({ inFlight: z.number().int().nonnegative(), limit: z.number().int().positive() }),
  blocked: z.object({ until: z.string().datetime(), reason: z.string().nullable() }).nullable(),
  queue: z.object({
    documents: z.number().int().nonnegative(),
    /** Of which documents of bulk exports not yet handed to their workflow. */
    exportDocuments: z.number().int().nonnegative(),
    estimatedCalls: z.number().int().nonnegative(),
    callsPerDocument: z.number().positive(),
  }),
  eta: z.object({
    seconds: z.number().int().nonnegative(),
    doneAt: z.string().datetime().nullable(),
    limitedBy: z.enum(['none', 'minute', 'day', 'blocked', 'connection']),
    words: z.string(),
    timeZone: z.string(),
  }),
});
export type XeroBudgetResponse = z.infer<typeof xeroBudgetResponse>;
