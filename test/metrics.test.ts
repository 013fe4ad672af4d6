/**
 * /metrics on the web process: the engine's counters after real syncs through the simulator,
 * a 429 counted by reason, the limiter's waits, the database-backed gauges, and who may read it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createApp } from '../web/app';
import { listen, type RunningWebServer } from '../web/server';
import { createLogger } from '../src/log';
import { enableProcessMetrics } from '../src/metrics/registry';
import { enableDatabaseGauges } from '../src/metrics/database-gauges';
import { createRateLimiter, RateLimitWaitError } from '../src/xero/rate-limiter';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { metricLines, metricSum } from './support/metrics-text';

let temporal: TestTemporal;
let env: OrderTestEnv;
let web: RunningWebServer;
const log = createLogger('silent');

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  enableProcessMetrics();
  // No cache: each scrape below sees the rows the test has just written.
  enableDatabaseGauges({ db: env.database.db, log, cacheMs: 0 });
  web = await listen(createApp({ db: env.database.db, temporal: temporal.client, log }), 0, '127.0.0.1');
});
after(async () => {
  await web?.close();
  await env?.close();
  await temporal?.close();
});

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type']) }),
        );
      })
      .on('error', reject);
  });
}

async function scrape(base = web.url, headers: Record<string, string> = {}): Promise<string> {
  const res = await get(`${base}/metrics`, headers);
  assert.equal(res.status, 200, res.body);
  assert.match(res.contentType, /^text\/plain; version=0\.0\.4/);
  return res.body;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('/metrics', () => {
  test('an order synced through the simulator: Xero calls by endpoint template and status, the synced document', async () => {
    const order = sampleOrder();
    await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
    await eventually(
      async () =>
        (await env.database.db
          .selectFrom('sync_log')
          .select('id')
          .where('account_id', '=', env.accountId)
          .where('kind', '=', 'attachment')
          .where('outcome', '=', 'success')
          .executeTakeFirst()) !== undefined,
      30_000,
      'invoice with its PDF',
    );
    const text = await scrape();
    const calls = (labels: Record<string, string>) => metricSum(text, 'xero_sync_xero_requests_total', labels);
    assert.ok(calls({ endpoint: '/Invoices', method: 'PUT', status: '200' }) >= 1, 'invoice created');
    assert.ok(
      calls({ endpoint: '/Invoices/{InvoiceID}/Attachments/{FileName}', method: 'PUT', status: '200' }) >= 1,
      'PDF attached',
    );
    // Endpoints are templates: no id, number or file name ever becomes a label value.
    const lines = metricLines(text, 'xero_sync_xero_requests_total');
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.doesNotMatch(line, GUID, line);
      assert.ok(!line.includes(order.number), line);
    }
    assert.ok(
      metricSum(text, 'xero_sync_xero_request_duration_seconds_count', { endpoint: '/Invoices', method: 'PUT' }) >= 1,
    );
    assert.ok(
      metricSum(text, 'xero_sync_document_syncs_total', {
        document_kind: 'order',
        record: 'invoice',
        outcome: 'success',
      }) >= 1,
    );
    // Node's own figures come along.
    assert.ok(metricSum(text, 'process_cpu_user_seconds_total') > 0);
    assert.ok(metricSum(text, 'nodejs_eventloop_lag_seconds') >= 0);
  });

  test('a 429 from Xero is counted by its reason', async () => {
    // One call a minute for the whole app, spent by another install of the same Xero app that the
    // engine's limiter cannot see: the engine's next call answers 429 with X-Rate-Limit-Problem: appminute.
    const limited = await orderTestEnv(temporal, { sim: { limits: { appPerMinute: 1 } } });
    try {
      const other = limited.sim.sim.issueTokens({ tenantIds: [limited.tenantId] });
      const spent = await fetch(`${limited.sim.url}/api.xro/2.0/Organisation`, {
        headers: {
          authorization: `Bearer ${other.access_token}`,
          'xero-tenant-id': limited.tenantId,
          accept: 'application/json',
        },
      });
      assert.equal(spent.status, 200);
      const was = metricSum(await scrape(), 'xero_sync_xero_rate_limited_total', { reason: 'appminute' });
      const order = sampleOrder();
      await limited.client.startOrderSync(limited.accountId, { order, convertedAt: new Date().toISOString() });
      const text = await eventually(
        async () => {
          const t = await scrape();
          const now = metricSum(t, 'xero_sync_xero_rate_limited_total', { reason: 'appminute' });
          return now > (Number.isNaN(was) ? 0 : was) ? t : undefined;
        },
        30_000,
        'a counted 429',
      );
      assert.ok(metricSum(text, 'xero_sync_xero_requests_total', { status: '429' }) >= 1);
      // Waiting out a 429 is not a failure: nothing is logged as one.
      const failures = await limited.database.db
        .selectFrom('sync_log')
        .select('id')
        .where('outcome', '=', 'failure')
        .execute();
      assert.equal(failures.length, 0);
    } finally {
      await limited.close();
    }
  });

  test("the shared limiter's waits, slept or handed to Temporal, by reason", async () => {
    const limiter = createRateLimiter({
      db: env.database.db,
      limits: { perMinute: 1, perDay: 100, concurrent: 5 },
      minuteMs: 400,
      maxWaitMs: 2_000,
    });
    const tenant = `metrics-${Date.now()}`;
    await (await limiter.acquire(tenant)).release();
    await (await limiter.acquire(tenant)).release(); // waits for the minute window
    const short = createRateLimiter({
      db: env.database.db,
      limits: { perMinute: 1, perDay: 100, concurrent: 5 },
      minuteMs: 60_000,
      maxWaitMs: 10,
    });
    await assert.rejects(short.acquire(tenant), RateLimitWaitError);
    const text = await scrape();
    assert.ok(metricSum(text, 'xero_sync_rate_limiter_waits_total', { reason: 'minute', outcome: 'waited' }) >= 1);
    assert.ok(metricSum(text, 'xero_sync_rate_limiter_waits_total', { reason: 'minute', outcome: 'deferred' }) >= 1);
    assert.ok(metricSum(text, 'xero_sync_rate_limiter_wait_seconds_total', { reason: 'minute' }) > 0);
  });

  test('open failures, outbox backlog and delivery lag, export progress: read from the database at scrape time', async () => {
    const { db } = env.database;
    const text0 = await scrape();
    assert.equal(metricSum(text0, 'xero_sync_metrics_database_up'), 1);
    const failuresBefore = metricSum(text0, 'xero_sync_open_failures', { document_kind: 'order' });
    await db
      .insertInto('sync_log')
      .values({
        account_id: env.accountId,
        kind: 'invoice',
        action: 'create',
        host_ref: 'SO-METRICS-1',
        document_kind: 'order',
        outcome: 'failure',
        message: 'Account code 999 is not a valid code',
        xero_id: null,
        error: null,
        workflow_id: `order:${env.accountId}:SO-METRICS-1`,
        run_id: null,
      })
      .execute();
    await db.updateTable('host_apps').set({ webhook_url: 'https://host.example/hooks' }).execute();
    await db
      .insertInto('webhook_outbox')
      .values({
        host_app_id: env.hostAppId,
        account_id: env.accountId,
        event_type: 'test.event',
        ordering_key: 'metrics-test',
        payload: JSON.stringify({}),
        created_at: new Date(Date.now() - 90_000),
        attempts: 2,
      })
      .execute();
    const text = await scrape();
    assert.equal(
      metricSum(text, 'xero_sync_open_failures', { document_kind: 'order' }),
      (Number.isNaN(failuresBefore) ? 0 : failuresBefore) + 1,
    );
    assert.ok(metricSum(text, 'xero_sync_outbox_pending') >= 1);
    assert.ok(metricSum(text, 'xero_sync_outbox_failing') >= 1);
    assert.ok(metricSum(text, 'xero_sync_outbox_oldest_pending_age_seconds') >= 89);
    assert.equal(metricSum(text, 'xero_sync_exports_running'), 0);
    assert.equal(metricSum(text, 'xero_sync_export_documents', { outcome: 'pending' }), 0);

    // A running export of three: one refused (a draft), one not sent yet, one handed over and synced.
    const exportId = randomUUID();
    await db.insertInto('exports').values({ id: exportId, account_id: env.accountId, total: 3 }).execute();
    const order = sampleOrder();
    await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
    await db
      .insertInto('export_items')
      .values([
        {
          export_id: exportId,
          seq: 1,
          kind: 'invoice',
          host_id: 'D-1',
          event: null,
          state: 'refused',
          reason: 'a draft invoice is not exported',
        },
        { export_id: exportId, seq: 2, kind: 'invoice', host_id: 'Q-2', event: null, state: 'queued', reason: null },
        {
          export_id: exportId,
          seq: 3,
          kind: 'invoice',
          host_id: order.number,
          event: null,
          state: 'handed_over',
          reason: null,
        },
      ])
      .execute();
    const progress = await eventually(
      async () => {
        const t = await scrape();
        return metricSum(t, 'xero_sync_export_documents', { outcome: 'exported' }) === 1 ? t : undefined;
      },
      30_000,
      'the handed-over document exported',
    );
    assert.equal(metricSum(progress, 'xero_sync_exports_running'), 1);
    assert.equal(metricSum(progress, 'xero_sync_export_documents', { outcome: 'refused' }), 1);
    assert.equal(metricSum(progress, 'xero_sync_export_documents', { outcome: 'pending' }), 1);
    assert.equal(metricSum(progress, 'xero_sync_export_documents'), 3);
    await db.updateTable('exports').set({ status: 'completed' }).where('id', '=', exportId).execute();
    await db.deleteFrom('webhook_outbox').where('ordering_key', '=', 'metrics-test').execute();
    await db.updateTable('host_apps').set({ webhook_url: null }).execute();
  });

  test('METRICS_TOKEN: a bearer token is required when set; without one, loopback clients only', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const guarded = await listen(
      createApp({ db: env.database.db, temporal: temporal.client, log, metricsToken: token }),
      0,
      '127.0.0.1',
    );
    try {
      assert.equal((await get(`${guarded.url}/metrics`)).status, 401);
      assert.equal(
        (await get(`${guarded.url}/metrics`, { authorization: 'Bearer wrong-token-0123456789abcdef' })).status,
        401,
      );
      const ok = await scrape(guarded.url, { authorization: `Bearer ${token}` });
      assert.ok(metricSum(ok, 'xero_sync_xero_requests_total') >= 1);
      // Probes never need the token.
      assert.equal((await get(`${guarded.url}/livez`)).status, 200);
    } finally {
      await guarded.close();
    }
    // No token configured: a request relayed by a proxy is not "this machine", even over loopback.
    const relayed = await get(`${web.url}/metrics`, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(relayed.status, 403);
    assert.match(relayed.body, /METRICS_TOKEN/);
  });
});
