import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Order, OrderInput } from '../src/domain/order';
import { orderSyncStateQuery, orderWorkflowId, type OrderSyncView } from '../src/orders/messages';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { saveHistoryFixture } from './support/histories';
import { startOrderApi, type Json, type OrderApi } from './support/order-api';

/**
 * The host as a source of faults, through the REST API: retried, late, repeated and reordered
 * events, before and after the order's workflow completed; document numbers with commas, quotes and
 * slashes whose create answer was lost. Xero's copy in the simulator is the judge.
 */

type Rec = Json;
let temporal: TestTemporal;
let env: OrderTestEnv;
let http: OrderApi;

before(async () => {
  temporal = await testTemporal();
  // Xero forgets idempotency keys at once: a lost answer must be found again by the engine itself.
  env = await orderTestEnv(temporal, { sim: { idempotencyWindowMs: 1 } });
  http = await startOrderApi(env, temporal.client);
});
after(async () => {
  await http?.close();
  await env?.close();
  await temporal?.close();
});

const api = (method: string, path: string, body?: unknown) => http.api(method, path, body);
const orders = () => `/accounts/${env.externalId}/orders`;
const orderPath = (n: string) => `${orders()}/${encodeURIComponent(n)}`;
const invoicesNumbered = (n: string) =>
  env.sim.sim.invoices(env.tenantId).filter((i: Rec) => i.InvoiceNumber === n) as Rec[];
const stateOf = (n: string): Promise<OrderSyncView> =>
  temporal.client.workflow.getHandle(orderWorkflowId(env.accountId, n)).query(orderSyncStateQuery);
const withLines = (order: Order, unitPrice: number): Order => ({
  ...order,
  lines: [{ description: `Work at ${unitPrice}`, quantity: 1, unitPrice }],
});
/** Xero writes (not reads) about invoices and payments since the log was cleared. */
const writes = () =>
  env.sim.sim
    .requestLog({})
    .filter((e) => e.method !== 'GET' && (e.path.includes('/Invoices') || e.path.includes('/Payments')));

async function synced(n: string, total: number): Promise<Rec> {
  return eventually(
    async () => {
      const inv = invoicesNumbered(n)[0];
      const s = await stateOf(n).catch(() => undefined);
      return inv?.Total === total && (!s || s.status === 'synced' || s.status === 'closed') ? inv : undefined;
    },
    20_000,
    `invoice ${n} with total ${total}`,
  );
}

describe('host events are idempotent and ordered', () => {
  test('a retried conversion and an old revision never undo a newer one; an identical revision does nothing', async () => {
    const order = sampleOrder();
    env.sim.sim.clearRequestLog();
    assert.equal((await api('POST', orders(), { order })).status, 202);
    await synced(order.number, 161);
    // Create first: a new invoice costs no look-up by number (Xero's refusal of a duplicate is the signal).
    assert.deepEqual(
      env.sim.sim.requestLog({ pathContains: '/Invoices' }).filter((e) => e.method === 'GET'),
      [],
    );
    assert.equal(
      (await api('PUT', orderPath(order.number), { order: withLines(order, 200), revision: 2 })).status,
      202,
    );
    assert.equal(
      (await api('PUT', orderPath(order.number), { order: withLines(order, 400), revision: 4 })).status,
      202,
    );
    await synced(order.number, 460);
    env.sim.sim.clearRequestLog();

    const retried = await api('POST', orders(), { order });
    assert.equal(retried.status, 200);
    assert.equal(retried.body.applied, false);
    assert.equal(retried.body.reason, 'stale');

    const late = await api('PUT', orderPath(order.number), { order: withLines(order, 200), revision: 2 });
    assert.deepEqual([late.status, late.body.applied, late.body.reason], [200, false, 'stale']);
    const again = await api('PUT', orderPath(order.number), { order: withLines(order, 400), revision: 4 });
    assert.deepEqual([again.status, again.body.applied, again.body.reason], [200, false, 'duplicate']);

    const s = await stateOf(order.number);
    assert.equal(s.revision, 3, 'conversion, revision 2, revision 4: nothing else applied');
    assert.deepEqual(s.version, { revision: 4 });
    assert.equal(invoicesNumbered(order.number)[0]!.Total, 460);
    assert.deepEqual(writes(), [], 'nothing written to Xero');
  });

  test('after the workflow completed: late and repeated events change nothing; a newer revision still applies', async () => {
    const order = sampleOrder();
    assert.equal((await api('POST', orders(), { order, revision: 1 })).status, 202);
    assert.equal(
      (await api('PUT', orderPath(order.number), { order: withLines(order, 100), revision: 3 })).status,
      202,
    );
    await synced(order.number, 115);
    const pay = { id: 'pay-1', amount: 115, date: '2026-03-05' };
    assert.equal((await api('POST', `${orderPath(order.number)}/payments`, pay)).status, 202);
    // Paid in full, then quiet: the workflow completes and leaves its state with the order.
    const handle = temporal.client.workflow.getHandle(orderWorkflowId(env.accountId, order.number));
    const done = await handle.result();
    assert.equal(done.status, 'closed');
    const firstRun = (await handle.describe()).runId;
    assert.equal(invoicesNumbered(order.number)[0]!.Status, 'PAID');
    env.sim.sim.clearRequestLog();

    const answers = [
      await api('PUT', orderPath(order.number), { order: withLines(order, 80), revision: 2 }),
      await api('PUT', orderPath(order.number), { order: withLines(order, 100), revision: 3 }),
      await api('POST', orders(), { order, revision: 1 }),
      await api('POST', `${orderPath(order.number)}/payments`, pay),
    ];
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.applied, a.body.reason]),
      [
        [200, false, 'stale'],
        [200, false, 'duplicate'],
        [200, false, 'stale'],
        [200, false, 'duplicate'],
      ],
    );
    // Each answer came from a new run that restored the stored state; it completes again quietly.
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 20_000);
    assert.deepEqual(writes(), [], 'no revert, no payment deleted and re-applied');
    const inv = invoicesNumbered(order.number)[0]!;
    assert.deepEqual([inv.Status, inv.Total, inv.LineItems.length], ['PAID', 115, 1]);

    // A newer revision after completion is applied: the payment comes off, the invoice changes, it goes back on.
    const newer = await api('PUT', orderPath(order.number), { order: withLines(order, 120), revision: 5 });
    assert.deepEqual([newer.status, newer.body.applied], [202, true]);
    const revised = await eventually(
      () => {
        const i = invoicesNumbered(order.number)[0]!;
        return i.Total === 138 && i.AmountDue === 23 ? i : undefined;
      },
      20_000,
      'revision 5 with the payment re-applied',
    );
    assert.equal(revised.Status, 'AUTHORISED');
    // Histories of update-driven runs (the first, and the last), replayed by test/order-replay.test.ts.
    await saveHistoryFixture(temporal.client, 'update-events-completed', handle.workflowId, firstRun);
    await saveHistoryFixture(temporal.client, 'update-events-restored', handle.workflowId);
  });

  test('events about an order never converted, and a removed payment sent again, are answered and change nothing', async () => {
    const unknown = await api('PUT', orderPath('NEVER-1'), { order: sampleOrder({ number: 'NEVER-1' }), revision: 1 });
    assert.deepEqual([unknown.status, unknown.body.error], [409, 'order_not_found']);

    const order = sampleOrder();
    assert.equal((await api('POST', orders(), { order })).status, 202);
    await synced(order.number, 161);
    const pay = { id: 'p-1', amount: 10, date: '2026-03-05' };
    assert.equal((await api('POST', `${orderPath(order.number)}/payments`, pay)).status, 202);
    await eventually(() => invoicesNumbered(order.number)[0]!.AmountDue === 151, 20_000, 'payment applied');
    assert.equal((await api('DELETE', `${orderPath(order.number)}/payments/p-1`)).status, 202);
    await eventually(() => invoicesNumbered(order.number)[0]!.AmountDue === 161, 20_000, 'payment removed');
    const revived = await api('POST', `${orderPath(order.number)}/payments`, pay);
    assert.deepEqual([revived.status, revived.body.applied, revived.body.reason], [200, false, 'removed']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(invoicesNumbered(order.number)[0]!.AmountDue, 161);
  });
});

describe('any document number Xero accepts', () => {
  const numbers = ['Cs3-1038,116', 'Q"7" A/B #5', 'Zoë–№5/ü'];
  for (const number of numbers) {
    test(`${number}: the create's answer lost (and Xero's key forgotten), the invoice found again, revised, cancelled`, async () => {
      const order = sampleOrder({ number } as Partial<OrderInput>);
      // Decoys a split or mis-escaped look-up would find instead.
      env.sim.sim.addFault({ method: 'PUT', path: '/Invoices', dropAfterCommit: true, times: 1 });
      const created = await api('POST', orders(), { order });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await synced(number, 161);
      assert.deepEqual(env.sim.sim.faults(), [], 'the answer was dropped');
      assert.equal(invoicesNumbered(number).length, 1, 'one invoice');

      assert.equal((await api('PUT', orderPath(number), { order: withLines(order, 50), revision: 2 })).status, 202);
      await synced(number, 57.5);
      assert.equal((await api('POST', `${orderPath(number)}/cancel`, {})).status, 202);
      await eventually(() => invoicesNumbered(number)[0]?.Status === 'VOIDED', 20_000, 'voided');
      const view = await api('GET', orderPath(number));
      assert.equal(view.body.orderNumber, number);
      assert.equal(view.body.invoice.invoiceNumber, number);
      const failures = await env.database.db
        .selectFrom('sync_log')
        .select('message')
        .where('host_ref', '=', number)
        .where('outcome', '=', 'failure')
        .execute();
      assert.deepEqual(failures, []);
    });
  }

  test('a cancel while the invoice is unknown to the order (create answered nothing, then a failure) voids it in Xero', async () => {
    // Retries 3 s apart: time enough to change Setup between the lost answer and the retry.
    const slow = await orderTestEnv(temporal, {
      sim: { idempotencyWindowMs: 1 },
      orders: { retryInitialMs: 3_000, retryMaxMs: 3_000 },
    });
    const slowApi = await startOrderApi(slow, temporal.client);
    try {
      const number = 'Cs3-2000,7';
      const order = sampleOrder({ number } as Partial<OrderInput>);
      const path = `/accounts/${slow.externalId}/orders`;
      const numbered = () =>
        slow.sim.sim.invoices(slow.tenantId).filter((i: Rec) => i.InvoiceNumber === number) as Rec[];
      const state = (): Promise<OrderSyncView> =>
        temporal.client.workflow.getHandle(orderWorkflowId(slow.accountId, number)).query(orderSyncStateQuery);
      // The create commits but its answer is lost; before the retry, Setup loses the revenue account,
      // so the retry fails for good: the workflow never learns of the invoice Xero has.
      slow.sim.sim.addFault({ method: 'PUT', path: '/Invoices', dropAfterCommit: true, times: 1 });
      assert.equal((await slowApi.api('POST', path, { order })).status, 202);
      await eventually(() => numbered().length === 1, 20_000, 'the invoice committed in Xero');
      await slow.setSettings({ ...TEST_SETTINGS, revenueAccountCode: undefined });
      const failed = await eventually(async () => (await state()).failure, 20_000, 'the create failed');
      assert.equal(failed.kind, 'missing_setup');
      assert.equal((await state()).invoice, undefined);

      assert.equal((await slowApi.api('POST', `${path}/${encodeURIComponent(number)}/cancel`, {})).status, 202);
      await eventually(() => numbered()[0]?.Status === 'VOIDED', 20_000, 'the unknown invoice voided');
      assert.equal(numbered().length, 1);
      await eventually(async () => ((await state()).cancelled ? true : undefined), 20_000, 'cancelled');
      await saveHistoryFixture(
        temporal.client,
        'update-cancel-unknown-invoice',
        orderWorkflowId(slow.accountId, number),
      );
    } finally {
      await slowApi.close();
      await slow.close();
    }
  });

  test("an invoice number held by someone else's invoice is a failure naming it, never an adoption", async () => {
    const order = sampleOrder();
    // Another contact's invoice already has the number (made in Xero by hand).
    const other = sampleOrder({ number: order.number });
    const otherEnvContact = env.sim.sim.contacts(env.tenantId)[0] as Rec;
    await env.xero.forAccount(env.accountId).createInvoice(
      {
        type: 'ACCREC' as never,
        invoiceNumber: other.number,
        contact: { contactID: otherEnvContact.ContactID },
        lineItems: [{ description: 'Theirs', quantity: 1, unitAmount: 5, accountCode: '200' }],
        date: '2026-03-01',
        dueDate: '2026-03-20',
        status: 'AUTHORISED' as never,
      },
      { idempotencyKey: `decoy-${order.number}` },
    );
    assert.equal((await api('POST', orders(), { order })).status, 202);
    const failed = await eventually(async () => (await stateOf(order.number)).failure, 20_000, 'failure');
    assert.equal(failed.kind, 'number_taken');
    assert.match(failed.message, new RegExp(`invoice number ${order.number} is already used in Xero`));
    assert.equal(invoicesNumbered(order.number).length, 1, 'nothing created beside it');
    assert.equal(invoicesNumbered(order.number)[0]!.LineItems[0].Description, 'Theirs', 'not adopted or changed');
  });
});
