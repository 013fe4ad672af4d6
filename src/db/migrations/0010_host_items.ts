import { sql, type Kysely } from 'kysely';

// Items pushed from the host (src/items/): what the host sent per code, where its push stands, and
// each push batch's exact bodies (so a retried batch resends the same request with the same
// Idempotency-Key). Codes are unique without case in Xero, so the key is the lower-cased code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('host_items')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    // The host's spelling of the code (the newest it sent).
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('code_lower', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'pushed', 'failed')`),
    )
    // Xero's messages when it refused this version.
    .addColumn('error', 'jsonb')
    .addColumn('xero_item_id', 'text')
    // The fingerprint of the version Xero holds.
    .addColumn('pushed_fingerprint', 'text')
    .addColumn('pushed_at', 'timestamptz')
    // The push batch that holds it, until when: two runs (scheduled and on demand) never send it together.
    .addColumn('claim_key', 'text')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('host_items_pkey', ['account_id', 'code_lower'])
    .execute();
  await db.schema.createIndex('host_items_status_idx').on('host_items').columns(['account_id', 'status']).execute();

  await db.schema
    .createTable('item_push_batches')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('batch_key', 'text', (c) => c.notNull())
    // [{codeLower, fingerprint, item}] as sent: PUT (creates) and POST with ItemID (updates).
    .addColumn('creates', 'jsonb', (c) => c.notNull())
    .addColumn('updates', 'jsonb', (c) => c.notNull())
    .addColumn('claimed', 'integer', (c) => c.notNull())
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('item_push_batches_pkey', ['account_id', 'batch_key'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('item_push_batches').execute();
  await db.schema.dropTable('host_items').execute();
}
