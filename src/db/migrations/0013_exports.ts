import { sql, type Kysely } from 'kysely';

// Bulk exports: one row per export, one per document in it (its own outcome). The documents are kept
// here rather than in the export workflow's input: 5,000 of them would exceed Temporal's payload limit.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('exports')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('running')
        .check(sql`status in ('running', 'completed', 'cancelled')`),
    )
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('notify', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('sentence', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('exports_account_idx').on('exports').columns(['account_id', 'created_at']).execute();
  await db.schema
    .createTable('export_items')
    .addColumn('export_id', 'uuid', (c) => c.notNull().references('exports.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('invoice', 'bill', 'credit_note')`))
    .addColumn('host_id', 'text', (c) => c.notNull())
    /** The validated event for the document's workflow; null when the item was refused. */
    .addColumn('event', 'jsonb')
    /** refused and cancelled are final here; exported and failed are read from the document's sync. */
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('queued', 'handed_over', 'refused', 'cancelled')`),
    )
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('export_items_pkey', ['export_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('export_items_state_idx')
    .on('export_items')
    .columns(['export_id', 'state', 'seq'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('export_items').ifExists().execute();
  await db.schema.dropTable('exports').ifExists().execute();
}
