import type { Config } from '../config';
import { usesXeroSimulator } from '../config';
import type { Logger } from '../log';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startXeroSimulator, type RunningXeroSimulator } from '../xero-sim/server';

export interface EmbeddedXero {
  /** The config the engine should use: Xero's hosts, or the simulator's origin and demo app. */
  cfg: Config;
  simulator?: RunningXeroSimulator;
}

/**
 * `npm start` without real Xero credentials runs the simulator in-process and points the engine's
 * three Xero base URLs at it. Nothing else changes: production code has no simulator branches.
 */
export async function embeddedXero(cfg: Config, log: Logger): Promise<EmbeddedXero> {
  if (!usesXeroSimulator(cfg)) return { cfg };
  const simulator = await startXeroSimulator({ port: cfg.XERO_SIM_PORT, host: '127.0.0.1', logLevel: 'warn' });
  log.info({ url: simulator.url }, 'no XERO_CLIENT_ID: using the Xero simulator');
  return {
    simulator,
    cfg: {
      ...cfg,
      XERO_CLIENT_ID: DEMO_CLIENT_ID,
      XERO_CLIENT_SECRET: DEMO_CLIENT_SECRET,
      XERO_LOGIN_URL: simulator.url,
      XERO_IDENTITY_URL: simulator.url,
      XERO_API_URL: simulator.url,
    },
  };
}
