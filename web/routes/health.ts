import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { pingDatabase, type Db } from '../../src/db/database';
import { readiness, timedCheck, type ShutdownState } from '../../src/metrics/probes';

export interface HealthDeps {
  db: Db;
  temporal: Client;
  /** Set when shutdown begins: /readyz answers 503 from then on so load balancers drain this instance. */
  shutdown?: ShutdownState;
  /** A worker in this same process (npm start): ready only while it runs. */
  workerState?: () => string;
}

/** Unauthenticated on purpose (load balancers and kubelets call them) and says nothing an outsider could use. */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  const database = () => timedCheck(() => pingDatabase(deps.db), 2_000);
  const temporal = () => timedCheck(() => deps.temporal.workflowService.getSystemInfo({}), 2_000);
  router.get('/healthz', async (_req, res) => {
    const [db, tmp] = await Promise.all([database(), temporal()]);
    const ok = db.ok && tmp.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database: db, temporal: tmp } });
  });
  // Liveness depends on nothing: a database outage must not get every instance restarted.
  router.get('/livez', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const workerState = deps.workerState;
    const report = await readiness(
      {
        database,
        temporal,
        ...(workerState
          ? {
              worker: async () => {
                const state = workerState();
                return { ok: state === 'RUNNING', state };
              },
            }
          : {}),
      },
      deps.shutdown,
    );
    res
      .status(report.ready ? 200 : 503)
      .set('cache-control', 'no-store')
      .json(report.body);
  });
  return router;
}
