import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, orderTestEnv, sampleOrder } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Currencies as Xero has them: documents in the base currency or an enabled foreign one (with the
 * rate Xero used); any other currency is refused before anything is written, explained in plain words.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

describe('currencies', () => {
  test('a USD order fails in plain words until USD is enabled in Xero; then it syncs in USD with its rate, payment included', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const order = sampleOrder({ currency: 'USD' });
      const invoiceOf = () =>
        (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === order.number);
      const { workflowId } = await env.client.startOrderSync(env.accountId, {
        order,
        convertedAt: new Date().toISOString(),
      });
      const state = () => temporal.client.workflow.getHandle(workflowId).query('orderSyncState') as Promise<Rec>;
      const failure = await eventually(async () => (await state()).failure);
      assert.match(failure.message, /not subscribed to currency USD/);
      assert.equal(invoiceOf(), undefined, 'nothing written');
      assert.deepEqual(
        ['PUT', 'POST'].flatMap((method) =>
          env.sim.sim.requestLog({ tenantId: env.tenantId, method, pathContains: '/Invoices' }),
        ),
        [],
        'refused before any write: the currency was checked against GET /Currencies',
      );
      assert.match(failure.message, /Enable USD in Xero \(Settings → Currencies\)/);
      const logged = await eventually(() =>
        env.database.db
          .selectFrom('sync_log')
          .select('error')
          .where('host_ref', '=', order.number)
          .where('outcome', '=', 'failure')
          .executeTakeFirst(),
      );
      assert.match(JSON.stringify(logged.error), /does not use currency USD/);

      // Listed by Xero once enabled (Settings → Currencies).
      env.sim.sim.enableCurrency(env.tenantId, 'USD', 0.6);
      const currencies = await env.xero.call(env.accountId, (api, t) => api.getCurrencies(t));
      assert.deepEqual(
        (currencies.currencies ?? []).map((c) => String(c.code)),
        ['NZD', 'USD'],
      );
      await env.client.retryOrderSync(env.accountId, order.number);
      const inv = await eventually(() => invoiceOf(), 30_000, 'the USD invoice');
      assert.equal(inv.CurrencyCode, 'USD');
      assert.equal(inv.CurrencyRate, 0.6);
      assert.equal(inv.Total, 161);
      await env.client.addPayment(env.accountId, order.number, { id: 'usd-1', amount: 161, date: '2026-03-05' });
      await eventually(() => invoiceOf()?.Status === 'PAID', 30_000, 'paid in USD');
    } finally {
      await env.close();
    }
  });
});
