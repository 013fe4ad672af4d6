import { sql, type Kysely } from 'kysely';

// Idempotency-Key on the host API's writes (web/api/idempotency.ts): the first answer per key and
// host app, kept at least 24 hours so a host retrying a write gets that answer instead of a second effect.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_idempotency_keys')
    .addColumn('host_app_id', 'uuid', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // SHA-256 of method, path and canonical body: the same key with another request is refused.
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    // Null while the first request is still being answered.
    .addColumn('response_status', 'integer')
    .addColumn('response_type', 'text')
    .addColumn('response_body', 'text')
    // The request answering it and until when: a request that died unanswered is taken over after that.
    .addColumn('owner', 'text')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('api_idempotency_keys_pkey', ['host_app_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('api_idempotency_keys_created_idx')
    .on('api_idempotency_keys')
    .column('created_at')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_idempotency_keys').ifExists().execute();
}
