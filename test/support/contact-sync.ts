import { randomBytes, randomUUID } from 'node:crypto';
import type { Contact } from 'xero-node';
import type { DatabaseHandle } from '../../src/db/database';
import { hostContactSchema, type HostContactInput } from '../../src/domain/contact';
import { settingsSchema, type SettingsInput } from '../../src/domain/settings';
import { createLogger } from '../../src/log';
import { storeHostContacts } from '../../src/contact-sync/host-contacts';
import {
  deleteContactSync,
  describeContactSync,
  ensureContactSyncSchedule,
  triggerContactSync,
} from '../../src/contact-sync/schedules';
import type { ContactSyncResult } from '../../src/contact-sync/shared';
import { saveSettings } from '../../src/settings/store';
import { createTokenCipher } from '../../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator, type XeroSimulatorOptions } from '../../src/xero-sim/server';
import { createXeroGateway, type XeroGateway } from '../../src/xero/gateway';
import { createRateLimiter } from '../../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../../src/xero/token-provider';
import { createTestDatabase } from './database';
import type { TestTemporal } from './temporal';
import { connectAccountForTest, parseAuthorizePage, simulatorIdentity } from './xero-connect';
import { buildAdminAccess } from '../../src/access/wiring';
import { createApiKey, createHostApp } from '../../src/access/api-keys';
import { DEFAULT_XERO_SCOPES } from '../../src/config';
import { accountHooks } from '../../src/process/account-hooks';
import { SIMULATOR_CLIENT } from '../../src/xero/identity';
import { createApp } from '../../web/app';
import { listen } from '../../web/server';
import { freePort } from './free-port';
import { csrfTokenOf, WebClient } from './web-client';

/**
 * A connected account ready for contact sync: its own database, a Xero simulator, the account
 * connected through the real OAuth flow, a worker, and the account's schedule. `syncNow()`
 * triggers the schedule (as ops would) and waits for that run's result.
 */
export interface ContactSyncEnv {
  database: DatabaseHandle;
  sim: RunningXeroSimulator;
  accountId: string;
  hostAppId: string;
  externalId: string;
  tenantId: string;
  xero: XeroGateway;
  taskQueue: string;
  setSettings(s: SettingsInput): Promise<void>;
  putContacts(...contacts: HostContactInput[]): Promise<void>;
  syncNow(): Promise<ContactSyncResult & { workflowId: string }>;
  /** Writes in Xero as a Xero user would (not through the engine). */
  xeroWrite(contacts: Contact[], method?: 'PUT' | 'POST'): Promise<Contact[]>;
  /** The simulator's contacts (Xero JSON). */
  xeroContacts(): Array<Record<string, any>>;
  /**
   * Stops the worker from taking new tasks at once (as a killed worker would) and returns when its
   * in-flight work has ended; the next `startWorker()` takes over the task queue.
   */
  killWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function contactSyncEnv(
  temporal: TestTemporal,
  opts: { settings?: SettingsInput; sim?: XeroSimulatorOptions } = {},
): Promise<ContactSyncEnv> {
  const database = await createTestDatabase();
  // Roomy limits: these tests are about contacts, and make more than 60 calls a minute to one tenant.
  const sim = await startXeroSimulator({ limits: { perMinute: 10_000 }, ...opts.sim });
  const { db } = database;
  const cipher = createTokenCipher(randomBytes(32));
  const hostApp = await db
    .insertInto('host_apps')
    .values({ name: 'Jobs Co' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const externalId = `acct-${randomUUID().slice(0, 8)}`;
  const account = await db
    .insertInto('accounts')
    .values({ host_app_id: hostApp.id, external_id: externalId, name: 'Acme Plumbing', options: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const setSettings = (s: SettingsInput) => saveSettings(db, account.id, settingsSchema.parse(s));
  await setSettings(opts.settings ?? {});
  const { tenantId } = await connectAccountForTest({ db, cipher, simUrl: sim.url, accountId: account.id });
  const access = createXeroAccessProvider({
    db,
    cipher,
    identity: simulatorIdentity(sim.url),
    log: createLogger('silent'),
  });
  const xero = createXeroGateway({
    access,
    limiter: createRateLimiter({ db, limits: { perMinute: 10_000 } }),
    apiUrl: sim.url,
  });
  const deps = { db, databaseKind: database.kind, xero };
  let worker = await temporal.startWorker(deps);
  const taskQueue = worker.taskQueue;
  await ensureContactSyncSchedule(
    temporal.client,
    { accountId: account.id, taskQueue },
    settingsSchema.parse(opts.settings ?? {}),
  );

  const env: ContactSyncEnv = {
    database,
    sim,
    accountId: account.id,
    hostAppId: hostApp.id,
    externalId,
    tenantId,
    xero,
    taskQueue,
    setSettings,
    async putContacts(...contacts) {
      await storeHostContacts(
        db,
        account.id,
        contacts.map((c) => hostContactSchema.parse(c)),
      );
    },
    async syncNow() {
      const before = (await describeContactSync(temporal.client, account.id))?.recentRuns.length ?? 0;
      await triggerContactSync(temporal.client, account.id);
      const deadline = Date.now() + 15_000;
      let workflowId: string | undefined;
      while (!workflowId) {
        const runs = (await describeContactSync(temporal.client, account.id))?.recentRuns ?? [];
        if (runs.length > before) workflowId = runs[runs.length - 1]!.workflowId;
        else if (Date.now() > deadline) throw new Error('the triggered run did not start');
        else await new Promise((r) => setTimeout(r, 100));
      }
      const result = (await Promise.race([
        temporal.client.workflow.getHandle(workflowId).result(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`run ${workflowId} did not finish within 60 s`)), 60_000).unref(),
        ),
      ])) as ContactSyncResult;
      return { ...result, workflowId };
    },
    async xeroWrite(contacts, method = 'PUT') {
      return xero
        .call(account.id, (api, t) =>
          method === 'PUT'
            ? api.createContacts(t, { contacts }, false)
            : api.updateOrCreateContacts(t, { contacts }, false),
        )
        .then((b) => b.contacts ?? []);
    },
    xeroContacts: () => sim.sim.contacts(tenantId) as Array<Record<string, any>>,
    killWorker() {
      // stop() calls shutdown() synchronously (polling ends now) and resolves once in-flight work ends.
      return worker.stop();
    },
    async startWorker() {
      worker = await temporal.startWorker(deps, taskQueue);
    },
    async close() {
      await deleteContactSync(temporal.client, account.id).catch(() => undefined);
      await worker.stop();
      await sim.close();
      await database.close();
    },
  };
  return env;
}

/** A person contact with a fresh id unless given. */
export function person(first: string, last: string, patch: Partial<Record<string, unknown>> = {}): HostContactInput {
  return {
    id: `p-${randomUUID().slice(0, 8)}`,
    type: 'person',
    firstName: first,
    lastName: last,
    ...patch,
  } as HostContactInput;
}

export function organisation(name: string, patch: Partial<Record<string, unknown>> = {}): HostContactInput {
  return { id: `o-${randomUUID().slice(0, 8)}`, type: 'organisation', name, ...patch } as HostContactInput;
}

/**
 * The whole web app (host API, admin pages, connect flow) wired as `npm start` wires it — contact
 * sync hooks on AdminAccess, a worker with the gateway — against the simulator.
 */
export interface ContactSyncWebEnv {
  url: string;
  database: DatabaseHandle;
  sim: RunningXeroSimulator;
  taskQueue: string;
  newHostApp(): Promise<{ hostAppId: string; apiKey: string }>;
  api(apiKey: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Signs in through an admin link and connects the account to the simulator's first organisation over HTTP. */
  connect(apiKey: string, externalId: string): Promise<{ browser: WebClient; accountUrl: string; accountId: string }>;
  close(): Promise<void>;
}

export async function contactSyncWebEnv(temporal: TestTemporal): Promise<ContactSyncWebEnv> {
  const database = await createTestDatabase();
  const sim = await startXeroSimulator({ limits: { perMinute: 10_000 } });
  const { db } = database;
  const log = createLogger('silent');
  const port = await freePort();
  const access = buildAdminAccess({
    db,
    log,
    secrets: { tokenEncryptionKey: randomBytes(32), sessionSecret: randomBytes(32).toString('base64url') },
    publicUrl: `http://127.0.0.1:${port}`,
    identity: {
      loginUrl: sim.url,
      identityUrl: sim.url,
      apiUrl: sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  const xero = createXeroGateway({
    access: access.xeroAccess,
    limiter: createRateLimiter({ db, limits: { perMinute: 10_000 } }),
    apiUrl: sim.url,
  });
  const worker = await temporal.startWorker({ db, databaseKind: database.kind, xero });
  // As `npm start` wires them (src/process/account-hooks.ts): schedules, reconnect retries, reference data on connect.
  Object.assign(
    access,
    accountHooks({ db, temporal: temporal.client, taskQueue: worker.taskQueue, xeroCall: access.xeroCall }),
  );
  const web = await listen(
    createApp({ db, temporal: temporal.client, log, access, taskQueue: worker.taskQueue }),
    port,
    '127.0.0.1',
  );
  const api: ContactSyncWebEnv['api'] = async (apiKey, method, path, body) => {
    const res = await fetch(`${web.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url: web.url,
    database,
    sim,
    taskQueue: worker.taskQueue,
    async newHostApp() {
      const app = await createHostApp(db, { name: 'Jobs Co' });
      const key = await createApiKey(db, app.id);
      return { hostAppId: app.id, apiKey: key.key };
    },
    api,
    async connect(apiKey, externalId) {
      const link = await api(apiKey, 'POST', `/accounts/${externalId}/admin-link`);
      const browser = new WebClient();
      const accountUrl = (await browser.get(link.body.url)).location!;
      const page = await browser.get(accountUrl);
      const toXero = await browser.post(`${accountUrl}/connect`, { _csrf: csrfTokenOf(page.text) });
      const consent = await browser.get(toXero.location!);
      const parsed = parseAuthorizePage(consent.text);
      const form = new URLSearchParams(parsed.hidden);
      form.append('tenant', parsed.organisations[0]!.tenantId);
      form.set('decision', 'allow');
      const back = await browser.post(new URL(parsed.action, toXero.location!).toString(), form);
      const callback = await browser.get(back.location!);
      if (callback.status !== 303 || !callback.location?.includes('notice=connected'))
        throw new Error(`connect failed: ${callback.status} ${callback.location}`);
      return { browser, accountUrl, accountId: accountUrl.split('/').pop()! };
    },
    async close() {
      await web.close();
      await worker.stop();
      await sim.close();
      await database.close();
    },
  };
}
