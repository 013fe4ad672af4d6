import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The business fact an event reports: an activity attempt that outlived its timeout commits beside
  // its retry, and the second insert of the fact must do nothing. Events without a fact (NULL) stay
  // unconstrained: NULLs are distinct in a unique index.
  await db.schema.alterTable('webhook_outbox').addColumn('fact_key', 'text').execute();
  await db.schema
    .createIndex('webhook_outbox_fact_key_idx')
    .on('webhook_outbox')
    .columns(['host_app_id', 'fact_key'])
    .unique()
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_outbox_fact_key_idx').ifExists().execute();
  await db.schema.alterTable('webhook_outbox').dropColumn('fact_key').execute();
}
