import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/db/database';

export type TestDatabaseKind = 'pglite' | 'postgres';

/** PGlite always; real PostgreSQL too when DATABASE_URL is set (CI sets it). */
export function databaseKinds(): TestDatabaseKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** The database tests should use by default: PostgreSQL when available, as production does. */
export function preferredDatabaseKind(): TestDatabaseKind {
  return process.env.DATABASE_URL ? 'postgres' : 'pglite';
}

/**
 * A migrated, empty database of its own: PGlite in memory, or a fresh schema in the
 * DATABASE_URL database (dropped on close) so parallel test files never see each other's rows.
 */
export async function createTestDatabase(kind: TestDatabaseKind = preferredDatabaseKind()): Promise<DatabaseHandle> {
  if (kind === 'pglite') {
    const handle = openDatabase({ kind: 'pglite' });
    await migrateToLatest(handle.db);
    return handle;
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = openDatabase({ kind: 'postgres', url, poolSize: 1 });
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = openDatabase({ kind: 'postgres', url, poolSize: 5, searchPath: schema });
  await migrateToLatest(handle.db, { schema });
  return {
    ...handle,
    async close() {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db).catch(() => undefined);
      await handle.close();
    },
  };
}
