import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // What an order's run leaves for the next one: the host's newest version and content, removed
  // payments (src/orders/messages.ts StoredOrderState). A late event after the workflow completed
  // is compared with it instead of undoing newer data.
  await db.schema.alterTable('order_syncs').addColumn('state', 'jsonb').execute();

  // Payment links were `{order}/{payment}`; order numbers may now contain '/', so the separator is
  // U+001F, which no identifier may contain. Old order numbers had no '/': the first one splits.
  await sql`update entity_links set host_id = regexp_replace(host_id, '/', chr(31)) where kind = 'payment'`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`update entity_links set host_id = replace(host_id, chr(31), '/') where kind = 'payment'`.execute(db);
  await db.schema.alterTable('order_syncs').dropColumn('state').execute();
}
