import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { CONTROL_MESSAGE, NUL_MESSAGE, SURROGATE_MESSAGE } from '../src/domain/text';
import type { RunningWebServer } from '../web/server';
import { orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { startOrderApi, type OrderApi } from './support/order-api';

/**
 * What the host API refuses at the door, through the real app: characters PostgreSQL or Xero cannot
 * store (named by field or path parameter), and bodies over their route's limit — and what it must
 * not refuse (a large order).
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let env: OrderTestEnv;
let web: RunningWebServer;
let apiKey: string;

let http: OrderApi;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  http = await startOrderApi(env, temporal.client);
  web = http.web;
  apiKey = http.apiKey;
});
after(async () => {
  await http?.close();
  await env?.close();
  await temporal?.close();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Rec }> {
  const { status, body: json } = await http.api(method, path, body);
  return { status, body: json };
}

const account = () => `/accounts/${env.externalId}`;

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await temporal.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** JSON of `value`, padded with trailing spaces (still valid JSON) to exactly `bytes` bytes. */
function jsonOfSize(value: unknown, bytes: number): string {
  const json = JSON.stringify(value);
  assert.ok(Buffer.byteLength(json) <= bytes, `the document alone is ${Buffer.byteLength(json)} bytes`);
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

const KB = 1024;
const MB = 1024 * KB;

describe('characters that cannot be stored are refused at the API', () => {
  test('NUL in a nested field of an order is 400 naming the field, and nothing starts', async () => {
    const order = sampleOrder();
    const withNul = { ...order, customer: { ...order.customer, name: 'Acme\u0000 Ltd' } };
    const r = await api('POST', `${account()}/orders`, { order: withNul });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error, 'invalid_request');
    assert.deepEqual(r.body.fields, { 'order.customer.name': NUL_MESSAGE });
    assert.equal(await workflowExists(`order:${env.accountId}:${order.number}`), false);

    const inALine = await api('POST', `${account()}/orders`, {
      order: { ...order, lines: [order.lines[0], { ...order.lines[1], description: 'Pipe\u0000' }] },
    });
    assert.deepEqual([inALine.status, inALine.body.fields], [400, { 'order.lines.1.description': NUL_MESSAGE }]);
  });

  test('NUL anywhere else is 400 too, never a 500', async () => {
    const id = `nul-${randomUUID().slice(0, 8)}`;
    const name = await api('PUT', `/accounts/${id}`, { name: 'Nul\u0000 Ltd' });
    assert.deepEqual([name.status, name.body.error, name.body.fields], [400, 'invalid_request', { name: NUL_MESSAGE }]);
    const key = await api('PUT', `/accounts/${id}`, { name: 'Ok', options: { 'cost\u0000Centres': ['N'] } });
    assert.equal(key.status, 400);
    assert.deepEqual(key.body.fields, { 'options.cost\\u0000Centres': `field names ${NUL_MESSAGE}` });
    const setting = await api('PATCH', `${account()}/settings`, { exportedJobStatus: 'Invoiced\u0000' });
    assert.deepEqual([setting.status, setting.body.fields], [400, { exportedJobStatus: NUL_MESSAGE }]);
    const contacts = await api('POST', `${account()}/contacts/bulk`, {
      contacts: [
        { id: 'c-1', type: 'organisation', name: 'Fine' },
        { id: 'c-2', type: 'organisation', name: 'Not\u0000fine' },
      ],
    });
    assert.deepEqual([contacts.status, contacts.body.fields], [400, { 'contacts.1.name': NUL_MESSAGE }]);
    assert.equal((await api('GET', `/accounts/${id}`)).status, 404, 'nothing was stored');
  });

  test('an unpaired surrogate is 400 (it would be stored as U+FFFD or refused)', async () => {
    const id = `sur-${randomUUID().slice(0, 8)}`;
    const r = await api('PUT', `/accounts/${id}`, '{"name": "Half \\ud83d emoji"}');
    assert.deepEqual([r.status, r.body.fields], [400, { name: SURROGATE_MESSAGE }]);
    assert.equal((await api('GET', `/accounts/${id}`)).status, 404);
    // A whole pair is an emoji like any other.
    assert.equal((await api('PUT', `/accounts/${id}`, '{"name": "Whole \\ud83d\\ude00 emoji"}')).status, 201);
  });

  test('control characters in account ids, order numbers and other path parameters are 400 naming the parameter', async () => {
    const order = sampleOrder();
    const rows: Array<[method: string, path: string, body: unknown, param: string, problem: string]> = [
      ['PUT', '/accounts/acme%01x', { name: 'Acme' }, 'accountId', CONTROL_MESSAGE],
      ['GET', `${account()}%07`, undefined, 'accountId', CONTROL_MESSAGE],
      ['PUT', `/accounts/acme%00`, { name: 'Acme' }, 'accountId', NUL_MESSAGE],
      ['PUT', `${account()}/orders/SO%0A1`, { order: { ...order, number: 'SO\n1' } }, 'orderNumber', CONTROL_MESSAGE],
      ['POST', `${account()}/orders/SO%1B1/cancel`, {}, 'orderNumber', CONTROL_MESSAGE],
      ['DELETE', `${account()}/orders/${order.number}/payments/p%00`, undefined, 'paymentId', NUL_MESSAGE],
      ['PUT', `${account()}/contacts/c%1F`, { type: 'organisation', name: 'C' }, 'contactId', CONTROL_MESSAGE],
      ['GET', `${account()}/sync-log/1%7F`, undefined, 'entryId', CONTROL_MESSAGE],
      ['GET', '/accounts/%E0%A4%A', undefined, 'accountId', 'is not valid percent-encoded UTF-8'],
    ];
    for (const [method, path, body, param, problem] of rows) {
      const r = await api(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.fields, { [param]: problem }, `${method} ${path}`);
    }
    const made = await env.database.db.selectFrom('accounts').select('external_id').execute();
    assert.ok(!made.some((a) => a.external_id.startsWith('acme')), 'no account was made');
  });

  test('an account name with control characters is 400 naming it', async () => {
    const id = `ctl-${randomUUID().slice(0, 8)}`;
    const r = await api('PUT', `/accounts/${id}`, { name: 'Tab\there' });
    assert.deepEqual([r.status, r.body.fields], [400, { name: CONTROL_MESSAGE }]);
    assert.equal((await api('PUT', `/accounts/${id}`, { name: 'O’Brien & Søn, "Ltd" / 東京' })).status, 201);
  });
});

describe('body limits per route', () => {
  test('a 150 kB order is accepted by the parser', async () => {
    const order = sampleOrder({
      lines: Array.from({ length: 150 }, (_, i) => ({
        description: `Line ${i} `.padEnd(1_000, 'x'),
        quantity: 1,
        unitPrice: 1,
      })),
    });
    const body = JSON.stringify({ order });
    assert.ok(Buffer.byteLength(body) > 150 * KB, `${Buffer.byteLength(body)} bytes`);
    const r = await api('POST', `${account()}/orders`, body);
    assert.notEqual(r.status, 413, JSON.stringify(r.body));
    assert.ok(r.status < 300, JSON.stringify(r.body));
  });

  test('orders: exactly 2 MB is read, one byte more is 413 naming the limit', async () => {
    const atLimit = await api('POST', `${account()}/orders`, jsonOfSize({ order: sampleOrder() }, 2 * MB));
    assert.notEqual(atLimit.status, 413, JSON.stringify(atLimit.body));
    assert.ok(atLimit.status < 500, JSON.stringify(atLimit.body));
    const over = await api('POST', `${account()}/orders`, jsonOfSize({ order: sampleOrder() }, 2 * MB + 1));
    assert.equal(over.status, 413);
    assert.equal(over.body.error, 'too_large');
    assert.match(over.body.message, /2 MB/);
  });

  test('bulk contacts: 150 kB is read; a single contact or an account: 150 kB is 413 naming 100 kB', async () => {
    const contacts = Array.from({ length: 80 }, (_, i) => ({
      id: `bulk-${i}`,
      type: 'organisation',
      name: `Bulk ${i}`,
      addresses: [{ lines: Array.from({ length: 4 }, () => 'y'.repeat(480)) }],
    }));
    const bulk = JSON.stringify({ contacts });
    assert.ok(Buffer.byteLength(bulk) > 150 * KB);
    const stored = await api('POST', `${account()}/contacts/bulk`, bulk);
    assert.equal(stored.status, 200, JSON.stringify(stored.body).slice(0, 500));

    const big = { name: 'Big', options: { notes: 'z'.repeat(150 * KB) } };
    const tooBig = await api('PUT', `/accounts/big-${randomUUID().slice(0, 8)}`, big);
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.body.message, /100 kB/);
    const contact = await api('PUT', `${account()}/contacts/big-1`, {
      type: 'organisation',
      name: 'Big',
      extra: 'z'.repeat(150 * KB),
    });
    assert.equal(contact.status, 413);

    // The edge of the 100 kB routes.
    const id = `edge-${randomUUID().slice(0, 8)}`;
    assert.equal((await api('PUT', `/accounts/${id}`, jsonOfSize({ name: 'Edge' }, 100 * KB))).status, 201);
    assert.equal((await api('PUT', `/accounts/${id}`, jsonOfSize({ name: 'Edge' }, 100 * KB + 1))).status, 413);
  });

  test('malformed JSON is 400 and an unsupported charset 415, as JSON errors on every route', async () => {
    for (const path of [`${account()}/orders`, `/accounts/${env.externalId}`, `${account()}/contacts/bulk`]) {
      const method = path.endsWith(env.externalId) ? 'PUT' : 'POST';
      const r = await api(method, path, '{"order": ');
      assert.deepEqual([r.status, r.body.error], [400, 'invalid_json'], path);
      const res = await fetch(`${web.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json; charset=latin1' },
        body: '{}',
      });
      assert.equal(res.status, 415, path);
      assert.equal(((await res.json()) as Rec).error, 'unsupported_encoding', path);
    }
  });
});
