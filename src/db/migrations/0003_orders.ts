import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One row per host order the engine has heard of: whether it syncs at all (orders converted
  // before the Xero connection do not), so the API can answer later events about it at once.
  await db.schema
    .createTable('order_syncs')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('order_number', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('syncing', 'skipped', 'cancelled')`))
    .addColumn('skip_reason', 'text')
    .addColumn('converted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('order_syncs_pkey', ['account_id', 'order_number'])
    .execute();

  // The per-tenant rate limiter shared by every worker (src/xero/rate-limiter.ts): one row per
  // Xero call (in flight until finished_at, counted for the rolling minute and day) ...
  await db.schema
    .createTable('xero_api_calls')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A worker killed mid-call never finishes its row: the lease frees the concurrency slot anyway.
    .addColumn('lease_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('xero_api_calls_tenant_started_idx')
    .on('xero_api_calls')
    .columns(['tenant_id', 'started_at'])
    .execute();

  // ... and what Xero itself said last: a Retry-After block and the X-*-Remaining headers.
  await db.schema
    .createTable('xero_rate_limits')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('blocked_until', 'timestamptz')
    .addColumn('block_reason', 'text')
    .addColumn('min_remaining', 'integer')
    .addColumn('day_remaining', 'integer')
    .addColumn('observed_at', 'timestamptz')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['xero_rate_limits', 'xero_api_calls', 'order_syncs'])
    await db.schema.dropTable(t).ifExists().execute();
}
