import { pingDatabase, type Db } from '../src/db/database';

export interface DiagnosticsDeps {
  db: Db;
  databaseKind: 'postgres' | 'pglite';
}

export interface WorkerDiagnostics {
  database: 'postgres' | 'pglite';
  databaseReachable: boolean;
  workerPid: number;
}

/** Lets ops (and the smoke test) prove a worker is polling and can reach the database. */
export function createDiagnosticsActivities(deps: DiagnosticsDeps) {
  return {
    async checkWorker(): Promise<WorkerDiagnostics> {
      await pingDatabase(deps.db);
      return { database: deps.databaseKind, databaseReachable: true, workerPid: process.pid };
    },
  };
}
