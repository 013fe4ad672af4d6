import { limiterOptionsFromConfig } from '../access/wiring';
import type { OrderActivityDeps } from '../../activities/orders';
import { publicUrl, type Config } from '../config';
import type { Db } from '../db/database';
import { fetchHostPdf } from './host-pdf';
import type { XeroAccessProvider } from '../xero/access';
import { createXeroGateway } from '../xero/gateway';
import { createRateLimiter } from '../xero/rate-limiter';

/**
 * What a worker needs to sync orders: the Xero gateway (behind the shared rate limiter), timings from
 * config, and the host PDF fetcher (private addresses refused unless OUTBOUND_ALLOW_PRIVATE_NETWORKS or
 * `allowPrivateNetworks`, which `npm start` sets for its localhost demo).
 */
export function orderWorkerDeps(p: {
  db: Db;
  cfg: Config;
  access: XeroAccessProvider;
  apiUrl: string;
  allowPrivateNetworks?: boolean;
}): Pick<OrderActivityDeps, 'xero' | 'orders' | 'fetchPdf' | 'publicUrl'> {
  const allowPrivateNetworks = p.allowPrivateNetworks ?? p.cfg.OUTBOUND_ALLOW_PRIVATE_NETWORKS;
  const limiter = createRateLimiter({ db: p.db, ...limiterOptionsFromConfig(p.cfg) });
  return {
    xero: createXeroGateway({
      access: p.access,
      limiter,
      apiUrl: p.apiUrl,
      batchWindowMs: p.cfg.XERO_BATCH_WINDOW_MS,
      busyBatchHoldMs: p.cfg.XERO_BUSY_BATCH_HOLD_MS,
    }),
    orders: { quietPeriodMs: p.cfg.ORDER_QUIET_PERIOD_SECONDS * 1000 },
    fetchPdf: (url) => fetchHostPdf(url, { allowPrivateNetworks }),
    publicUrl: publicUrl(p.cfg),
  };
}
