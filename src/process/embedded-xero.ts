import path from 'node:path';
import type { Config } from '../config';
import { usesXeroSimulator } from '../config';
import type { Logger } from '../log';
import { devWebhookKey } from '../security/secrets';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startXeroSimulator, type RunningXeroSimulator } from '../xero-sim/server';

export interface EmbeddedXero {
  /**
   * The config the engine should use: Xero's hosts, or the simulator's origin and demo app — and,
   * with the simulator, `XERO_WEBHOOK_KEY` set to the key its webhooks are signed with.
   */
  cfg: Config;
  simulator?: RunningXeroSimulator;
  /**
   * The key `/webhooks/xero` verifies `x-xero-signature` with: with the simulator, the one its
   * webhooks are signed with (`XERO_WEBHOOK_KEY`, else generated once in `$DATA_DIR/dev-secrets.json`);
   * with real Xero, `XERO_WEBHOOK_KEY` (from the app's webhook settings at developer.xero.com), if set.
   */
  webhookKey?: string;
  /** With the simulator: where its webhooks go (the engine's `/webhooks/xero`). */
  webhookUrl?: string;
}

/** Where `npm start` keeps the simulated Xero's state (organisations, documents, tokens). */
export function simulatorStatePath(dataDir: string): string {
  return path.join(dataDir, 'xero-sim.json');
}

/** Short enough for a demo to show drift within seconds, long enough to batch an accountant's burst. */
export const DEMO_WEBHOOK_BATCH_MS = 1000;

/**
 * Where the simulator posts Xero's webhooks: the engine's public URL when it has one, else its own
 * listening address (a wildcard address is reached on loopback).
 */
export function engineWebhookUrl(cfg: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  if (cfg.PUBLIC_URL) return `${cfg.PUBLIC_URL.replace(/\/+$/, '')}/webhooks/xero`;
  const host = cfg.HOST === '0.0.0.0' || cfg.HOST === '::' ? '127.0.0.1' : cfg.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${cfg.PORT}/webhooks/xero`;
}

/**
 * `npm start` without real Xero credentials runs the simulator in-process and points the engine's
 * three Xero base URLs at it, and the simulator's webhooks at the engine. Nothing else changes:
 * production code has no simulator branches. The simulator's state lives in
 * `$DATA_DIR/xero-sim.json`, so a restart keeps the demo as it was.
 */
export async function embeddedXero(cfg: Config, log: Logger): Promise<EmbeddedXero> {
  if (!usesXeroSimulator(cfg)) return { cfg, ...(cfg.XERO_WEBHOOK_KEY ? { webhookKey: cfg.XERO_WEBHOOK_KEY } : {}) };
  const persistPath = simulatorStatePath(cfg.DATA_DIR);
  const webhookKey = devWebhookKey(cfg, log);
  const webhookUrl = engineWebhookUrl(cfg);
  const simulator = await startXeroSimulator({
    port: cfg.XERO_SIM_PORT,
    host: '127.0.0.1',
    logLevel: 'warn',
    persistPath,
    // Events raised before the engine's web server listens (or while it restarts) are retried; the
    // scheduled reconciliation catches whatever still gets lost, as with Xero.
    webhook: { url: webhookUrl, key: webhookKey, batchMs: DEMO_WEBHOOK_BATCH_MS, retries: 5, retryDelayMs: 1000 },
  });
  log.info(
    { url: simulator.url, state: persistPath, webhooks: webhookUrl },
    'no XERO_CLIENT_ID: using the Xero simulator',
  );
  return {
    simulator,
    webhookKey,
    webhookUrl,
    cfg: {
      ...cfg,
      XERO_CLIENT_ID: DEMO_CLIENT_ID,
      XERO_CLIENT_SECRET: DEMO_CLIENT_SECRET,
      XERO_LOGIN_URL: simulator.url,
      XERO_IDENTITY_URL: simulator.url,
      XERO_API_URL: simulator.url,
      XERO_WEBHOOK_KEY: webhookKey,
    },
  };
}
