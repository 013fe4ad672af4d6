import type { Kysely } from 'kysely';

// The limiter's shared state beyond one tenant's calls (issue 14), shared by all workers like the
// per-tenant tables:
// - Xero's app-wide limit (10,000 calls a minute across every organisation). Calls are counted in
//   one row per time bucket rather than read back from xero_api_calls: summing at most 120 buckets' small
//   rows stays cheap on every permit, where counting a whole minute of every tenant's calls would not.
// - A tenant's "Xero unavailable" state after a 5xx or no answer: one probe at a time until Xero
//   answers again (src/xero/outage.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('xero_app_calls')
    /** One Xero app's budget (one client id); tests keep theirs apart. */
    .addColumn('app', 'text', (c) => c.notNull())
    /** Width of the bucket: a sixtieth of the limiter's minute, so a shrunk test minute never mixes with a real one. */
    .addColumn('bucket_ms', 'integer', (c) => c.notNull())
    /** Start of the bucket in ms since the epoch, divided by bucket_ms (the database clock). */
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    /**
     * Which of a bucket's rows (the database connection's pid, modulo 16): permits of different
     * tenants bump different rows, so none waits for another's commit on one shared row.
     */
    .addColumn('shard', 'integer', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('xero_app_calls_pkey', ['app', 'bucket_ms', 'bucket', 'shard'])
    .execute();

  // What Xero last said about the whole app: an `appminute` 429's Retry-After and a low X-AppMinLimit-Remaining.
  await db.schema
    .createTable('xero_app_rate_limits')
    .addColumn('app', 'text', (c) => c.primaryKey())
    .addColumn('blocked_until', 'timestamptz')
    .addColumn('block_reason', 'text')
    .addColumn('app_remaining', 'integer')
    .addColumn('observed_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('xero_outages')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    /** When the first 5xx or lost answer was recorded: only calls started later can end the state. */
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    /** Failed calls that counted: the first one, then each failed probe (the probe spacing backs off with it). */
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('next_probe_at', 'timestamptz', (c) => c.notNull())
    /** The probe in flight (a xero_api_calls id), until it is released or its lease passes (a dead worker). */
    .addColumn('probe_call_id', 'bigint')
    .addColumn('probe_expires_at', 'timestamptz')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['xero_outages', 'xero_app_rate_limits', 'xero_app_calls'])
    await db.schema.dropTable(t).ifExists().execute();
}
