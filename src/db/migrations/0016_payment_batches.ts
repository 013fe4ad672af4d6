import { sql, type Kysely } from 'kysely';

// Payment writes batched across orders (issue 14): each batch is stored with its exact body and
// Idempotency-Key before it is sent, and each member payment (by its own write key) is claimed by
// exactly one batch. Whichever worker retries a member resends that same batch under that same key
// (Xero answers it from its record), or, once Xero's key window is over, looks for the payment
// before writing it again.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payment_batches')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // [{key, payment}] in the order sent: the member's own write key and its Xero payment body.
    .addColumn('members', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // When the request first left for Xero: Xero's key window runs from there.
    .addColumn('first_sent_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('payment_batches_created_idx')
    .on('payment_batches')
    .columns(['account_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('payment_batch_members')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('member_key', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'uuid', (c) => c.notNull().references('payment_batches.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('payment_batch_members_pkey', ['account_id', 'member_key'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payment_batch_members').ifExists().execute();
  await db.schema.dropTable('payment_batches').ifExists().execute();
}
