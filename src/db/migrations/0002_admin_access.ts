import { sql, type Kysely } from 'kysely';

// Admin access and the OAuth connect flow. Every secret here is stored as a hash or encrypted:
// a leaked database must not let anyone in or reach Xero.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const id = (col: import('kysely').ColumnDefinitionBuilder) => col.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  // API keys are found by their (non-secret) prefix, then compared by hash in constant time.
  await db.schema.createIndex('api_keys_prefix_idx').on('api_keys').column('prefix').execute();

  // A signed admin link is single use: the row records its redemption.
  await db.schema
    .createTable('admin_links')
    .addColumn('id', 'uuid', id)
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('id', 'uuid', id)
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('admin_sessions_expires_idx').on('admin_sessions').column('expires_at').execute();

  // One row per "Connect to Xero" click: the state (hashed), the PKCE verifier (encrypted), the session it belongs to.
  await db.schema
    .createTable('oauth_states')
    .addColumn('id', 'uuid', id)
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('admin_sessions.id').onDelete('cascade'))
    .addColumn('code_verifier_enc', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  // Tokens obtained while the admin chooses among several organisations; deleted when one is chosen.
  await db.schema
    .createTable('pending_connections')
    .addColumn('id', 'uuid', id)
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('admin_sessions.id').onDelete('cascade'))
    .addColumn('access_token_enc', 'text', (c) => c.notNull())
    .addColumn('refresh_token_enc', 'text', (c) => c.notNull())
    .addColumn('access_token_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('tenants', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['pending_connections', 'oauth_states', 'admin_sessions', 'admin_links'])
    await db.schema.dropTable(t).ifExists().execute();
  await db.schema.dropIndex('api_keys_prefix_idx').ifExists().execute();
}
