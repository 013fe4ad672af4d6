import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import { startDevServer, type RunningDevServer } from './dev-server';
import { SEARCH_ATTRIBUTES } from './search-attributes';

export interface TemporalHandle {
  address: string;
  namespace: string;
  /** Temporal Web UI, when one is known (dev server or TEMPORAL_UI_URL). */
  uiUrl?: string;
  /** For starting, signalling and querying workflows (web, client). */
  client: Client;
  /** For workers. */
  nativeConnection: NativeConnection;
  /** Closes the connections and stops the dev server if this process started it. */
  close(): Promise<void>;
}

export interface OpenTemporalOptions {
  /** Where a dev server keeps its state: a file under DATA_DIR (npm start) or memory (tests). */
  devServerStore: 'file' | 'memory';
}

/**
 * Connects to TEMPORAL_ADDRESS when set; otherwise starts a dev server owned by this process.
 * Either way the engine's search attributes exist when this returns.
 */
export async function openTemporal(cfg: Config, log: Logger, opts: OpenTemporalOptions): Promise<TemporalHandle> {
  let devServer: RunningDevServer | undefined;
  let address = cfg.TEMPORAL_ADDRESS;
  let uiUrl = cfg.TEMPORAL_UI_URL;
  if (!address) {
    devServer = await startDevServer({
      cliPath: cfg.TEMPORAL_CLI_PATH,
      port: cfg.TEMPORAL_DEV_PORT,
      uiPort: cfg.TEMPORAL_UI_PORT,
      dbFilename: opts.devServerStore === 'file' ? path.resolve(cfg.DATA_DIR, 'temporal.db') : undefined,
      namespace: cfg.TEMPORAL_NAMESPACE,
      log,
    });
    address = devServer.address;
    uiUrl ??= devServer.uiUrl;
  }
  try {
    const connection = await connectWithRetry(address, log);
    await ensureSearchAttributes(connection, cfg.TEMPORAL_NAMESPACE, log);
    const nativeConnection = await NativeConnection.connect({ address });
    const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
    return {
      address,
      namespace: cfg.TEMPORAL_NAMESPACE,
      uiUrl,
      client,
      nativeConnection,
      async close() {
        await nativeConnection.close().catch(() => undefined);
        await connection.close().catch(() => undefined);
        await devServer?.stop();
      },
    };
  } catch (err) {
    await devServer?.stop();
    throw new Error(`TEMPORAL_ADDRESS: cannot reach Temporal at ${address}: ${(err as Error).message}`, { cause: err });
  }
}

async function connectWithRetry(address: string, log: Logger): Promise<Connection> {
  // A Temporal container may still be starting next to us (docker-compose): give it a while.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      log.info({ address }, 'waiting for Temporal');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Registers any missing custom search attribute (a production cluster does not get them from flags). */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = existing.customAttributes ?? {};
  const missing = SEARCH_ATTRIBUTES.filter((k) => !(k.name in known));
  if (missing.length === 0) return;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of missing) {
    searchAttributes[key.name] =
      temporal.api.enums.v1.IndexedValueType[
        `INDEXED_VALUE_TYPE_${key.type}` as keyof typeof temporal.api.enums.v1.IndexedValueType
      ];
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  log.info({ added: missing.map((k) => k.name) }, 'registered search attributes');
}
