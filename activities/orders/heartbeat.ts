import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory, CancelledFailure } from '@temporalio/common';
import type { Transaction } from 'kysely';
import type { Db } from '../../src/db/database';
import type { Database } from '../../src/db/schema';

/**
 * An attempt's liveness. Temporal gives up on an attempt after its start-to-close (or heartbeat)
 * timeout and schedules the next one, but nothing stops the first: a Xero answer that arrives late
 * would still be committed beside the retry's. So every order activity heartbeats for as long as it
 * runs (the server answers a heartbeat of an attempt it gave up on with a cancellation), and a Xero
 * result is committed only by a live attempt. The outbox's fact keys make a second commit harmless;
 * this keeps it from happening at all.
 */

/** How often an activity heartbeats; at most a third of the heartbeat timeout, so one late beat is not fatal. */
export const HEARTBEAT_INTERVAL_MS = 2_000;

const startedAt = new WeakMap<Context, number>();

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Wraps every activity of an object so it heartbeats from start to end (and knows when it started). */
export function withHeartbeats<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      const ctx = currentContext();
      // Local activities (the workflow's quick database checks) cannot heartbeat.
      if (!ctx || ctx.info.isLocal) return fn(...args);
      startedAt.set(ctx, Date.now());
      const every = Math.max(100, Math.min(HEARTBEAT_INTERVAL_MS, (ctx.info.heartbeatTimeoutMs || Infinity) / 3));
      // No beat at the start: the server times the heartbeat from the attempt's start, and the
      // first beat is one more RPC per activity that most steps (done within `every`) never need.
      const timer = setInterval(() => ctx.heartbeat(), every);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return out as T;
}

/**
 * Throws instead of letting a dead attempt commit: one the server cancelled (delivered with a
 * heartbeat's answer), or one older than its start-to-close timeout. The worker sends heartbeats
 * only every 80% of the heartbeat timeout (30 s without one), so the cancellation can come late;
 * the local clock cannot: the server started the attempt before this worker did, so an attempt
 * that has run longer than the timeout here has certainly been timed out there.
 */
export function assertAttemptAlive(): void {
  const ctx = currentContext();
  if (!ctx) return;
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new CancelledFailure('CANCELLED');
  const started = startedAt.get(ctx);
  const timeoutMs = ctx.info.startToCloseTimeoutMs;
  if (started !== undefined && timeoutMs > 0 && Date.now() - started > timeoutMs) {
    // Benign: the server discards this attempt's outcome anyway; the retry is already at work.
    throw ApplicationFailure.create({
      type: 'AttemptTimedOut',
      message: `attempt ${ctx.info.attempt} outlived its start-to-close timeout (${timeoutMs} ms): its result is not stored, the retry stores its own`,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
}

/** A transaction that stores what Xero answered, committed only if the attempt is still alive. */
export async function commitXeroResult<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  assertAttemptAlive();
  return db.transaction().execute(async (trx) => {
    const result = await work(trx);
    // Last thing before COMMIT: throwing here rolls the whole step back.
    assertAttemptAlive();
    return result;
  });
}
