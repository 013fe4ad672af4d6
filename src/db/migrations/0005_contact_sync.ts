import { sql, type Kysely } from 'kysely';

// Scheduled contact sync (src/contact-sync/): host contacts waiting to be pushed, the engine's copy
// of the organisation's contacts, the per-account checkpoint, push batches (so a crashed push
// resends exactly what it sent), pulled pages (so a retried page is not announced twice), run
// counts, and the reference data read by hosts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const account = (c: import('kysely').ColumnDefinitionBuilder) =>
    c.notNull().references('accounts.id').onDelete('cascade');

  await db.schema
    .createTable('host_contacts')
    .addColumn('account_id', 'uuid', account)
    .addColumn('host_id', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('data_hash', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    // data_hash|settings key of what Xero holds (written or linked): equal to the current key = nothing to do.
    .addColumn('pushed_key', 'text')
    // The key at which the engine decided not to write (archived in Xero): not retried until it changes.
    .addColumn('held_key', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(
          sql`status in ('pending', 'created', 'updated', 'linked', 'unchanged', 'skipped', 'archived', 'failed')`,
        ),
    )
    .addColumn('status_message', 'text')
    .addColumn('errors', 'jsonb')
    .addColumn('xero_contact_id', 'text')
    // The run that last considered it: a contact that failed in a run is not picked again by that run.
    .addColumn('last_run_key', 'text')
    .addColumn('last_attempt_at', 'timestamptz')
    .addPrimaryKeyConstraint('host_contacts_pkey', ['account_id', 'host_id'])
    .execute();

  await db.schema
    .createTable('xero_contacts')
    .addColumn('account_id', 'uuid', account)
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('contact_number', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('xero_updated_at', 'timestamptz')
    .addColumn('data', 'jsonb', (c) => c.notNull())
    // When the engine learnt this version; hosts polling `GET …/xero/contacts?since=` page on it.
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('change_seq', 'bigserial', (c) => c.notNull())
    .addPrimaryKeyConstraint('xero_contacts_pkey', ['account_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('xero_contacts_name_idx')
    .on('xero_contacts')
    .columns(['account_id', 'name_key'])
    .execute();
  await db.schema
    .createIndex('xero_contacts_number_idx')
    .on('xero_contacts')
    .columns(['account_id', 'contact_number'])
    .execute();
  await db.schema
    .createIndex('xero_contacts_changed_idx')
    .on('xero_contacts')
    .columns(['account_id', 'change_seq'])
    .execute();

  await db.schema
    .createTable('contact_sync_state')
    .addColumn('account_id', 'uuid', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    // If-Modified-Since of the next pull: the newest UpdatedDateUTC seen (Xero's clock, not ours).
    .addColumn('pull_watermark', 'timestamptz')
    .addColumn('last_run_key', 'text')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('import_run_key', 'text')
    .addColumn('import_status', 'text')
    .addColumn('import_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('import_total', 'integer')
    .addColumn('import_started_at', 'timestamptz')
    .addColumn('import_finished_at', 'timestamptz')
    .addColumn('import_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('contact_push_batches')
    .addColumn('account_id', 'uuid', account)
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('batch_no', 'integer', (c) => c.notNull())
    // [{hostId, key, contact}] for PUT (create) and POST (update): stored so a retry resends the same body.
    .addColumn('creates', 'jsonb', (c) => c.notNull())
    .addColumn('updates', 'jsonb', (c) => c.notNull())
    .addColumn('create_sent_at', 'timestamptz')
    .addColumn('create_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('creates_done', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updates_done', 'boolean', (c) => c.notNull().defaultTo(false))
    // Outcomes decided without writing (linked by name, archived, skipped), counted with the batch.
    .addColumn('decided', 'jsonb', (c) => c.notNull())
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('contact_push_batches_pkey', ['account_id', 'run_key', 'batch_no'])
    .execute();

  await db.schema
    .createTable('contact_pull_pages')
    .addColumn('account_id', 'uuid', account)
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('page', 'integer', (c) => c.notNull())
    .addColumn('result', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('contact_pull_pages_pkey', ['account_id', 'run_key', 'page'])
    .execute();

  await db.schema
    .createTable('contact_sync_runs')
    .addColumn('account_id', 'uuid', account)
    .addColumn('run_key', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('pushed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('linked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pulled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('contact_sync_runs_pkey', ['account_id', 'run_key'])
    .execute();
  await db.schema
    .createIndex('contact_sync_runs_started_idx')
    .on('contact_sync_runs')
    .columns(['account_id', 'started_at desc'])
    .execute();

  await db.schema
    .createTable('xero_reference_data')
    .addColumn('account_id', 'uuid', account)
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('tax-rates', 'items', 'accounts', 'tracking-categories')`),
    )
    .addColumn('items', 'jsonb', (c) => c.notNull())
    .addColumn('refreshed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('xero_reference_data_pkey', ['account_id', 'kind'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'xero_reference_data',
    'contact_sync_runs',
    'contact_pull_pages',
    'contact_push_batches',
    'contact_sync_state',
    'xero_contacts',
    'host_contacts',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
