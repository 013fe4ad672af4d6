import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { findAccount } from '../src/access/accounts';
import { createAdminLink } from '../src/access/admin-links';
import { createApiKey, createHostApp } from '../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../src/access/wiring';
import { createOrderSyncClient, type OrderSyncClient } from '../src/client';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import type { DatabaseHandle } from '../src/db/database';
import { hostEventSchema, type HostEvent } from '../src/host-webhooks/events';
import { startHostWebhookDelivery } from '../src/host-webhooks/host-config';
import type { DeliveryLoop } from '../src/host-webhooks/delivery';
import { SIGNATURE_HEADER, verifyHostWebhook } from '../src/host-webhooks/signature';
import { createLogger } from '../src/log';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway } from '../src/xero/gateway';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createApp } from '../web/app';
import { listen, type RunningWebServer } from '../web/server';
import { createTestDatabase } from './support/database';
import { freePort } from './support/free-port';
import { eventually, FAST_ORDER_CONFIG, sampleOrder, TEST_SETTINGS } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { csrfTokenOf, WebClient } from './support/web-client';
import { connectAccountForTest } from './support/xero-connect';

/**
 * Failures end to end, wired as production wires them (one AdminAccess for web and worker): a Xero
 * refusal shows on the admin's home page in plain words; fixing the cause and pressing Retry (or
 * sending `retry` with the real `temporal` CLI) gets the invoice into the simulated Xero and the
 * failure off the list; the sync log page and API show every step; and a host receiver that was
 * down the whole time gets every event, signed and in order, once it is back.
 */

const SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const UI = 'http://temporal-ui.test:8233';
const HOST_ACCOUNT = 'acct-fw';
const execFileP = promisify(execFile);
const allowPrivateNetworks = { allowPrivateNetworks: true };

interface Receiver {
  url: string;
  received: Array<{ event: HostEvent; verified: boolean; raw: string }>;
  requests: number;
  down: boolean;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r = { received: [], requests: 0, down: true } as unknown as Receiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      if (r.down) return void res.writeHead(503).end();
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = verifyHostWebhook(SECRET, raw, req.headers[SIGNATURE_HEADER] as string | undefined).ok;
      r.received.push({ event: hostEventSchema.parse(JSON.parse(raw)), verified, raw });
      res.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/xero-sync/events`;
  r.close = () =>
    new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return r;
}

let temporal: TestTemporal;
let database: DatabaseHandle;
let sim: RunningXeroSimulator;
let access: AdminAccess;
let web: RunningWebServer;
let receiver: Receiver;
let deliveries: DeliveryLoop;
let stopWorker: () => Promise<void>;
let client: OrderSyncClient;
let apiKey: string;
let accountId: string;
let tenantId: string;
const browser = new WebClient();

async function api(method: string, path: string, body?: unknown, key = apiKey) {
  const res = await fetch(`${web.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const home = () => `${web.url}/admin/accounts/${accountId}`;
const failureItems = (html: string) =>
  [...html.matchAll(/<li class="failure" data-order="([^"]*)">([\s\S]*?)<\/li>/g)].map((m) => ({
    order: m[1]!,
    html: m[2]!,
  }));
const invoiceIn = (n: string) =>
  sim.sim.invoices(tenantId).find((i) => i.InvoiceNumber === n) as Record<string, any> | undefined;
const start = (order = sampleOrder()) =>
  client
    .startOrderSync(accountId, { order, convertedAt: new Date().toISOString() })
    .then(({ workflowId }) => ({ order, workflowId }));
const temporalCli = (...args: string[]) =>
  execFileP(
    process.env.TEMPORAL_CLI_PATH || 'temporal',
    [...args, '--address', temporal.address, '--namespace', temporal.namespace],
    { timeout: 30_000 },
  ).then((r) => r.stdout);

before(async () => {
  temporal = await testTemporal();
  database = await createTestDatabase();
  const { db } = database;
  sim = await startXeroSimulator();
  const log = createLogger('silent');
  const port = await freePort();
  access = buildAdminAccess({
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
  const xero = createXeroGateway({ access: access.xeroAccess, limiter: createRateLimiter({ db }), apiUrl: sim.url });
  const worker = await temporal.startWorker({ db, databaseKind: database.kind, xero, orders: FAST_ORDER_CONFIG });
  stopWorker = worker.stop;
  client = createOrderSyncClient(temporal.client, { taskQueue: worker.taskQueue });
  web = await listen(
    createApp({
      db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: worker.taskQueue,
      temporalUi: { url: UI, namespace: temporal.namespace },
      // The host's receiver below is on 127.0.0.1 (needs web/app.ts to hand this to the webhook API).
      ...allowPrivateNetworks,
    }),
    port,
    '127.0.0.1',
  );

  const hostApp = await createHostApp(db, { name: 'Quotes Co' });
  apiKey = (await createApiKey(db, hostApp.id)).key;
  assert.equal((await api('PUT', `/accounts/${HOST_ACCOUNT}`, { name: 'Acme Plumbing' })).status, 201);
  accountId = (await findAccount(db, hostApp.id, HOST_ACCOUNT))!.id;
  tenantId = (await connectAccountForTest({ db, cipher: access.cipher, simUrl: sim.url, accountId })).tenantId;
  assert.equal((await api('PUT', `/accounts/${HOST_ACCOUNT}/settings`, TEST_SETTINGS)).status, 200);

  // The host's receiver is down from the start; its URL and secret are set through the API.
  receiver = await startReceiver();
  const set = await api('PUT', '/webhook', { url: receiver.url, secret: SECRET });
  assert.deepEqual(set.body, { url: receiver.url, secretSet: true });
  deliveries = startHostWebhookDelivery({
    db,
    cipher: access.cipher,
    log,
    allowPrivateNetworks: true,
    intervalMs: 100,
    backoffBaseMs: 100,
    backoffMaxMs: 1_000,
  });

  const link = await createAdminLink(db, { secret: access.sessionSecret, publicUrl: access.publicUrl, accountId });
  assert.equal((await browser.get(link.url)).status, 303);
});

after(async () => {
  await deliveries?.stop();
  await web?.close();
  await stopWorker?.();
  await receiver?.close();
  await sim?.close();
  await database?.close();
  await temporal?.close();
});

describe('failures, retries and host webhooks', () => {
  let first: { order: { number: string }; workflowId: string };
  let second: { order: { number: string }; workflowId: string };

  test('an archived revenue account shows on the home page in plain words; fixing setup and pressing Retry gets the invoice into Xero', async () => {
    sim.sim.setStatus(tenantId, { accountCode: '200' }, 'ARCHIVED');
    first = await start();
    second = await start();
    const page = await eventually(
      async () => {
        const html = (await browser.get(home())).text;
        return failureItems(html).length === 2 ? html : undefined;
      },
      30_000,
      'two failures on the home page',
    );
    for (const item of failureItems(page)) {
      assert.match(item.html, /Revenue account 200 is archived in Xero/);
      assert.match(item.html, /Choose another revenue account in Setup/);
      assert.match(
        item.html,
        /Setup&#39;s revenue account code &#39;200&#39; is archived in Xero/,
        'what the check before writing found, under Details',
      );
    }
    assert.match(page, new RegExp(`href="${UI}/namespaces/default/workflows/${encodeURIComponent(first.workflowId)}"`));
    assert.equal(invoiceIn(first.order.number), undefined);

    // A retry without the page's CSRF token changes nothing.
    const forged = await browser.post(`${home()}/failures/retry`, { workflowId: first.workflowId });
    assert.equal(forged.status, 403);

    // Fix setup (checked against Xero: 260 is an active revenue account), then Retry on the page.
    const fixed = await api('PATCH', `/accounts/${HOST_ACCOUNT}/settings`, { revenueAccountCode: '260' });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    const retry = await browser.post(`${home()}/failures/retry`, {
      _csrf: csrfTokenOf((await browser.get(home())).text),
      workflowId: first.workflowId,
    });
    assert.equal(retry.status, 303);
    assert.match(retry.location ?? '', /notice=retry_sent/);

    const inv = await eventually(() => invoiceIn(first.order.number), 20_000, 'first invoice in Xero');
    assert.deepEqual(
      inv.LineItems.map((l: Record<string, unknown>) => l.AccountCode),
      ['260', '260'],
    );
    const after1 = await eventually(
      async () => {
        const html = (await browser.get(home())).text;
        return failureItems(html).length === 1 ? html : undefined;
      },
      20_000,
      'first failure gone',
    );
    assert.deepEqual(
      failureItems(after1).map((f) => f.order),
      [second.order.number],
      'only the retried failure left the list',
    );
    assert.equal(invoiceIn(second.order.number), undefined, 'the other failure waits for its own retry');

    const all = await browser.post(`${home()}/failures/retry-all`, { _csrf: csrfTokenOf(after1) });
    assert.match(all.location ?? '', /notice=retry_all_sent/);
    await eventually(() => invoiceIn(second.order.number), 20_000, 'second invoice in Xero');
    await eventually(
      async () => ((await browser.get(home())).text.includes('id="no-failures"') ? true : undefined),
      20_000,
      'no failures left',
    );
  });

  test('ops: the failed sync is found with `temporal workflow list` and retried with `temporal workflow signal`', async () => {
    sim.sim.setStatus(tenantId, { trackingCategory: 'Region', trackingOption: 'North' }, 'ARCHIVED');
    const { order, workflowId } = await start();
    const failedQuery = `SyncStatus='Failed' AND AccountId='${accountId}'`;
    await eventually(
      async () =>
        (await temporalCli('workflow', 'list', '--query', failedQuery)).includes(workflowId) ? true : undefined,
      30_000,
      'workflow listed as failed',
    );
    const byKind = await temporalCli(
      'workflow',
      'list',
      '--query',
      `SyncErrorKind='validation' AND OrderNumber='${order.number}'`,
    );
    assert.ok(byKind.includes(workflowId), 'the last error kind is searchable too');

    const item = await eventually(
      async () => failureItems((await browser.get(home())).text).find((f) => f.order === order.number),
      10_000,
      'failure on the page',
    );
    // The engine's copy of the tracking options was read before the archive: Xero's refusal says it.
    assert.match(item.html, /Tracking option &#39;North&#39; does not exist in category &#39;Region&#39;/);
    const viaApi = await api('GET', `/accounts/${HOST_ACCOUNT}/failures`);
    assert.equal(viaApi.body.failures[0].orderNumber, order.number);
    assert.match(viaApi.body.failures[0].whatToDo, /Add the option in Xero/);

    sim.sim.setStatus(tenantId, { trackingCategory: 'Region', trackingOption: 'North' }, 'ACTIVE');
    await temporalCli('workflow', 'signal', '--workflow-id', workflowId, '--name', 'retry');
    await eventually(() => invoiceIn(order.number), 20_000, 'invoice in Xero after the CLI retry');
    await eventually(
      async () => (failureItems((await browser.get(home())).text).length === 0 ? true : undefined),
      20_000,
      'failure gone from the page',
    );
    await eventually(
      async () =>
        !(await temporalCli('workflow', 'list', '--query', failedQuery)).includes(workflowId) ? true : undefined,
      20_000,
      'no longer listed as failed',
    );
  });

  test('the sync log page and API: filters, paging, the detail with the full error, and no other host sees it', async () => {
    const n = first.order.number;
    const page = (await browser.get(`${home()}/sync-log?outcome=failure&orderNumber=${encodeURIComponent(n)}`)).text;
    const rows = [...page.matchAll(/<tr class="(\w+)">[\s\S]*?href="([^"]+)"/g)];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]![1], 'failure');
    const detail = (await browser.get(`${web.url}${rows[0]![2]}`)).text;
    assert.match(detail, /Revenue account 200 is archived in Xero/);
    assert.match(
      detail,
      /<pre class="error-json" id="error-json">[\s\S]*&quot;lines&quot;[\s\S]*revenue account code &#39;200&#39; is archived in Xero/,
    );

    const log = await api('GET', `/accounts/${HOST_ACCOUNT}/sync-log?orderNumber=${encodeURIComponent(n)}`);
    assert.deepEqual(
      log.body.entries.map((e: { kind: string; outcome: string }) => `${e.kind}:${e.outcome}`).reverse(),
      ['contact:success', 'invoice:failure', 'invoice:success', 'invoice:success', 'attachment:success'],
      'contact, the failure, the created invoice, "resolved", the PDF',
    );
    assert.ok(log.body.entries.every((e: { workflowId: string }) => e.workflowId === first.workflowId));
    const paged = await api('GET', `/accounts/${HOST_ACCOUNT}/sync-log?orderNumber=${encodeURIComponent(n)}&limit=2`);
    const next = await api(
      'GET',
      `/accounts/${HOST_ACCOUNT}/sync-log?orderNumber=${encodeURIComponent(n)}&limit=2&before=${paged.body.nextBefore}`,
    );
    assert.deepEqual(
      [...paged.body.entries, ...next.body.entries].map((e: { id: string }) => e.id),
      log.body.entries.slice(0, 4).map((e: { id: string }) => e.id),
    );
    assert.equal((await api('GET', `/accounts/${HOST_ACCOUNT}/sync-log?outcome=maybe`)).status, 400);

    const other = await createApiKey(database.db, (await createHostApp(database.db, { name: 'Other' })).id);
    assert.equal((await api('GET', `/accounts/${HOST_ACCOUNT}/sync-log`, undefined, other.key)).status, 404);
  });

  test('Xero refusing the refresh token: the host hears connection.lost and the failure says to reconnect', async () => {
    sim.sim.revokeTokens();
    await database.db
      .updateTable('connections')
      .set({ access_token_expires_at: new Date(Date.now() - 60_000) })
      .where('account_id', '=', accountId)
      .execute();
    const { order } = await start();
    const item = await eventually(
      async () => failureItems((await browser.get(home())).text).find((f) => f.order === order.number),
      30_000,
      'failure on the page',
    );
    assert.match(item.html, /The Xero connection has expired or was revoked/);
    assert.match(item.html, /Reconnect to Xero, then retry/);
  });

  test('a receiver that was down the whole time gets every event once back: signed, in order per order, each once', async () => {
    const outbox = await database.db.selectFrom('webhook_outbox').selectAll().orderBy('id').execute();
    assert.ok(
      receiver.requests > 0 && receiver.received.length === 0,
      'deliveries were attempted while the receiver was down',
    );
    assert.ok(
      outbox.some((r) => r.attempts > 1),
      'and retried',
    );
    receiver.down = false;
    await eventually(
      () => (receiver.received.length >= outbox.length ? true : undefined),
      20_000,
      'every event delivered',
    );

    assert.ok(
      receiver.received.every((r) => r.verified),
      'every signature verifies',
    );
    const ids = receiver.received.map((r) => r.event.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    assert.deepEqual(new Set(ids), new Set(outbox.map((r) => r.event_id)));
    const typesOf = (key: string) =>
      receiver.received
        .filter((r) => outbox.find((o) => o.event_id === r.event.id)!.ordering_key === key)
        .map((r) => r.event.type);
    for (const key of new Set(outbox.map((r) => r.ordering_key))) {
      assert.deepEqual(
        typesOf(key),
        outbox.filter((r) => r.ordering_key === key).map((r) => r.event_type),
        `order of ${key}`,
      );
    }
    assert.deepEqual(typesOf(first.workflowId), ['sync.failed', 'invoice.exported', 'sync.resolved']);
    const exported = receiver.received.find(
      (r) => r.event.type === 'invoice.exported' && r.event.data.orderNumber === first.order.number,
    )!.event;
    assert.equal(exported.accountId, HOST_ACCOUNT);
    assert.equal(exported.data.jobStatus, 'Invoiced', 'the job status the host should set');
    const failed = receiver.received.find(
      (r) => r.event.type === 'sync.failed' && r.event.data.orderNumber === first.order.number,
    )!.event;
    assert.deepEqual(failed.data.explanation, {
      problem: 'Revenue account 200 is archived in Xero',
      action: 'Choose another revenue account in Setup',
    });
    const lost = receiver.received.filter((r) => r.event.type === 'connection.lost');
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.event.accountId, HOST_ACCOUNT);

    const listed = await api('GET', '/webhook/deliveries?limit=200');
    assert.equal(listed.body.deliveries.length, outbox.length);
    assert.ok(
      listed.body.deliveries.every(
        (d: { status: string; attempts: number }) => d.status === 'delivered' && d.attempts >= 1,
      ),
    );
  });
});
