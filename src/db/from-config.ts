import path from 'node:path';
import type { Config } from '../config';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './database';

/** PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR; migrated before it is returned. */
export async function openConfiguredDatabase(cfg: Config): Promise<DatabaseHandle> {
  const handle = cfg.DATABASE_URL
    ? openDatabase({ kind: 'postgres', url: cfg.DATABASE_URL, poolSize: cfg.DATABASE_POOL_SIZE })
    : openDatabase({ kind: 'pglite', dataDir: path.join(cfg.DATA_DIR, 'pglite') });
  try {
    await migrateToLatest(handle.db);
  } catch (err) {
    await handle.close().catch(() => undefined);
    const name = cfg.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR';
    throw new Error(`${name}: cannot open the database: ${(err as Error).message}`, { cause: err });
  }
  return handle;
}
