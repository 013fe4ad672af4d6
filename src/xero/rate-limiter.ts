import { sql } from 'kysely';
import type { Db } from '../db/database';
import { limiterChecks, limiterWaits, limiterWaitSeconds } from '../metrics/engine';
import { appBudgetWait, appCallsInMinute, appObservedWait, type AppBucket, type AppWindow } from './app-rate-limit';
import { claimProbe, DEFAULT_OUTAGE, finishCall, outageDecision, type OutageOptions } from './outage';
import { createPermitLines } from './permit-line';

/**
 * Xero's per-tenant limits (5 calls in flight, 60 per rolling minute, 5,000 per rolling day) and its
 * app-wide one (10,000 calls per rolling minute across every organisation), enforced across every
 * worker process through the database they share.
 *
 * Each call is a row in `xero_api_calls`. Taking a permit is one short transaction holding a
 * per-tenant advisory lock: count the tenant's rows in flight, in the last minute and in the last
 * day, honour a block set from Xero's own answers (Retry-After, X-*-Limit-Remaining), then insert
 * the row. Timestamps come from the database clock so workers with skewed clocks still agree.
 * A permit of a worker that died is freed by its lease.
 *
 * The app-wide minute is counted in per-bucket rows (`xero_app_calls`, a sixtieth of a minute each),
 * read in the same statement as the tenant's counts and bumped in the same statement as the insert, so
 * a permit costs no extra round trip. Each bucket is split over 16 rows by connection, so permits of
 * different tenants do not queue on one row's lock through each other's commits. Reading without a
 * lock can let the permits in flight at once overshoot, so within APP_LOCK_MARGIN of the budget every
 * permit also takes an app-wide advisory lock and counts again; the count is then exact unless more
 * than that many permits are mid-transaction at once. An `appminute` 429 stops every tenant until its Retry-After; a low X-AppMinLimit-Remaining
 * stops every tenant until enough of the calls Xero counted have left the minute (./app-rate-limit.ts).
 *
 * A tenant Xero does not answer (5xx, no answer) is probed one call at a time until it does
 * (./outage.ts); the other callers are handed back at once with a short wait (reason 'unavailable').
 *
 * When the wait is short the caller simply waits; when it is long the limiter throws
 * RateLimitWaitError and the activity hands the wait to Temporal (nextRetryDelay), so no worker
 * slot is held through a minute- or day-long wait and nothing shows as a failure.
 */

export interface RateLimits {
  perMinute: number;
  perDay: number;
  concurrent: number;
  /** Calls per rolling minute for the whole app, all tenants together (XERO_APP_RATE_PER_MINUTE); Xero's 10,000 when absent. */
  appPerMinute?: number;
}

export const XERO_LIMITS: RateLimits = { perMinute: 60, perDay: 5_000, concurrent: 5 };

/** Xero's calls per rolling minute for the whole app, all organisations together. */
export const XERO_APP_PER_MINUTE = 10_000;

/**
 * Permits closer than this to the app budget count again under an app-wide lock. Larger than the
 * database connections of all workers together, which bound the permits mid-transaction at once.
 */
const APP_LOCK_MARGIN = 100;

export interface RateLimiterOptions {
  db: Db;
  limits?: Partial<RateLimits>;
  /** Which Xero app's budget (one per client id) this limiter shares; tests keep theirs apart with it. */
  app?: string;
  /** Window lengths; shrunk in tests together with the simulator's. */
  minuteMs?: number;
  dayMs?: number;
  /** How long a permit counts as in flight if never released (a killed worker). */
  leaseMs?: number;
  /** Waits up to this long in-process; a longer wait becomes RateLimitWaitError. */
  maxWaitMs?: number;
  /** Re-check interval while every concurrency slot is taken. */
  pollMs?: number;
  /** Probe spacing while Xero does not answer a tenant (./outage.ts). */
  outage?: Partial<OutageOptions>;
}

export class RateLimitWaitError extends Error {
  constructor(
    readonly waitMs: number,
    readonly reason: 'minute' | 'day' | 'concurrent' | 'blocked' | 'app_minute' | 'app_blocked' | 'unavailable',
  ) {
    const next = `next call possible in ${Math.ceil(waitMs / 1000)} s`;
    super(
      reason === 'unavailable'
        ? `Xero is not answering for this organisation (5xx or no answer): another call is probing, ${next}`
        : reason.startsWith('app_')
          ? `Xero ${reason.slice(4)} limit for the whole app (every organisation): ${next}`
          : `Xero ${reason} limit for this organisation: ${next}`,
    );
    this.name = 'RateLimitWaitError';
  }
}

export interface CallOutcome {
  /** Response headers, for X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining. */
  headers?: Record<string, unknown>;
  /** After a 429: Xero's Retry-After (seconds) and X-Rate-Limit-Problem. */
  retryAfterSeconds?: number;
  problem?: string;
  /** Xero did not answer: a 5xx or no answer at all (the tenant's unavailable state, ./outage.ts). */
  unavailable?: boolean;
}

export interface Permit {
  release(outcome?: CallOutcome): Promise<void>;
}

export interface AcquireOptions {
  /**
   * Bulk work (an export) stops short of the limits: a sixth of the minute (the tenant's and the
   * app's), a tenth of the day and one of the concurrent calls stay for live work, so a backlog cannot
   * starve it.
   */
  bulk?: boolean;
  /** A batch serving many documents: ahead of single calls in this process's line (./permit-line.ts). */
  first?: boolean;
}

/** What bulk work leaves for live work: of 60 a minute, 10; of 5,000 a day, 500; of 5 in flight, 1. */
export function liveReserve(limits: RateLimits): RateLimits {
  return {
    perMinute: Math.max(1, Math.floor(limits.perMinute / 6)),
    perDay: Math.max(1, Math.floor(limits.perDay / 10)),
    concurrent: limits.concurrent > 1 ? 1 : 0,
  };
}

export interface RateLimiter {
  acquire(tenantId: string, opts?: AcquireOptions): Promise<Permit>;
  readonly limits: RateLimits;
}

interface Decision {
  waitMs: number;
  reason: RateLimitWaitError['reason'];
}

/** A numeric response header, looked up in any case (X-MinLimit-Remaining and friends); undefined when absent or not a number. */
export function numericHeader(headers: Record<string, unknown> | undefined, name: string): number | undefined {
  if (!headers) return undefined;
  name = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  if (key === undefined) return undefined;
  const n = Number(headers[key]);
  return Number.isFinite(n) ? n : undefined;
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const limits: RateLimits = { ...XERO_LIMITS, ...opts.limits };
  const minuteMs = opts.minuteMs ?? 60_000;
  const dayMs = opts.dayMs ?? 86_400_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const maxWaitMs = opts.maxWaitMs ?? 10_000;
  const pollMs = opts.pollMs ?? 100;
  const outage: OutageOptions = { ...DEFAULT_OUTAGE, ...opts.outage };
  const appPerMinute = limits.appPerMinute ?? XERO_APP_PER_MINUTE;
  const app = opts.app ?? 'xero';
  const appLock = `xero-rate-app:${app}`;
  // Integer ms so every worker (and a test's shrunk minute) files a call in the same bucket.
  const bucketMs = Math.max(1, Math.round(minuteMs / 60));
  // Xero's remaining count is stored only when low: above this our own count governs, and most
  // releases then write nothing app-wide, so no row is shared by every release.
  const appLowWater = Math.max(APP_LOCK_MARGIN, Math.ceil(Math.min(appPerMinute, XERO_APP_PER_MINUTE) / 10));
  const { db } = opts;
  let acquisitions = 0;
  const lines = createPermitLines();
  /** Between permits when a tenant is at its minute: a caller n places back waits about n of these. */
  const spacingMs = minuteMs / Math.max(1, limits.perMinute);
  /** Until when this process last saw each tenant held by a window (minute, day, a block), and why. */
  const heldUntil = new Map<string, { until: number; reason: Decision['reason'] }>();
  /**
   * The latest time a caller of each tenant was handed back to come again: the next one handed back
   * comes a permit later, so returns are spread at the rate permits free up instead of arriving
   * together to find the line as long as they left it.
   */
  const comeBackAt = new Map<string, number>();
  const spreadBack = (tenantId: string, waitMs: number): number => {
    const at = Math.max(Date.now() + waitMs, (comeBackAt.get(tenantId) ?? 0) + spacingMs);
    comeBackAt.set(tenantId, at);
    return at - Date.now();
  };

  const appWindow: AppWindow = { minuteMs, bucketMs };

  /** The app-wide budget; only near it is the count taken again under the app lock. */
  function appDecision(now: number, buckets: AppBucket[], bulk: boolean): { decision?: Decision; near: boolean } {
    const budget = appPerMinute - (bulk ? Math.max(1, Math.floor(appPerMinute / 6)) : 0);
    const waitMs = appBudgetWait(appWindow, now, buckets, budget);
    if (waitMs !== undefined) return { decision: { waitMs, reason: 'app_minute' }, near: true };
    return { near: appCallsInMinute(appWindow, now, buckets) >= budget - APP_LOCK_MARGIN };
  }

  // The app's buckets still of use: the last two minutes (a low X-AppMinLimit-Remaining observed up to
  // a minute ago counted calls from up to a minute before that), as [[bucket, calls], …].
  const appBucketsSql = sql<string>`(
    select coalesce(json_agg(json_build_array(bucket, calls) order by bucket), '[]') from (
      select bucket, sum(calls) as calls from xero_app_calls
      where app = ${app} and bucket_ms = ${bucketMs}
        and bucket >= floor((extract(epoch from clock_timestamp()) * 1000 - ${2 * minuteMs}) / ${bucketMs})
      group by bucket
    ) b)`;
  const parseBuckets = (v: unknown): AppBucket[] =>
    ((typeof v === 'string' ? JSON.parse(v) : v) as Array<[number | string, number]>).map(([bucket, calls]) => ({
      bucket: Number(bucket),
      calls: Number(calls),
    }));

  /** One attempt: a permit id (and whether it is a tenant's outage probe), or how long to wait. */
  async function tryAcquire(tenantId: string, bulk: boolean): Promise<{ id: string; probe: boolean } | Decision> {
    const reserve = bulk ? liveReserve(limits) : { perMinute: 0, perDay: 0, concurrent: 0 };
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`xero-rate:${tenantId}`}, 0))`.execute(trx);
      const { rows } = await sql<{
        now: Date;
        app_blocked_until: Date | null;
        app_remaining: number | null;
        app_observed_at: Date | null;
        app_buckets: unknown;
        outage_failures: number | null;
        outage_next_probe_at: Date | null;
        outage_probe_busy: boolean | null;
        blocked_until: Date | null;
        min_remaining: number | null;
        day_remaining: number | null;
        observed_at: Date | null;
        minute_count: string;
        minute_oldest: Date | null;
        day_count: string;
        day_oldest: Date | null;
        in_flight: string;
        since_observed: string;
        aged_since_observed: string;
      }>`
        with l as (select * from xero_rate_limits where tenant_id = ${tenantId}),
        al as (select * from xero_app_rate_limits where app = ${app}),
        o as (select * from xero_outages where tenant_id = ${tenantId}),
        c as (
          select * from xero_api_calls
          where tenant_id = ${tenantId} and started_at > clock_timestamp() - ${dayMs} * interval '1 millisecond'
        )
        select clock_timestamp() as now,
          (select blocked_until from al) as app_blocked_until,
          (select app_remaining from al) as app_remaining,
          (select observed_at from al) as app_observed_at,
          ${appBucketsSql} as app_buckets,
          (select failures from o) as outage_failures,
          (select next_probe_at from o) as outage_next_probe_at,
          (select probe_call_id is not null and probe_expires_at > clock_timestamp() from o) as outage_probe_busy,
          (select blocked_until from l) as blocked_until,
          (select min_remaining from l) as min_remaining,
          (select day_remaining from l) as day_remaining,
          (select observed_at from l) as observed_at,
          count(*) filter (where started_at > clock_timestamp() - ${minuteMs} * interval '1 millisecond') as minute_count,
          min(started_at) filter (where started_at > clock_timestamp() - ${minuteMs} * interval '1 millisecond') as minute_oldest,
          count(*) as day_count,
          min(started_at) as day_oldest,
          count(*) filter (where finished_at is null and lease_expires_at > clock_timestamp()) as in_flight,
          count(*) filter (where started_at > (select observed_at from l)) as since_observed,
          count(*) filter (
            where started_at > (select observed_at from l) - ${minuteMs} * interval '1 millisecond'
              and finished_at <= clock_timestamp() - ${minuteMs} * interval '1 millisecond'
          ) as aged_since_observed
        from c`.execute(trx);
      const r = rows[0]!;
      const now = new Date(r.now).getTime();
      const at = (d: Date | null) => (d ? new Date(d).getTime() : now);
      const decisions: Decision[] = [];
      if (r.blocked_until && at(r.blocked_until) > now)
        decisions.push({ waitMs: at(r.blocked_until) - now, reason: 'blocked' });
      if (Number(r.minute_count) >= limits.perMinute - reserve.perMinute)
        decisions.push({ waitMs: at(r.minute_oldest) + minuteMs - now, reason: 'minute' });
      if (Number(r.day_count) >= limits.perDay - reserve.perDay)
        decisions.push({ waitMs: at(r.day_oldest) + dayMs - now, reason: 'day' });
      // Xero's own count wins when it is lower than ours (another app install, a restarted table).
      const observed = r.observed_at ? at(r.observed_at) : undefined;
      // Xero's minute rolls too: the calls it counted then that have aged out since are room again,
      // so a burst that left 0 resumes as its first calls age out, not a minute after its last one.
      // Xero counts a call when it arrives, after we start it: a call has aged out for certain a
      // minute after its answer came back (finished_at), and not before.
      const since = Number(r.since_observed);
      const aged = Number(r.aged_since_observed);
      if (
        observed !== undefined &&
        r.min_remaining !== null &&
        now - observed < minuteMs &&
        since >= r.min_remaining + aged
      ) {
        decisions.push({
          waitMs: Math.max(pollMs, Math.min(observed + minuteMs, at(r.minute_oldest) + minuteMs) - now),
          reason: 'minute',
        });
      }
      if (observed !== undefined && r.day_remaining !== null && now - observed < dayMs && since >= r.day_remaining) {
        decisions.push({ waitMs: Math.max(minuteMs, at(r.day_oldest) + dayMs - now), reason: 'day' });
      }
      if (Number(r.in_flight) >= limits.concurrent - reserve.concurrent)
        decisions.push({ waitMs: pollMs, reason: 'concurrent' });

      if (r.app_blocked_until && at(r.app_blocked_until) > now)
        decisions.push({ waitMs: at(r.app_blocked_until) - now, reason: 'app_blocked' });
      const buckets = parseBuckets(r.app_buckets);
      const observedWait = appObservedWait(
        appWindow,
        now,
        buckets,
        r.app_remaining !== null && r.app_observed_at
          ? { remaining: r.app_remaining, observedAt: at(r.app_observed_at) }
          : undefined,
      );
      if (observedWait !== undefined) decisions.push({ waitMs: Math.max(pollMs, observedWait), reason: 'app_minute' });
      let appCheck = appDecision(now, buckets, bulk);
      if (appCheck.decision) decisions.push(appCheck.decision);
      if (decisions.length > 0) return decisions.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));

      // Xero is not answering this tenant: one probe at a time, the others come back after it.
      let probe = false;
      if (r.outage_failures !== null) {
        const d = outageDecision(outage, now, {
          failures: r.outage_failures,
          nextProbeAt: at(r.outage_next_probe_at),
          probeBusy: r.outage_probe_busy === true,
        });
        if (d !== 'probe') return { waitMs: Math.max(pollMs, d), reason: 'unavailable' };
        probe = true;
      }

      if (appCheck.near) {
        // Tenant lock first, app lock second, everywhere: no two permits wait on each other in a cycle.
        await sql`select pg_advisory_xact_lock(hashtextextended(${appLock}, 0))`.execute(trx);
        const again = await sql<{ now: Date; app_buckets: unknown }>`
          select clock_timestamp() as now, ${appBucketsSql} as app_buckets`.execute(trx);
        const a = again.rows[0]!;
        appCheck = appDecision(new Date(a.now).getTime(), parseBuckets(a.app_buckets), bulk);
        if (appCheck.decision) return appCheck.decision;
      }

      const inserted = await sql<{ id: string }>`
        with app_bucket as (
          insert into xero_app_calls (app, bucket_ms, bucket, shard, calls)
          values (${app}, ${bucketMs}, floor(extract(epoch from clock_timestamp()) * 1000 / ${bucketMs}), pg_backend_pid() % 16, 1)
          on conflict (app, bucket_ms, bucket, shard) do update set calls = xero_app_calls.calls + 1
        )
        insert into xero_api_calls (tenant_id, started_at, lease_expires_at)
        values (${tenantId}, clock_timestamp(), clock_timestamp() + ${leaseMs} * interval '1 millisecond')
        returning id`.execute(trx);
      const id = inserted.rows[0]!.id;
      if (probe) await claimProbe(trx, outage, tenantId, id);
      if (++acquisitions % 200 === 0) {
        // Rows older than the day window count for nothing: trim them now and then.
        await sql`delete from xero_api_calls where tenant_id = ${tenantId} and started_at < clock_timestamp() - ${dayMs + minuteMs} * interval '1 millisecond'`.execute(
          trx,
        );
        await sql`
          delete from xero_app_calls
          where app = ${app} and bucket_ms = ${bucketMs}
            and bucket < floor((extract(epoch from clock_timestamp()) * 1000 - ${2 * minuteMs}) / ${bucketMs})`.execute(
          trx,
        );
      }
      return { id, probe };
    });
  }

  async function release(tenantId: string, id: string, outcome: CallOutcome = {}): Promise<void> {
    // Finished, and the tenant's unavailable state entered, backed off or ended, in one statement.
    await finishCall(db, outage, tenantId, id, outcome.unavailable === true);
    const minRemaining = numericHeader(outcome.headers, 'x-minlimit-remaining');
    const dayRemaining = numericHeader(outcome.headers, 'x-daylimit-remaining');
    if (outcome.retryAfterSeconds !== undefined) {
      // Every worker stops calling this tenant until Xero's Retry-After has passed.
      const ms = Math.max(0, outcome.retryAfterSeconds * 1000);
      await sql`
        insert into xero_rate_limits (tenant_id, blocked_until, block_reason)
        values (${tenantId}, clock_timestamp() + ${ms} * interval '1 millisecond', ${outcome.problem ?? null})
        on conflict (tenant_id) do update set
          blocked_until = greatest(coalesce(xero_rate_limits.blocked_until, excluded.blocked_until), excluded.blocked_until),
          block_reason = excluded.block_reason`.execute(db);
    }
    if (outcome.problem?.toLowerCase() === 'appminute' && outcome.retryAfterSeconds !== undefined) {
      // The whole app is over Xero's minute: every tenant waits, not only the one that was told.
      const ms = Math.max(0, outcome.retryAfterSeconds * 1000);
      await sql`
        insert into xero_app_rate_limits (app, blocked_until, block_reason)
        values (${app}, clock_timestamp() + ${ms} * interval '1 millisecond', ${outcome.problem})
        on conflict (app) do update set
          blocked_until = greatest(coalesce(xero_app_rate_limits.blocked_until, excluded.blocked_until), excluded.blocked_until),
          block_reason = excluded.block_reason`.execute(db);
    }
    const appRemaining = numericHeader(outcome.headers, 'x-appminlimit-remaining');
    const tenantSaid = minRemaining !== undefined || dayRemaining !== undefined;
    if (!tenantSaid && appRemaining === undefined) return;
    // observed_at is when the call started: calls started after it were not yet counted by Xero.
    // One statement for both, so honouring the app's header adds no round trip to a release. The app
    // row is written only while Xero's count is low (or to replace a low one with a newer answer).
    await sql`
      with call as (select started_at from xero_api_calls where id = ${id}),
      tenant as (
        insert into xero_rate_limits (tenant_id, min_remaining, day_remaining, observed_at)
        select ${tenantId}, ${minRemaining ?? null}::int, ${dayRemaining ?? null}::int, started_at from call
        where ${tenantSaid}::boolean
        on conflict (tenant_id) do update set
          min_remaining = excluded.min_remaining, day_remaining = excluded.day_remaining, observed_at = excluded.observed_at
        where xero_rate_limits.observed_at is null or xero_rate_limits.observed_at <= excluded.observed_at
      ),
      app as (
        insert into xero_app_rate_limits (app, app_remaining, observed_at)
        select ${app}, ${appRemaining ?? null}::int, started_at from call
        where ${appRemaining ?? null}::int is not null
          and (${appRemaining ?? null}::int < ${appLowWater}::int
            or exists (select 1 from xero_app_rate_limits where app = ${app} and app_remaining < ${appLowWater}::int))
        on conflict (app) do update set app_remaining = excluded.app_remaining, observed_at = excluded.observed_at
        where xero_app_rate_limits.observed_at is null or xero_app_rate_limits.observed_at <= excluded.observed_at
      )
      select 1`.execute(db);
  }

  return {
    limits,
    async acquire(tenantId, acquireOpts = {}) {
      const deadline = Date.now() + maxWaitMs;
      let firstWait: Decision['reason'] | undefined;
      const ticket = lines.join(tenantId, acquireOpts.first === true);
      const ask = () => {
        limiterChecks.inc();
        return tryAcquire(tenantId, acquireOpts.bulk === true);
      };
      const grant = (id: string): Permit => {
        if (firstWait) limiterWaits.inc({ reason: firstWait, outcome: 'waited' });
        let released = false;
        return {
          release: async (outcome) => {
            if (released) return;
            released = true;
            await release(tenantId, id, outcome);
          },
        };
      };
      const handBack = (waitMs: number, reason: Decision['reason']) => {
        limiterWaits.inc({ reason, outcome: 'deferred' });
        return new RateLimitWaitError(Math.max(1, Math.ceil(waitMs)), reason);
      };
      try {
        for (;;) {
          const position = lines.position(tenantId, ticket);
          if (position > 0) {
            // Behind others. Held by a window within the last minute, the organisation gets a permit
            // about every spacing, so this caller's turn is about `position` of them away; past its
            // deadline, it is handed back now (no slot held) to come again when its turn is near.
            const seen = heldUntil.get(tenantId);
            const held = seen && seen.until > Date.now() - minuteMs ? seen : undefined;
            const heldFor = held ? Math.max(0, held.until - Date.now()) : undefined;
            const estimate = (heldFor ?? pollMs) + position * spacingMs;
            if (held && Date.now() + estimate > deadline) throw handBack(spreadBack(tenantId, estimate), held.reason);
            firstWait ??= held?.reason ?? 'concurrent';
            if (!(await lines.turn(tenantId, ticket, deadline))) {
              // Its wait is up before its turn: ask once itself, for a permit or the real reason to wait.
              const result = await ask();
              if ('id' in result) return grant(result.id);
              throw handBack(
                spreadBack(tenantId, result.waitMs + lines.position(tenantId, ticket) * spacingMs),
                result.reason,
              );
            }
            continue;
          }
          const result = await ask();
          if ('id' in result) return grant(result.id);
          const waitMs = Math.max(1, Math.ceil(result.waitMs));
          // A window holds the tenant for a known time; concurrency and an outage end at any answer.
          if (result.reason !== 'concurrent' && result.reason !== 'unavailable')
            heldUntil.set(tenantId, { until: Date.now() + waitMs, reason: result.reason });
          // An outage can last: its waits are never held in-process (a worker slot each), always handed back.
          if (result.reason === 'unavailable' || Date.now() + waitMs > deadline) throw handBack(waitMs, result.reason);
          firstWait ??= result.reason;
          // Concurrency frees up at any moment: poll. Window limits free up at a known time: sleep until then.
          const sleptMs = result.reason === 'concurrent' ? pollMs : waitMs;
          limiterWaitSeconds.inc({ reason: result.reason }, sleptMs / 1000);
          await lines.sleepInFront(tenantId, ticket, sleptMs);
        }
      } finally {
        lines.leave(tenantId, ticket);
      }
    },
  };
}

/** Xero calls made for a tenant in the last 24 hours (the window Xero's daily limit counts), from the limiter's own table. */
export async function xeroCallsLastDay(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('xero_api_calls')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('started_at', '>', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
