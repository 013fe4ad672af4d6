import { Kysely, Migrator, PostgresDialect, sql, type Dialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '../log';
import type { Database } from './schema';
import { migrations } from './migrations';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number; /** For tests: isolate in a schema. */ searchPath?: string }
  | { kind: 'pglite'; /** A directory, or undefined for memory. */ dataDir?: string };

let defaultLog: Logger | undefined;

/**
 * A server restart (or pg_terminate_backend) ends every connection with FATAL 57P01. pg then emits
 * 'error' on each client, and an 'error' event nobody listens to kills the process. The pool only
 * listens while a client is idle; a checked-out client (a query or transaction in flight) has no
 * listener. So every client gets one for its whole life: the query in flight still rejects (the
 * activity is retried), the dead client is dropped on release, and the process carries on.
 */
function survivePostgresRestarts(pool: pg.Pool, log: Logger): void {
  pool.on('connect', (client) => {
    client.on('error', (err: Error & { code?: string; severity?: string }) => {
      // Only the error's own words: the client holds the connection string and its password.
      log.warn({ code: err.code, severity: err.severity, message: err.message }, 'database connection lost');
    });
  });
  // The pool re-emits an idle client's error; the client's listener above has logged it already.
  pool.on('error', () => undefined);
}

export function openDatabase(target: DatabaseTarget, opts: { log?: Logger } = {}): DatabaseHandle {
  let dialect: Dialect;
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      options: target.searchPath ? `-c search_path=${target.searchPath}` : undefined,
    });
    survivePostgresRestarts(pool, opts.log ?? (defaultLog ??= createLogger()));
    dialect = new PostgresDialect({ pool });
  } else {
    if (target.dataDir) mkdirSync(path.dirname(path.resolve(target.dataDir)), { recursive: true });
    dialect = new PGliteDialect(new PGlite(target.dataDir ? path.resolve(target.dataDir) : undefined));
  }
  const db = new Kysely<Database>({ dialect });
  return { db, kind: target.kind, close: () => db.destroy() };
}

/**
 * A catalogue query's error naming another schema (or one of its relations): dropped meanwhile. A
 * column of a relation dropped meanwhile (`pg_get_serial_sequence` in that query) is named without
 * its schema: taken as the same race, since a migration of ours that names a missing column fails
 * the same way on every try and is still reported.
 */
export function droppedMeanwhile(error: unknown, ours: string | undefined): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  if (/column "[^"]+" of relation "[^"]+" does not exist/.test(message)) return true;
  const named = /schema "([^"]+)" does not exist|relation "([^".]+)\.[^"]+" does not exist/.exec(message);
  const schema = named?.[1] ?? named?.[2];
  return !!schema && schema !== (ours ?? 'public');
}

/**
 * Brings the schema up to date; safe to run from several processes at once (advisory lock).
 * `schema` names where the migration bookkeeping lives when the connection's search_path is not
 * `public`: kysely otherwise finds another schema's bookkeeping tables and skips creating its own.
 */
export async function migrateToLatest(db: Db, opts: { schema?: string } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // kysely looks for its own tables with a catalogue query over every schema of the database, which
  // PostgreSQL answers with 'schema "x" does not exist' (or a relation of x) when another schema is
  // dropped at that moment (parallel test runs, tenants' schemas). Only that race is tried again.
  for (let attempt = 1; attempt < 5 && error && droppedMeanwhile(error, opts.schema); attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `database migration${failed ? ` ${failed.migrationName}` : ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** One round trip, for health checks. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
