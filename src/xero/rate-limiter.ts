import { sql } from 'kysely';
import type { Db } from '../db/database';
import { limiterWaits, limiterWaitSeconds } from '../metrics/engine';

/**
 * Xero's per-tenant limits (5 calls in flight, 60 per rolling minute, 5,000 per rolling day),
 * enforced across every worker process through the database they share.
 *
 * Each call is a row in `xero_api_calls`. Taking a permit is one short transaction holding a
 * per-tenant advisory lock: count the tenant's rows in flight, in the last minute and in the last
 * day, honour a block set from Xero's own answers (Retry-After, X-*-Limit-Remaining), then insert
 * the row. Timestamps come from the database clock so workers with skewed clocks still agree.
 * A permit of a worker that died is freed by its lease.
 *
 * When the wait is short the caller simply waits; when it is long the limiter throws
 * RateLimitWaitError and the activity hands the wait to Temporal (nextRetryDelay), so no worker
 * slot is held through a minute- or day-long wait and nothing shows as a failure.
 */

export interface RateLimits {
  perMinute: number;
  perDay: number;
  concurrent: number;
}

export const XERO_LIMITS: RateLimits = { perMinute: 60, perDay: 5_000, concurrent: 5 };

export interface RateLimiterOptions {
  db: Db;
  limits?: Partial<RateLimits>;
  /** Window lengths; shrunk in tests together with the simulator's. */
  minuteMs?: number;
  dayMs?: number;
  /** How long a permit counts as in flight if never released (a killed worker). */
  leaseMs?: number;
  /** Waits up to this long in-process; a longer wait becomes RateLimitWaitError. */
  maxWaitMs?: number;
  /** Re-check interval while every concurrency slot is taken. */
  pollMs?: number;
}

export class RateLimitWaitError extends Error {
  constructor(
    readonly waitMs: number,
    readonly reason: 'minute' | 'day' | 'concurrent' | 'blocked',
  ) {
    super(`Xero ${reason} limit for this organisation: next call possible in ${Math.ceil(waitMs / 1000)} s`);
    this.name = 'RateLimitWaitError';
  }
}

export interface CallOutcome {
  /** Response headers, for X-MinLimit-Remaining / X-DayLimit-Remaining. */
  headers?: Record<string, unknown>;
  /** After a 429: Xero's Retry-After (seconds) and X-Rate-Limit-Problem. */
  retryAfterSeconds?: number;
  problem?: string;
}

export interface Permit {
  release(outcome?: CallOutcome): Promise<void>;
}

export interface AcquireOptions {
  /**
   * Bulk work (an export) stops short of the limits: a tenth of the minute and the day and one of
   * the concurrent calls stay for live work, so a backlog cannot starve it.
   */
  bulk?: boolean;
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

function header(headers: Record<string, unknown> | undefined, name: string): number | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  if (key === undefined) return undefined;
  const n = Number(headers[key]);
  return Number.isFinite(n) ? n : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const limits: RateLimits = { ...XERO_LIMITS, ...opts.limits };
  const minuteMs = opts.minuteMs ?? 60_000;
  const dayMs = opts.dayMs ?? 86_400_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const maxWaitMs = opts.maxWaitMs ?? 10_000;
  const pollMs = opts.pollMs ?? 100;
  const { db } = opts;
  let acquisitions = 0;

  /** One attempt: a permit id, or how long to wait. */
  async function tryAcquire(tenantId: string, bulk: boolean): Promise<{ id: string } | Decision> {
    const reserve = bulk ? liveReserve(limits) : { perMinute: 0, perDay: 0, concurrent: 0 };
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`xero-rate:${tenantId}`}, 0))`.execute(trx);
      const { rows } = await sql<{
        now: Date;
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
      }>`
        with l as (select * from xero_rate_limits where tenant_id = ${tenantId}),
        c as (
          select * from xero_api_calls
          where tenant_id = ${tenantId} and started_at > clock_timestamp() - ${dayMs} * interval '1 millisecond'
        )
        select clock_timestamp() as now,
          (select blocked_until from l) as blocked_until,
          (select min_remaining from l) as min_remaining,
          (select day_remaining from l) as day_remaining,
          (select observed_at from l) as observed_at,
          count(*) filter (where started_at > clock_timestamp() - ${minuteMs} * interval '1 millisecond') as minute_count,
          min(started_at) filter (where started_at > clock_timestamp() - ${minuteMs} * interval '1 millisecond') as minute_oldest,
          count(*) as day_count,
          min(started_at) as day_oldest,
          count(*) filter (where finished_at is null and lease_expires_at > clock_timestamp()) as in_flight,
          count(*) filter (where started_at >= (select observed_at from l)) as since_observed
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
      const since = Number(r.since_observed);
      if (observed !== undefined && r.min_remaining !== null && now - observed < minuteMs && since >= r.min_remaining) {
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
      if (decisions.length > 0) return decisions.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));

      const inserted = await sql<{ id: string }>`
        insert into xero_api_calls (tenant_id, started_at, lease_expires_at)
        values (${tenantId}, clock_timestamp(), clock_timestamp() + ${leaseMs} * interval '1 millisecond')
        returning id`.execute(trx);
      if (++acquisitions % 200 === 0) {
        // Rows older than the day window count for nothing: trim them now and then.
        await sql`delete from xero_api_calls where tenant_id = ${tenantId} and started_at < clock_timestamp() - ${dayMs + minuteMs} * interval '1 millisecond'`.execute(
          trx,
        );
      }
      return { id: inserted.rows[0]!.id };
    });
  }

  async function release(tenantId: string, id: string, outcome: CallOutcome = {}): Promise<void> {
    await db
      .updateTable('xero_api_calls')
      .set({ finished_at: sql<Date>`clock_timestamp()` })
      .where('id', '=', id)
      .execute();
    const minRemaining = header(outcome.headers, 'x-minlimit-remaining');
    const dayRemaining = header(outcome.headers, 'x-daylimit-remaining');
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
    if (minRemaining !== undefined || dayRemaining !== undefined) {
      // observed_at is when the call started: calls started after it were not yet counted by Xero.
      await sql`
        insert into xero_rate_limits (tenant_id, min_remaining, day_remaining, observed_at)
        select ${tenantId}, ${minRemaining ?? null}::int, ${dayRemaining ?? null}::int, started_at from xero_api_calls where id = ${id}
        on conflict (tenant_id) do update set
          min_remaining = excluded.min_remaining, day_remaining = excluded.day_remaining, observed_at = excluded.observed_at
        where xero_rate_limits.observed_at is null or xero_rate_limits.observed_at <= excluded.observed_at`.execute(db);
    }
  }

  return {
    limits,
    async acquire(tenantId, acquireOpts = {}) {
      const deadline = Date.now() + maxWaitMs;
      let firstWait: Decision['reason'] | undefined;
      for (;;) {
        const result = await tryAcquire(tenantId, acquireOpts.bulk === true);
        if ('id' in result) {
          if (firstWait) limiterWaits.inc({ reason: firstWait, outcome: 'waited' });
          let released = false;
          return {
            release: async (outcome) => {
              if (released) return;
              released = true;
              await release(tenantId, result.id, outcome);
            },
          };
        }
        const waitMs = Math.max(1, Math.ceil(result.waitMs));
        if (Date.now() + waitMs > deadline) {
          limiterWaits.inc({ reason: result.reason, outcome: 'deferred' });
          throw new RateLimitWaitError(waitMs, result.reason);
        }
        firstWait ??= result.reason;
        // Concurrency frees up at any moment: poll. Window limits free up at a known time: sleep until then.
        const sleptMs = result.reason === 'concurrent' ? pollMs : waitMs;
        limiterWaitSeconds.inc({ reason: result.reason }, sleptMs / 1000);
        await sleep(sleptMs);
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
