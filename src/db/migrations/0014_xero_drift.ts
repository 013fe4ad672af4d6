import { sql, type Kysely } from 'kysely';

// Changes made in Xero to documents the engine wrote (issue 13): one open drift per document at most
// (newer changes update it), kept after resolution for the record; and each account's reconciliation
// runs, whose last start is the next run's If-Modified-Since.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('xero_drift')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    /** The document's stored key (order_syncs.order_number). */
    .addColumn('document_ref', 'text', (c) => c.notNull())
    .addColumn('document_kind', 'text', (c) => c.notNull())
    .addColumn('xero_id', 'text', (c) => c.notNull())
    .addColumn('xero_number', 'text')
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('webhook', 'reconciliation')`))
    /** DriftChanges (src/xero-changes/contract.ts). */
    .addColumn('changes', 'jsonb', (c) => c.notNull())
    /** The Xero copy that showed it (XeroDocumentCopy). */
    .addColumn('xero_copy', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'resolved')`),
    )
    .addColumn('resolution', 'text', (c) =>
      c.check(sql`resolution is null or resolution in ('sent_ours', 'accepted_xero', 'ignored', 'overwritten')`),
    )
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('resolved_at', 'timestamptz')
    .execute();
  await sql`create unique index xero_drift_open_idx on xero_drift (account_id, document_ref) where status = 'open'`.execute(
    db,
  );
  await db.schema
    .createIndex('xero_drift_account_idx')
    .on('xero_drift')
    .columns(['account_id', 'status', 'detected_at'])
    .execute();

  await db.schema
    .createTable('xero_reconciliation_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('schedule', 'manual', 'api')`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('running')
        .check(sql`status in ('running', 'completed', 'failed')`),
    )
    /** If-Modified-Since of this run (null: everything the engine wrote). */
    .addColumn('since', 'timestamptz')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('finished_at', 'timestamptz')
    /** {documentsRead, paymentsRead, calls, drifts, error?}. */
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema
    .createIndex('xero_reconciliation_runs_account_idx')
    .on('xero_reconciliation_runs')
    .columns(['account_id', 'started_at'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('xero_reconciliation_runs').ifExists().execute();
  await db.schema.dropTable('xero_drift').ifExists().execute();
}
