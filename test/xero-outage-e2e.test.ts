import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { orderSyncStateQuery, type OrderSyncView } from '../src/orders/messages';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder } from './support/orders';

/**
 * After an outage, work resumes within seconds of Xero answering again (issue 14): Xero answers 503
 * to everything for a few seconds while orders queue up, with the order activities' production
 * back-off (1 s doubling to 5 minutes), which the outage and the limiter's waits must not inflate.
 */

let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

const OUTAGE_MS = 6_000;
const ORDERS = 6;

test('Xero 503s everything for a while: the first success comes within seconds of recovery, every order syncs exactly once', async (t) => {
  const env = await orderTestEnv(temporal, { orders: { retryInitialMs: 1_000, retryMaxMs: 5 * 60_000 } });
  try {
    const fault = env.sim.sim.addFault({ status: 503 });
    const orders = Array.from({ length: ORDERS }, () => sampleOrder());
    const outageStarted = Date.now();
    const workflowIds = await Promise.all(
      orders.map(
        async (order) =>
          (await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() })).workflowId,
      ),
    );
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
    const refused = env.sim.sim.requestLog({ tenantId: env.tenantId }).filter((c) => c.status === 503).length;
    assert.ok(refused >= 1, 'Xero was asked during the outage');
    // One probe at a time, spaced up to 5 s: a handful of calls, not every document's every retry.
    assert.ok(refused <= ORDERS + 8, `${refused} calls refused during ${OUTAGE_MS} ms`);
    assert.ok(env.sim.sim.removeFault(fault.id));
    const recoveredAt = Date.now();

    const done = await eventually(
      async () => {
        const states = await Promise.all(
          workflowIds.map((id) => temporal.client.workflow.getHandle(id).query(orderSyncStateQuery)),
        );
        const finished = (s: OrderSyncView) => s.invoice && s.attachmentRevision === s.invoice.syncedRevision;
        return states.every(finished) ? states : undefined;
      },
      30_000,
      'every order synced after the outage',
    );
    const drainedMs = Date.now() - recoveredAt;
    const successes = env.sim.sim
      .requestLog({ tenantId: env.tenantId })
      .filter((c) => c.status < 300 && Date.parse(c.at) >= recoveredAt)
      .map((c) => Date.parse(c.at) - recoveredAt);
    const firstSuccessMs = Math.min(...successes);
    t.diagnostic(
      `first success ${firstSuccessMs} ms after recovery; all ${ORDERS} orders synced after ${drainedMs} ms`,
    );
    assert.ok(firstSuccessMs <= 7_000, `first success ${firstSuccessMs} ms after recovery (probes at most 5 s apart)`);
    assert.ok(drainedMs <= 15_000, `all synced ${drainedMs} ms after recovery`);

    for (const [i, order] of orders.entries()) {
      const invoices = env.sim.sim
        .invoices(env.tenantId)
        .filter((inv) => (inv as { InvoiceNumber?: string }).InvoiceNumber === order.number) as Array<{
        InvoiceID: string;
      }>;
      assert.equal(invoices.length, 1, `one invoice for ${order.number}`);
      assert.equal(done[i]!.invoice?.id, invoices[0]!.InvoiceID);
      assert.equal(env.sim.sim.attachments(env.tenantId, invoices[0]!.InvoiceID).length, 1);
    }
    const failures = await env.database.db
      .selectFrom('sync_log')
      .select(['host_ref', 'kind'])
      .where('outcome', '=', 'failure')
      .execute();
    assert.deepEqual(failures, [], 'the outage shows as no failure');
  } finally {
    await env.close();
  }
});
