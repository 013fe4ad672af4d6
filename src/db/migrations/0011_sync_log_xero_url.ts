import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Xero's deep link to the document an entry is about (its creation, revision, allocation): the sync
  // log page links to it.
  await db.schema.alterTable('sync_log').addColumn('xero_url', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_log').dropColumn('xero_url').execute();
}
