import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Each organisation's ShortCode (GET /Organisation, read once): what Xero's deep links to a
  // document need (`xeroUrl` in answers, host events and the sync log).
  await db.schema
    .createTable('xero_org_short_codes')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('short_code', 'text', (c) => c.notNull())
    .addColumn('read_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The document kind of a sync-log entry (order, bill, credit_note, deal, item, contact…), for filters.
  await db.schema.alterTable('sync_log').addColumn('document_kind', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_log').dropColumn('document_kind').execute();
  await db.schema.dropTable('xero_org_short_codes').execute();
}
