import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Client } from '@temporalio/client';
import { createApiKey, createHostApp } from '../../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../../src/config';
import type { DatabaseHandle } from '../../src/db/database';
import { REDACT_PATHS } from '../../src/log';
import { SIMULATOR_CLIENT } from '../../src/xero/identity';
import { startXeroSimulator, type RunningXeroSimulator, type XeroSimulatorOptions } from '../../src/xero-sim/server';
import { createApp } from '../../web/app';
import { listen, type RunningWebServer } from '../../web/server';
import { createTestDatabase } from './database';
import { freePort } from './free-port';

/**
 * The web app with the host API, admin pages and connect flow, against the Xero simulator and a
 * database of its own. Every log line is kept (at debug level) so tests can look for leaked secrets.
 */
export interface AdminApp {
  url: string;
  database: DatabaseHandle;
  sim: RunningXeroSimulator;
  access: AdminAccess;
  logLines: string[];
  /** A host app with a fresh API key. */
  newHostApp(name?: string): Promise<{ hostAppId: string; apiKey: string }>;
  /** Calls the host API with a key. */
  api(apiKey: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startAdminApp(simOptions: XeroSimulatorOptions = {}): Promise<AdminApp> {
  const database = await createTestDatabase();
  const sim = await startXeroSimulator(simOptions);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const access = buildAdminAccess({
    db: database.db,
    log,
    secrets: { tokenEncryptionKey: randomBytes(32), sessionSecret: randomBytes(32).toString('base64url') },
    publicUrl,
    identity: {
      loginUrl: sim.url,
      identityUrl: sim.url,
      apiUrl: sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  // Temporal is only reached by /healthz, which these tests do not call.
  const web: RunningWebServer = await listen(
    createApp({ db: database.db, temporal: undefined as unknown as Client, log, access }),
    port,
    '127.0.0.1',
  );
  return {
    url: web.url,
    database,
    sim,
    access,
    logLines,
    async newHostApp(name = 'Quotes Co') {
      const app = await createHostApp(database.db, { name });
      const key = await createApiKey(database.db, app.id);
      return { hostAppId: app.id, apiKey: key.key };
    },
    async api(apiKey, method, path, body) {
      const res = await fetch(`${web.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await web.close();
      await sim.close();
      await database.close();
    },
  };
}
