import path from 'node:path';
import type { Config } from '../config';
import { usesXeroSimulator } from '../config';
import type { Logger } from '../log';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startXeroSimulator, type RunningXeroSimulator } from '../xero-sim/server';

export interface EmbeddedXero {
  /** The config the engine should use: Xero's hosts, or the simulator's origin and demo app. */
  cfg: Config;
  simulator?: RunningXeroSimulator;
}

/** Where `npm start` keeps the simulated Xero's state (organisations, documents, tokens). */
export function simulatorStatePath(dataDir: string): string {
  return path.join(dataDir, 'xero-sim.json');
}

/**
 * `npm start` without real Xero credentials runs the simulator in-process and points the engine's
 * three Xero base URLs at it. Nothing else changes: production code has no simulator branches.
 * The simulator's state lives in `$DATA_DIR/xero-sim.json`, so a restart keeps the demo as it was.
 */
export async function embeddedXero(cfg: Config, log: Logger): Promise<EmbeddedXero> {
  if (!usesXeroSimulator(cfg)) return { cfg };
  const persistPath = simulatorStatePath(cfg.DATA_DIR);
  const simulator = await startXeroSimulator({
    port: cfg.XERO_SIM_PORT,
    host: '127.0.0.1',
    logLevel: 'warn',
    persistPath,
  });
  log.info({ url: simulator.url, state: persistPath }, 'no XERO_CLIENT_ID: using the Xero simulator');
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
