import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { createApiKey, createHostApp } from '../src/access/api-keys';
import type { Db } from '../src/db/database';
import { createIdempotencyStore, requestHash } from '../web/api/idempotency';
import type { RunningWebServer } from '../web/server';
import { createTestDatabase, databaseKinds } from './support/database';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { startOrderApi } from './support/order-api';

/**
 * Idempotency-Key on the host API's writes, through the real app (real Temporal, database and Xero
 * simulator): a host retrying a write gets the first answer and causes nothing more.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let env: OrderTestEnv;
let web: RunningWebServer;
/** The same app on the same database, with a Temporal client for a namespace that does not exist: every order event is a 500. */
let brokenWeb: RunningWebServer;
let closeHttp: (() => Promise<void>) | undefined;
let apiKey: string;
let otherHost: { hostAppId: string; apiKey: string };

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  const http = await startOrderApi(env, temporal.client);
  closeHttp = http.close;
  web = http.web;
  brokenWeb = await http.listenWith(
    new Client({ connection: temporal.client.connection, namespace: `missing-${randomUUID().slice(0, 8)}` }),
  );
  apiKey = http.apiKey;
  const other = await createHostApp(env.database.db, { name: 'CRM Co' });
  otherHost = { hostAppId: other.id, apiKey: (await createApiKey(env.database.db, other.id)).key };
});
after(async () => {
  await web?.close();
  await closeHttp?.();
  await brokenWeb?.close();
  await env?.close();
  await temporal?.close();
});

interface Answer {
  status: number;
  body: Rec;
  replayed: string | null;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; key?: string; apiKey?: string; base?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${opts.base ?? web.url}/api/v1${path}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    headers: {
      authorization: `Bearer ${opts.apiKey ?? apiKey}`,
      ...(opts.key === undefined ? {} : { 'idempotency-key': opts.key }),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(opts.body === undefined ? {} : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : {},
    replayed: res.headers.get('idempotent-replayed'),
    headers: res.headers,
  };
}

const newKey = () => `key-${randomUUID()}`;
const account = () => `/accounts/${env.externalId}`;

function keyRows(db: Db, key: string) {
  return db.selectFrom('api_idempotency_keys').selectAll().where('idempotency_key', '=', key).execute();
}

/** As if these keys were used 25 hours ago. */
async function ageKeys(db: Db, keys: string[]): Promise<void> {
  for (const key of keys)
    await sql`update api_idempotency_keys set created_at = now() - interval '25 hours' where idempotency_key = ${key}`.execute(
      db,
    );
}

/** Every host event the order's workflow received, whether as a signal or as an update. */
async function hostEventsOf(workflowId: string): Promise<number> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes,
  ).length;
}

describe('Idempotency-Key on /api/v1 writes', () => {
  test('the same key and request twice: one effect, and the first answer again', async () => {
    const key = newKey();
    const first = await call('POST', `${account()}/admin-link`, { key });
    assert.equal(first.status, 201);
    assert.equal(first.replayed, null);
    const again = await call('POST', `${account()}/admin-link`, { key });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.replayed, 'true');
    assert.match(again.headers.get('content-type') ?? '', /^application\/json/);
    const links = await env.database.db
      .selectFrom('admin_links')
      .select('id')
      .where('account_id', '=', env.accountId)
      .execute();
    assert.equal(links.length, 1, 'one admin link made, not two');

    // Created once: the retry says "created" again (201), where a second PUT without the key says 200.
    const accountKey = newKey();
    const id = `idem-${randomUUID().slice(0, 8)}`;
    const created = await call('PUT', `/accounts/${id}`, { key: accountKey, body: { name: 'Idem Ltd', options: {} } });
    assert.equal(created.status, 201);
    // The same JSON with its keys in another order is the same request.
    const retried = await call('PUT', `/accounts/${id}`, { key: accountKey, body: { options: {}, name: 'Idem Ltd' } });
    assert.deepEqual([retried.status, retried.replayed, retried.body], [201, 'true', created.body]);
    assert.equal((await call('PUT', `/accounts/${id}`, { body: { name: 'Idem Ltd' } })).status, 200);
  });

  test('an order conversion retried with its key reaches the workflow once', async () => {
    const order = sampleOrder();
    const key = newKey();
    const first = await call('POST', `${account()}/orders`, { key, body: { order } });
    assert.ok(first.status >= 200 && first.status < 300, JSON.stringify(first.body));
    const workflowId = `order:${env.accountId}:${order.number}`;
    const events = await eventually(async () => (await hostEventsOf(workflowId)) || undefined, 10_000, 'the event');
    const again = await call('POST', `${account()}/orders`, { key, body: { order } });
    assert.deepEqual([again.status, again.replayed, again.body], [first.status, 'true', first.body]);
    assert.equal(await hostEventsOf(workflowId), events, 'the retry did not reach the workflow');
  });

  test('the same key with another request is 422 and changes nothing', async () => {
    const key = newKey();
    const id = `reuse-${randomUUID().slice(0, 8)}`;
    assert.equal((await call('PUT', `/accounts/${id}`, { key, body: { name: 'First' } })).status, 201);
    const otherBody = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Second' } });
    assert.equal(otherBody.status, 422);
    assert.equal(otherBody.body.error, 'idempotency_key_reused');
    const otherPath = await call('PUT', `/accounts/${id}-b`, { key, body: { name: 'First' } });
    assert.equal(otherPath.status, 422);
    const otherMethod = await call('POST', `/accounts/${id}/admin-link`, { key });
    assert.equal(otherMethod.status, 422);
    assert.equal((await call('GET', `/accounts/${id}`)).body.name, 'First');
    assert.equal((await call('GET', `/accounts/${id}-b`)).status, 404);
  });

  test('while the first request is still being answered, the same key is 409 (retry later)', async () => {
    // The settings check reads the organisation from Xero first: slowed down, the request stays in flight.
    const fault = env.sim.sim.addFault({ method: 'GET', path: '/Organisation*', latencyMs: 2_000, times: 1 });
    try {
      const key = newKey();
      const body = { exportedJobStatus: 'Invoiced' };
      const slow = call('PATCH', `${account()}/settings`, { key, body });
      await eventually(
        async () => (await keyRows(env.database.db, key)).some((r) => r.response_status === null),
        5_000,
        'the first request in progress',
      );
      const meanwhile = await call('PATCH', `${account()}/settings`, { key, body });
      assert.equal(meanwhile.status, 409);
      assert.equal(meanwhile.body.error, 'idempotency_key_in_progress');
      assert.equal(meanwhile.headers.get('retry-after'), '1');
      const first = await slow;
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.replayed, null);
      const later = await call('PATCH', `${account()}/settings`, { key, body });
      assert.deepEqual([later.status, later.replayed, later.body], [200, 'true', first.body]);
    } finally {
      env.sim.sim.removeFault(fault.id);
    }
  });

  test('a 5xx answer is not kept: the same key can be retried and then does the work', async () => {
    const order = sampleOrder();
    const key = newKey();
    const failed = await call('POST', `${account()}/orders`, { key, body: { order }, base: brokenWeb.url });
    assert.ok(failed.status >= 500, `expected a 5xx, got ${failed.status}`);
    assert.deepEqual(await keyRows(env.database.db, key), []);
    const retried = await call('POST', `${account()}/orders`, { key, body: { order } });
    assert.ok(retried.status >= 200 && retried.status < 300, JSON.stringify(retried.body));
    assert.equal(retried.replayed, null);
    const again = await call('POST', `${account()}/orders`, { key, body: { order } });
    assert.deepEqual([again.status, again.replayed, again.body], [retried.status, 'true', retried.body]);
  });

  test('4xx answers are kept like 2xx', async () => {
    const key = newKey();
    const path = `/accounts/bad-${randomUUID().slice(0, 8)}`;
    const bad = await call('PUT', path, { key, body: { name: '' } });
    assert.equal(bad.status, 400);
    const again = await call('PUT', path, { key, body: { name: '' } });
    assert.deepEqual([again.status, again.replayed, again.body], [400, 'true', bad.body]);
  });

  test('different host apps use the same key independently', async () => {
    const key = newKey();
    const id = `shared-${randomUUID().slice(0, 8)}`;
    const mine = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Mine' } });
    const theirs = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Mine' }, apiKey: otherHost.apiKey });
    assert.deepEqual([mine.status, mine.replayed], [201, null]);
    assert.deepEqual([theirs.status, theirs.replayed], [201, null]);
    // Each host app's key still holds its own first answer.
    const mineAgain = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Mine' } });
    assert.deepEqual([mineAgain.status, mineAgain.replayed, mineAgain.body], [201, 'true', mine.body]);
    const theirsAgain = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Mine' }, apiKey: otherHost.apiKey });
    assert.deepEqual([theirsAgain.status, theirsAgain.replayed, theirsAgain.body], [201, 'true', theirs.body]);
    const theirsOther = await call('PUT', `/accounts/${id}-2`, {
      key: newKey(),
      body: { name: 'Theirs' },
      apiKey: otherHost.apiKey,
    });
    assert.equal(theirsOther.status, 201);
    const accounts = await env.database.db
      .selectFrom('accounts')
      .select('host_app_id')
      .where('external_id', '=', id)
      .execute();
    assert.deepEqual(accounts.map((a) => a.host_app_id).sort(), [env.hostAppId, otherHost.hostAppId].sort());
  });

  test('a key that is not 1–255 printable ASCII characters is 400, naming the header', async () => {
    const id = `badkey-${randomUUID().slice(0, 8)}`;
    for (const key of ['x'.repeat(256), 'clé-1', 'a\tb']) {
      const r = await call('PUT', `/accounts/${id}`, { key, body: { name: 'Nope' } });
      assert.equal(r.status, 400, JSON.stringify(key));
      assert.equal(r.body.error, 'invalid_idempotency_key');
      assert.ok(r.body.fields['Idempotency-Key'], JSON.stringify(r.body));
    }
    assert.equal((await call('GET', `/accounts/${id}`)).status, 404, 'nothing was done');
    assert.equal((await call('PUT', `/accounts/${id}`, { key: 'x'.repeat(255), body: { name: 'Ok' } })).status, 201);
  });

  test('reads ignore the key; a key is forgotten after 24 hours', async () => {
    const key = newKey();
    assert.equal((await call('GET', account(), { key })).status, 200);
    assert.deepEqual(await keyRows(env.database.db, key), []);

    const id = `old-${randomUUID().slice(0, 8)}`;
    assert.equal((await call('PUT', `/accounts/${id}`, { key, body: { name: 'Old' } })).status, 201);
    await ageKeys(env.database.db, [key]);
    const reused = await call('PUT', `/accounts/${id}`, { key, body: { name: 'New' } });
    assert.deepEqual([reused.status, reused.replayed], [200, null]);
  });
});

describe('the Idempotency-Key store', () => {
  for (const kind of databaseKinds()) {
    test(`decides owner, replay, reuse, in progress, takeover and release (${kind})`, async () => {
      const database = await createTestDatabase(kind);
      try {
        const { db } = database;
        const host = await db.insertInto('host_apps').values({ name: 'H' }).returning('id').executeTakeFirstOrThrow();
        const store = createIdempotencyStore(db);
        const req = (key: string, body: unknown = { a: 1 }) => ({
          hostAppId: host.id,
          key,
          method: 'POST',
          path: '/api/v1/x',
          hash: requestHash('POST', '/api/v1/x', body),
        });

        const first = await store.claim(req('k1'));
        assert.equal(first.kind, 'owner');
        assert.equal((await store.claim(req('k1'))).kind, 'in_progress');
        assert.equal((await store.claim(req('k1', { a: 2 }))).kind, 'reused');
        await store.finish(req('k1'), (first as { owner: string }).owner, {
          status: 201,
          contentType: 'application/json; charset=utf-8',
          body: '{"ok":"\\u0000 stays escaped"}',
        });
        assert.deepEqual(await store.claim(req('k1')), {
          kind: 'replay',
          answer: {
            status: 201,
            contentType: 'application/json; charset=utf-8',
            body: '{"ok":"\\u0000 stays escaped"}',
          },
        });

        // A 5xx releases the key.
        const failing = await store.claim(req('k2'));
        await store.finish(req('k2'), (failing as { owner: string }).owner, {
          status: 503,
          contentType: null,
          body: '',
        });
        assert.equal((await store.claim(req('k2'))).kind, 'owner');

        // A request that died unanswered is taken over once its lease ends; its late answer is not kept.
        const shortLease = createIdempotencyStore(db, { leaseMs: 0 });
        const dead = await shortLease.claim(req('k3'));
        const takeover = await shortLease.claim(req('k3'));
        assert.equal(takeover.kind, 'owner');
        await shortLease.finish(req('k3'), (dead as { owner: string }).owner, {
          status: 200,
          contentType: null,
          body: 'late',
        });
        await shortLease.finish(req('k3'), (takeover as { owner: string }).owner, {
          status: 201,
          contentType: null,
          body: 'taken over',
        });
        const replay = await store.claim(req('k3'));
        assert.equal(replay.kind === 'replay' && replay.answer.body, 'taken over');

        // Rows past 24 hours are swept when a new key comes in.
        await ageKeys(db, ['k1', 'k2']);
        await store.claim(req('k4'));
        const left = await db.selectFrom('api_idempotency_keys').select('idempotency_key').execute();
        assert.deepEqual(left.map((r) => r.idempotency_key).sort(), ['k3', 'k4']);
      } finally {
        await database.close();
      }
    });
  }
});
