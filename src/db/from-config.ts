import path from 'node:path';
import type { Config } from '../config';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './database';
import { lockEmbeddedDatabase } from './pglite-lock';

/**
 * PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR; migrated before it is returned.
 * The embedded database is locked while open: another process opening it refuses (EmbeddedDatabaseInUseError).
 */
export async function openConfiguredDatabase(cfg: Config): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (cfg.DATABASE_URL) {
    handle = openDatabase({ kind: 'postgres', url: cfg.DATABASE_URL, poolSize: cfg.DATABASE_POOL_SIZE });
  } else {
    const dataDir = path.join(cfg.DATA_DIR, 'pglite');
    const lock = lockEmbeddedDatabase(dataDir);
    try {
      const opened = openDatabase({ kind: 'pglite', dataDir });
      handle = {
        ...opened,
        close: async () => {
          try {
            await opened.close();
          } finally {
            lock.release();
          }
        },
      };
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  try {
    await migrateToLatest(handle.db);
  } catch (err) {
    await handle.close().catch(() => undefined);
    const name = cfg.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR';
    throw new Error(`${name}: cannot open the database: ${(err as Error).message}`, { cause: err });
  }
  return handle;
}
