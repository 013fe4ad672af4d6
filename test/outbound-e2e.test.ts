import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findAccount } from '../src/access/accounts';
import { deliverPending } from '../src/host-webhooks/delivery';
import { listDeliveries, setHostWebhook, webhookTargets } from '../src/host-webhooks/host-config';
import { enqueueHostEvent } from '../src/host-webhooks/outbox';
import { createLogger } from '../src/log';
import { orderSyncStateQuery, type OrderSyncView } from '../src/orders/messages';
import { renderOrderPdf } from '../src/pdf/order-pdf';
import { SyncErrorKindKey, SyncStatusKey } from '../src/temporal/search-attributes';
import { startAdminApp, type AdminApp } from './support/admin-app';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { settingsSchema } from '../src/domain/settings';

/**
 * The private-address rules where a host meets them: an order whose pdfUrl points at the worker's
 * own machine ends in a business failure that says why (and the server is never asked), a webhook
 * URL on the cloud metadata address is a 400, and a stored private webhook URL is never posted to.
 */

interface CountingServer {
  origin: string;
  hits: number;
  close(): Promise<void>;
}

async function countingServer(respond: (res: http.ServerResponse) => void): Promise<CountingServer> {
  const s = { hits: 0 } as CountingServer;
  const server = http.createServer((req, res) => {
    s.hits++;
    req.resume();
    respond(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  s.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return s;
}

describe('an order whose pdfUrl is on 127.0.0.1, worker not allowing private addresses', () => {
  let temporal: TestTemporal;
  let env: OrderTestEnv;
  let pdfServer: CountingServer;

  before(async () => {
    temporal = await testTemporal();
    // The worker's default: no allow option anywhere, as in production.
    env = await orderTestEnv(temporal);
    const pdf = await renderOrderPdf(sampleOrder(), settingsSchema.parse(TEST_SETTINGS));
    pdfServer = await countingServer((res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf));
  });
  after(async () => {
    await env?.close();
    await pdfServer?.close();
    await temporal?.close();
  });

  test('ends in a business failure explaining the private address; the PDF server is never hit; no endless retry', async () => {
    const order = sampleOrder({ pdfUrl: `${pdfServer.origin}/x.pdf` });
    const { workflowId } = await env.client.startOrderSync(env.accountId, {
      order,
      convertedAt: new Date().toISOString(),
    });
    const handle = temporal.client.workflow.getHandle(workflowId);
    const failure = await eventually(
      async () => (await handle.query<OrderSyncView>(orderSyncStateQuery)).failure,
      30_000,
      'the PDF failure',
    );
    assert.equal(failure.kind, 'pdf_unavailable');
    assert.match(
      failure.message,
      new RegExp(
        `the order PDF URL ${pdfServer.origin.replace(/[.]/g, '\\.')}/x\\.pdf points at a private address \\(127\\.0\\.0\\.1, loopback\\)`,
      ),
    );
    assert.match(failure.message, /only from public addresses/);
    await eventually(
      async () => (await handle.describe()).typedSearchAttributes.get(SyncStatusKey) === 'Failed',
      10_000,
      'SyncStatus Failed',
    );
    assert.equal((await handle.describe()).typedSearchAttributes.get(SyncErrorKindKey), 'pdf_unavailable');
    // Not retried: the attachment step ran once, on its first attempt, and the workflow now waits.
    await eventually(
      async () => ((await handle.describe()).raw.pendingActivities ?? []).length === 0,
      10_000,
      'no activity in flight',
    );
    const events = (await handle.fetchHistory()).events ?? [];
    const attachIds = new Set(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'attachOrderPdf')
        .map((e) => String(e.eventId)),
    );
    assert.equal(attachIds.size, 1, 'the attachment step was scheduled once');
    const started = events.filter((e) =>
      attachIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '')),
    );
    assert.deepEqual(
      started.map((e) => e.activityTaskStartedEventAttributes?.attempt),
      [1],
    );

    const logged = await env.database.db
      .selectFrom('sync_log')
      .select(['kind', 'outcome', 'message'])
      .where('host_ref', '=', order.number)
      .where('outcome', '=', 'failure')
      .execute();
    assert.equal(logged.length, 1);
    assert.match(logged[0]!.message ?? '', /private address \(127\.0\.0\.1/);

    // The invoice itself went to Xero; only the attachment is held back.
    const inv = env.sim.sim.invoices(env.tenantId).find((i) => i.InvoiceNumber === order.number);
    assert.ok(inv, 'invoice created');
    assert.equal(env.sim.sim.attachments(env.tenantId, inv.InvoiceID as string).length, 0);
    assert.equal(pdfServer.hits, 0, 'the worker never connected to 127.0.0.1');
  });
});

describe('webhook URLs', () => {
  let app: AdminApp;
  let apiKey: string;
  let hostAppId: string;

  before(async () => {
    app = await startAdminApp();
    ({ apiKey, hostAppId } = await app.newHostApp());
  });
  after(async () => {
    await app?.close();
  });

  test('set through the API: a private address answers 400 naming the field, and nothing is stored', async () => {
    const secret = 'whsec_0123456789abcdef01234567';
    for (const [url, reason] of [
      ['http://169.254.169.254/', /169\.254\.169\.254, a link-local address/],
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://[::ffff:a9fe:a9fe]/', /link-local/],
      ['http://127.0.0.1:8080/hooks', /loopback/],
      ['http://localhost:8080/hooks', /localhost resolves to .*loopback/],
      ['https://10.1.2.3/hooks', /private network/],
      ['http://100.64.0.9/hooks', /carrier-grade NAT/],
      ['http://[fd00::5]/hooks', /unique local/],
    ] as const) {
      const res = await app.api(apiKey, 'PUT', '/webhook', { url, secret });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error, 'invalid_webhook', url);
      assert.match(res.body.fields?.url ?? '', reason, url);
    }
    assert.deepEqual((await app.api(apiKey, 'GET', '/webhook')).body, { url: null, secretSet: false });

    const ok = await app.api(apiKey, 'PUT', '/webhook', { url: 'https://93.184.215.14/hooks', secret });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { url: 'https://93.184.215.14/hooks', secretSet: true });
  });

  test('a private webhook URL already stored is never posted to; the delivery shows why', async () => {
    const receiver = await countingServer((res) => res.writeHead(204).end());
    try {
      const { db } = app.database;
      const url = `${receiver.origin}/xero-sync/events`;
      await setHostWebhook(db, app.access.cipher, hostAppId, { url, secret: 'whsec_0123456789abcdef01234567' });
      assert.equal((await app.api(apiKey, 'PUT', '/accounts/acct-out', { name: 'Acme' })).status, 201);
      const account = (await findAccount(db, hostAppId, 'acct-out'))!;
      await enqueueHostEvent(db, {
        hostAppId,
        accountId: account.id,
        hostAccountId: 'acct-out',
        type: 'invoice.exported',
        orderingKey: 'order:acct-out:1',
        data: { orderNumber: '1' },
      });
      const log = createLogger('silent');
      const targetFor = webhookTargets(db, app.access.cipher);
      const pass = await deliverPending({ db, log, targetFor, backoffBaseMs: 1, backoffMaxMs: 1 });
      assert.deepEqual(pass, { delivered: 0, failed: 1 });
      assert.equal(receiver.hits, 0);
      const [delivery] = (await listDeliveries(db, hostAppId, { limit: 10 })).deliveries;
      assert.equal(delivery?.status, 'pending');
      assert.equal(delivery?.lastStatus, null);
      assert.match(
        delivery?.lastError ?? '',
        /^delivery refused: the webhook URL http:\/\/127\.0\.0\.1:\d+\/xero-sync\/events points at a private address \(127\.0\.0\.1, loopback\)/,
      );
      const listed = await app.api(apiKey, 'GET', '/webhook/deliveries?status=pending');
      assert.match(listed.body.deliveries[0].lastError, /private address \(127\.0\.0\.1, loopback\)/);

      // The same loop with private networks allowed (tests, npm start) delivers it.
      await new Promise((r) => setTimeout(r, 10));
      const allowed = await deliverPending({ db, log, targetFor, allowPrivateNetworks: true });
      assert.deepEqual(allowed, { delivered: 1, failed: 0 });
      assert.equal(receiver.hits, 1);
    } finally {
      await receiver.close();
    }
  });
});
