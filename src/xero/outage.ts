import { sql } from 'kysely';
import type { Db } from '../db/database';

/**
 * A tenant whose Xero calls fail with a 5xx or no answer is "unavailable" for every worker
 * (`xero_outages`): instead of each waiting document retrying on its own back-off (minutes after a
 * long outage), one call at a time probes, spaced 1 s, 2 s, 4 s… up to a few seconds, and the others
 * are handed back with a wait until the next probe. The first call that Xero answers ends the state,
 * so everyone goes at once (at the rate limit) within seconds of Xero recovering.
 *
 * Only a call started after the state began can end it (an answer to an older call says nothing
 * about now), and only the probe's own failure backs the spacing off: the calls that were in flight
 * when Xero went down all fail together and count once. A single 503 amid successes costs one
 * probe: the next call goes at once, alone, and ends the state.
 */

export interface OutageOptions {
  /** Spacing after the first failed probe; doubles with each further one. */
  probeInitialMs: number;
  /** The spacing's cap (XERO_OUTAGE_PROBE_MAX_MS). */
  probeMaxMs: number;
  /** A probe not released by then is taken to be lost (a dead worker): another may go. */
  probeLeaseMs: number;
}

export const DEFAULT_OUTAGE: OutageOptions = { probeInitialMs: 1_000, probeMaxMs: 5_000, probeLeaseMs: 30_000 };

/**
 * The retry delay of an activity whose Xero call failed with a 5xx or no answer: fixed, not grown
 * with the attempt number (the limiter's probes pace an outage, and its waits say when to come back).
 */
export const XERO_UNAVAILABLE_RETRY_MS = DEFAULT_OUTAGE.probeInitialMs;

/** The spacing after `failures` failed calls (the first, then probes): 0, then 1 s, 2 s, 4 s… capped. */
export function probeDelayMs(o: OutageOptions, failures: number): number {
  if (failures < 1) return 0;
  return Math.min(o.probeMaxMs, o.probeInitialMs * 2 ** (failures - 1));
}

export interface OutageRow {
  failures: number;
  nextProbeAt: number;
  probeBusy: boolean;
}

/** While unavailable: 'probe' (this caller goes, alone) or how long to wait. */
export function outageDecision(o: OutageOptions, now: number, row: OutageRow): 'probe' | number {
  // A probe in flight: if it fails, the next goes after the spacing; if it succeeds, sooner is fine.
  if (row.probeBusy) return probeDelayMs(o, row.failures);
  if (now < row.nextProbeAt) return row.nextProbeAt - now;
  return 'probe';
}

/** Marks the granted permit as the probe. */
export async function claimProbe(db: Db, o: OutageOptions, tenantId: string, callId: string): Promise<void> {
  await sql`
    update xero_outages
    set probe_call_id = ${callId}, probe_expires_at = clock_timestamp() + ${o.probeLeaseMs} * interval '1 millisecond'
    where tenant_id = ${tenantId}`.execute(db);
}

/**
 * Ends a call: marks it finished and, in the same statement, enters or backs off the unavailable
 * state (Xero did not answer) or ends it (Xero answered, even with an error or a 429).
 */
export async function finishCall(
  db: Db,
  o: OutageOptions,
  tenantId: string,
  callId: string,
  unavailable: boolean,
): Promise<void> {
  if (!unavailable) {
    await sql`
      with ended as (
        delete from xero_outages
        where tenant_id = ${tenantId} and since <= (select started_at from xero_api_calls where id = ${callId})
      )
      update xero_api_calls set finished_at = clock_timestamp() where id = ${callId}`.execute(db);
    return;
  }
  await sql`
    with call as (update xero_api_calls set finished_at = clock_timestamp() where id = ${callId} returning id)
    insert into xero_outages (tenant_id, since, failures, next_probe_at)
    values (${tenantId}, clock_timestamp(), 1, clock_timestamp())
    on conflict (tenant_id) do update set
      failures = xero_outages.failures + 1,
      next_probe_at = clock_timestamp()
        + least(${o.probeMaxMs}::float8, ${o.probeInitialMs}::float8 * power(2, xero_outages.failures - 1)) * interval '1 millisecond',
      probe_call_id = null,
      probe_expires_at = null
    where xero_outages.probe_call_id = ${callId}`.execute(db);
}
