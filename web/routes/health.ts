import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { pingDatabase, type Db } from '../../src/db/database';

export interface HealthDeps {
  db: Db;
  temporal: Client;
}

type Check = { ok: true; latencyMs: number } | { ok: false; error: string };

async function timed(probe: () => Promise<unknown>, timeoutMs: number): Promise<Check> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - start) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Unauthenticated on purpose (load balancers call it) and says nothing an outsider could use. */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      timed(() => pingDatabase(deps.db), 2_000),
      timed(() => deps.temporal.workflowService.getSystemInfo({}), 2_000),
    ]);
    const ok = database.ok && temporal.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { database, temporal } });
  });
  return router;
}
