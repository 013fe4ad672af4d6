import { Router } from 'express';
import type { Logger } from '../../src/log';
import { METRICS_CONTENT_TYPE, metricsAccess, metricsText } from '../../src/metrics/exposition';

/** GET /metrics: Prometheus text; see metricsAccess for who may read it (METRICS_TOKEN). */
export function metricsRouter(deps: { token?: string; log: Logger }): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const access = metricsAccess(req, deps.token);
    if (!access.ok) {
      res
        .status(access.status)
        .json({ error: access.status === 401 ? 'unauthorized' : 'forbidden', message: access.message });
      return;
    }
    try {
      const text = await metricsText();
      res.status(200).set('cache-control', 'no-store').type(METRICS_CONTENT_TYPE).send(text);
    } catch (err) {
      deps.log.error({ err }, 'metrics not rendered');
      res.status(500).json({ error: 'internal_error', message: 'metrics could not be rendered' });
    }
  });
  return router;
}
