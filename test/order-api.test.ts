import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testTemporal, type TestTemporal } from './support/temporal';
import { startOrderApi, type Json, type OrderApi } from './support/order-api';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';

/** The host's REST doors for order events, and the before-connection rules. */

type Rec = Json;
let temporal: TestTemporal;
let env: OrderTestEnv;
let http: OrderApi;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  http = await startOrderApi(env, temporal.client);
});
after(async () => {
  await http?.close();
  await env?.close();
  await temporal?.close();
});

const api = (method: string, path: string, body?: unknown) => http.api(method, path, body);

const orders = () => `/accounts/${env.externalId}/orders`;
const invoiceNumbered = (n: string) =>
  env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceNumber === n) as Rec | undefined;

describe('REST order events', () => {
  test('converted → 202 with the workflow id; revised, payment added and removed, cancelled → 202 and done in Xero', async () => {
    const order = sampleOrder();
    const created = await api('POST', orders(), { order });
    assert.equal(created.status, 202);
    assert.deepEqual(created.body, {
      accepted: true,
      applied: true,
      workflowId: `order:${env.accountId}:${order.number}`,
      orderNumber: order.number,
      status: 'pending',
    });
    await eventually(() => invoiceNumbered(order.number), 20_000, 'invoice');

    const revised = await api('PUT', `${orders()}/${order.number}`, {
      order: { ...order, lines: [{ description: 'Revised', quantity: 2, unitPrice: 50 }] },
    });
    assert.equal(revised.status, 202);
    await eventually(() => invoiceNumbered(order.number)?.Total === 115, 20_000, 'revised total');

    assert.equal(
      (
        await api('POST', `${orders()}/${order.number}/payments`, {
          id: 'p-1',
          amount: 15,
          date: '2026-03-05',
          reference: 'Card',
        })
      ).status,
      202,
    );
    await eventually(() => invoiceNumbered(order.number)?.AmountDue === 100, 20_000, 'payment applied');
    assert.equal((await api('DELETE', `${orders()}/${order.number}/payments/p-1`)).status, 202);
    await eventually(() => invoiceNumbered(order.number)?.AmountDue === 115, 20_000, 'payment removed');

    const view = await api('GET', `${orders()}/${order.number}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.status, view.body.sync.status, 'one vocabulary: the top-level status is the sync status');
    assert.ok(['pending', 'synced'].includes(view.body.status), view.body.status);
    assert.equal(view.body.invoice.invoiceNumber, order.number);
    assert.equal(view.body.sync.revision, 2);
    // The link that opens the invoice in Xero.
    assert.match(view.body.invoice.xeroUrl, /^https:\/\/go\.xero\.com\/organisationlogin\/default\.aspx\?shortcode=/);
    assert.ok(view.body.invoice.xeroUrl.endsWith(`InvoiceID=${view.body.invoice.invoiceId}`));

    assert.equal((await api('POST', `${orders()}/${order.number}/cancel`, {})).status, 202);
    await eventually(() => invoiceNumbered(order.number)?.Status === 'VOIDED', 20_000, 'voided');
    const after = await eventually(
      async () => {
        const r = await api('POST', `${orders()}/${order.number}/payments`, {
          id: 'late',
          amount: 1,
          date: '2026-03-06',
        });
        return r.status === 409 ? r : undefined;
      },
      10_000,
      'payments refused after the cancel',
    );
    assert.equal(after.body.error, 'order_cancelled');
  });

  test('4xx name the field and the reason', async () => {
    const bad = await api('POST', orders(), { order: { ...sampleOrder(), currency: 'nzd', lines: [] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_request');
    assert.ok(bad.body.fields['order.currency'], JSON.stringify(bad.body));
    assert.ok(bad.body.fields['order.lines'], JSON.stringify(bad.body));

    const order = sampleOrder();
    assert.equal((await api('POST', orders(), { order })).status, 202);
    const mismatch = await api('PUT', `${orders()}/${order.number}`, { order: { ...order, number: 'OTHER-1' } });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.body.fields, { 'order.number': `must be ${order.number}` });

    const payment = await api('POST', `${orders()}/${order.number}/payments`, { id: 'x', amount: -5, date: '5 March' });
    assert.equal(payment.status, 400);
    assert.deepEqual(Object.keys(payment.body.fields).sort(), ['amount', 'date']);

    const unknown = await api('POST', `${orders()}/NEVER-SEEN/payments`, { id: 'x', amount: 5, date: '2026-03-05' });
    assert.equal(unknown.status, 409);
    assert.equal(unknown.body.error, 'order_not_found');

    const noKey = await fetch(`${http.web.url}/api/v1${orders()}`, { method: 'POST' });
    assert.equal(noKey.status, 401);
  });

  test('an order converted before the connection is not synced, and neither are its payments', async () => {
    const order = sampleOrder();
    const refused = await api('POST', orders(), { order, convertedAt: '2020-01-01T00:00:00Z' });
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.body, {
      error: 'converted_before_connection',
      message: 'order converted before the Xero connection: not synced',
    });
    // Reported again later (even as "now"): the first conversion decided.
    assert.equal((await api('POST', orders(), { order })).status, 422);
    const payment = await api('POST', `${orders()}/${order.number}/payments`, {
      id: 'p',
      amount: 10,
      date: '2026-03-05',
    });
    assert.equal(payment.status, 422);
    assert.equal(payment.body.error, 'order_not_synced');
    assert.match(payment.body.message, /payment not synced: order converted before the Xero connection/);
    assert.equal(invoiceNumbered(order.number), undefined);
    const view = await api('GET', `${orders()}/${order.number}`);
    assert.equal(view.body.status, 'skipped');
  });

  test('not connected → 409', async () => {
    const other = await env.database.db
      .insertInto('accounts')
      .values({ host_app_id: env.hostAppId, external_id: 'not-connected', name: 'Nobody', options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await api('POST', '/accounts/not-connected/orders', { order: sampleOrder() });
    assert.equal(r.status, 409);
    assert.equal(r.body.error, 'not_connected');
    assert.match(r.body.message, /not connected/);
    assert.ok(other.id);
  });

  test('the TypeScript client (no database at hand): the workflow itself applies the before-connection rule', async () => {
    const order = sampleOrder();
    const { workflowId } = await env.client.startOrderSync(env.accountId, {
      order,
      convertedAt: '2020-01-01T00:00:00Z',
    });
    const result = await temporal.client.workflow.getHandle(workflowId).result();
    assert.equal(result.status, 'skipped');
    assert.equal(result.skippedReason, 'order converted before the Xero connection: not synced');
    assert.equal(invoiceNumbered(order.number), undefined);
    const log = await env.database.db
      .selectFrom('sync_log')
      .select(['outcome', 'message'])
      .where('host_ref', '=', order.number)
      .execute();
    assert.deepEqual(log, [{ outcome: 'skipped', message: 'order converted before the Xero connection: not synced' }]);
  });
});
