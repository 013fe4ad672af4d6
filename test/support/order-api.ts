import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApiKey } from '../../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../../src/config';
import { createLogger } from '../../src/log';
import { SIMULATOR_CLIENT } from '../../src/xero/identity';
import { createApp } from '../../web/app';
import { listen, type RunningWebServer } from '../../web/server';
import type { OrderTestEnv } from './orders';

/** The real web app (REST API with API keys) over an order test env: its database, simulator and task queue. */

export type Json = Record<string, any>;

export interface OrderApi {
  web: RunningWebServer;
  access: AdminAccess;
  apiKey: string;
  /** `body` as a string is sent as it is (raw JSON, exact sizes). */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  /** Another app on the same database and access (e.g. with a broken Temporal client). */
  listenWith(client: Client): Promise<RunningWebServer>;
  close(): Promise<void>;
}

export async function startOrderApi(env: OrderTestEnv, client: Client): Promise<OrderApi> {
  const log = createLogger('silent');
  const access = buildAdminAccess({
    db: env.database.db,
    log,
    // The env's key: the settings check reads the organisation with the stored (encrypted) tokens.
    secrets: {
      tokenEncryptionKey: Buffer.from(env.cipherKeyHex, 'hex'),
      sessionSecret: randomBytes(32).toString('base64url'),
    },
    publicUrl: 'http://127.0.0.1:1',
    identity: {
      loginUrl: env.sim.url,
      identityUrl: env.sim.url,
      apiUrl: env.sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  const listenWith = (c: Client) =>
    listen(createApp({ db: env.database.db, temporal: c, log, access, taskQueue: env.taskQueue }), 0, '127.0.0.1');
  const web = await listenWith(client);
  const apiKey = (await createApiKey(env.database.db, env.hostAppId)).key;
  return {
    web,
    access,
    apiKey,
    listenWith,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${web.url}/api/v1${path}`, {
        method,
        signal: AbortSignal.timeout(30_000),
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
    },
    close: () => web.close(),
  };
}
