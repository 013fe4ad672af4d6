import { sql } from 'kysely';
import type { Db } from '../db/database';
import { connectionState } from './connections';
import { xeroBudget, type BudgetLimits, type XeroBudget, type XeroBudgetResponse } from './budget';

/**
 * The figures behind an account's Xero budget (src/xero/budget.ts), read from the rate limiter's own
 * tables — `xero_api_calls` (a row per call) and `xero_rate_limits` (Xero's Retry-After and remaining
 * counts) — read-only, and from the documents' sync state. Three short queries, a fourth only when the
 * queue needs more calls than the day has left.
 */

export interface BudgetOptions {
  /** The limits the workers' limiter applies (XERO_RATE_*). */
  limits: BudgetLimits;
  /** The limiter's window lengths (shrunk in tests). */
  minuteMs?: number;
  dayMs?: number;
}

/** One minute per bucket of the day window: the "tomorrow ~09:40" is right to the minute. */
const DAY_BUCKET_MS = 60_000;

interface CallCounts {
  now: Date;
  minuteUsed: number;
  dayUsed: number;
  inFlight: number;
  blockedUntil: Date | null;
  blockReason: string | null;
  xeroDayRemaining: number | null;
}

/** A tenant's calls in the rolling minute and day, in flight, and what Xero last said (the limiter's rules). */
export async function tenantCallCounts(
  db: Db,
  tenantId: string,
  minuteMs = 60_000,
  dayMs = 86_400_000,
): Promise<CallCounts> {
  const { rows } = await sql<{
    now: Date;
    minute_used: string;
    day_used: string;
    in_flight: string;
    blocked_until: Date | null;
    block_reason: string | null;
    day_remaining: number | null;
    observed_at: Date | null;
    since_observed: string;
  }>`
    with l as (select * from xero_rate_limits where tenant_id = ${tenantId}),
    c as (
      select started_at, finished_at, lease_expires_at from xero_api_calls
      where tenant_id = ${tenantId} and started_at > clock_timestamp() - ${dayMs} * interval '1 millisecond'
    )
    select clock_timestamp() as now,
      count(*) filter (where started_at > clock_timestamp() - ${minuteMs} * interval '1 millisecond') as minute_used,
      count(*) as day_used,
      count(*) filter (where finished_at is null and lease_expires_at > clock_timestamp()) as in_flight,
      (select blocked_until from l) as blocked_until,
      (select block_reason from l) as block_reason,
      (select day_remaining from l) as day_remaining,
      (select observed_at from l) as observed_at,
      count(*) filter (where started_at >= (select observed_at from l)) as since_observed
    from c`.execute(db);
  const r = rows[0]!;
  const now = new Date(r.now);
  const observedAt = r.observed_at ? new Date(r.observed_at) : null;
  // Xero's X-DayLimit-Remaining, less the calls made after the one it answered; stale after a day.
  const xeroDayRemaining =
    r.day_remaining !== null && observedAt && now.getTime() - observedAt.getTime() < dayMs
      ? r.day_remaining - Number(r.since_observed)
      : null;
  return {
    now,
    minuteUsed: Number(r.minute_used),
    dayUsed: Number(r.day_used),
    inFlight: Number(r.in_flight),
    blockedUntil: r.blocked_until ? new Date(r.blocked_until) : null,
    blockReason: r.block_reason,
    xeroDayRemaining,
  };
}

/** The last day's calls per minute, oldest first: when they leave the rolling day. */
async function dayWindow(db: Db, tenantId: string, dayMs: number): Promise<Array<{ at: Date; calls: number }>> {
  const { rows } = await sql<{ bucket: string; calls: string }>`
    select floor(extract(epoch from started_at) * 1000 / ${DAY_BUCKET_MS})::bigint as bucket, count(*) as calls
    from xero_api_calls
    where tenant_id = ${tenantId} and started_at > clock_timestamp() - ${dayMs} * interval '1 millisecond'
    group by 1 order by 1`.execute(db);
  return rows.map((r) => ({ at: new Date(Number(r.bucket) * DAY_BUCKET_MS), calls: Number(r.calls) }));
}

export interface QueuedDocuments {
  /** Every document waiting to go to Xero, export items included. */
  documents: number;
  /** Of those, documents of running exports not yet handed to their own workflow. */
  exportDocuments: number;
}

/**
 * Documents whose sync is waiting to go to Xero, in one query: documents the engine admitted
 * (`order_syncs` syncing) that have no Xero document yet (no invoice or credit-note link) and are
 * not held by a failure (their newest sync-log entry is not one: those wait for a retry, not for
 * Xero), plus the queued items of running exports (not handed over yet, so without a sync row of
 * their own; an item whose document is already admitted is counted once).
 */
export async function queuedDocuments(db: Db, accountId: string): Promise<QueuedDocuments> {
  const { rows } = await sql<{ syncing: string; exports: string }>`
    select
      (select count(*) from order_syncs s
        where s.account_id = ${accountId} and s.status = 'syncing'
          and not exists (
            select 1 from entity_links l
            where l.account_id = s.account_id and l.kind in ('invoice', 'credit_note') and l.host_id = s.order_number)
          and coalesce((
            select g.outcome from sync_log g
            where g.account_id = s.account_id and g.host_ref = s.order_number
            order by g.id desc limit 1), '') <> 'failure'
      ) as syncing,
      (select count(*) from export_items i join exports e on e.id = i.export_id
        where e.account_id = ${accountId} and e.status = 'running' and i.state = 'queued'
          and not exists (
            select 1 from order_syncs s
            where s.account_id = e.account_id
              and s.order_number = case i.kind when 'invoice' then i.host_id else i.kind || chr(30) || i.host_id end)
      ) as exports`.execute(db);
  const r = rows[0]!;
  const exportDocuments = Number(r.exports);
  return { documents: Number(r.syncing) + exportDocuments, exportDocuments };
}

export interface AccountXeroBudget {
  connection: 'not_connected' | 'active' | 'needs_reconnect';
  organisation: string | null;
  exportDocuments: number;
  budget: XeroBudget;
}

/** An account's budget: its organisation's calls against the limits, its queue and the ETA. */
export async function accountXeroBudget(db: Db, accountId: string, opts: BudgetOptions): Promise<AccountXeroBudget> {
  const minuteMs = opts.minuteMs ?? 60_000;
  const dayMs = opts.dayMs ?? 86_400_000;
  const connection = await connectionState(db, accountId);
  const [counts, queued] = await Promise.all([
    connection.status === 'not_connected' ? undefined : tenantCallCounts(db, connection.tenantId, minuteMs, dayMs),
    queuedDocuments(db, accountId),
  ]);
  const base = {
    now: counts?.now ?? new Date(),
    limits: opts.limits,
    minuteUsed: counts?.minuteUsed ?? 0,
    dayUsed: counts?.dayUsed ?? 0,
    inFlight: counts?.inFlight ?? 0,
    blockedUntil: counts?.blockedUntil ?? null,
    blockReason: counts?.blockReason ?? null,
    xeroDayRemaining: counts?.xeroDayRemaining ?? null,
    queuedDocuments: queued.documents,
    connected: connection.status === 'active',
    minuteMs,
    dayMs,
  };
  let budget = xeroBudget(base);
  // Only a queue beyond the day's room needs to know when the last day's calls age out.
  if (connection.status === 'active' && budget.queue.estimatedCalls > budget.day.remaining)
    budget = xeroBudget({
      ...base,
      dayWindow: await dayWindow(db, connection.tenantId, dayMs),
      dayBucketMs: DAY_BUCKET_MS,
    });
  return {
    connection: connection.status,
    organisation: connection.status === 'not_connected' ? null : connection.tenantName,
    exportDocuments: queued.exportDocuments,
    budget,
  };
}

/** The API's answer (src/xero/budget.ts `xeroBudgetResponse`). */
export function budgetResponse(hostAccountId: string, a: AccountXeroBudget): XeroBudgetResponse {
  const b = a.budget;
  return {
    accountId: hostAccountId,
    connection: a.connection,
    organisation: a.organisation,
    asOf: b.asOf.toISOString(),
    minute: b.minute,
    day: b.day,
    concurrent: b.concurrent,
    blocked: b.blocked ? { until: b.blocked.until.toISOString(), reason: b.blocked.reason } : null,
    queue: { ...b.queue, exportDocuments: a.exportDocuments },
    eta: { ...b.eta, doneAt: b.eta.doneAt ? b.eta.doneAt.toISOString() : null },
  };
}
