import { sql, type Kysely } from 'kysely';

// The organisation's enabled currencies join the reference data: a document in any other currency
// is refused before anything is written (activities/orders/pre-write-checks.ts).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table xero_reference_data drop constraint if exists xero_reference_data_kind_check`.execute(db);
  await sql`alter table xero_reference_data add constraint xero_reference_data_kind_check
    check (kind in ('tax-rates', 'items', 'accounts', 'tracking-categories', 'currencies'))`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from xero_reference_data where kind = 'currencies'`.execute(db);
  await sql`alter table xero_reference_data drop constraint if exists xero_reference_data_kind_check`.execute(db);
  await sql`alter table xero_reference_data add constraint xero_reference_data_kind_check
    check (kind in ('tax-rates', 'items', 'accounts', 'tracking-categories'))`.execute(db);
}
