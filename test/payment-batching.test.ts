import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { paymentBatchJournal } from '../activities/orders/payment-batches';
import { createLogger } from '../src/log';
import { orderSyncStateQuery, type OrderSyncView } from '../src/orders/messages';
import { createTokenCipher } from '../src/security/token-cipher';
import { createXeroGateway } from '../src/xero/gateway';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { simulatorIdentity } from './support/xero-connect';
import { OVERPAY_MESSAGE } from '../src/xero-sim/payments';
import { XeroApiError } from '../src/xero/errors';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Payments of one organisation arriving together go to Xero as one `PUT /Payments` of up to 50
 * (summarizeErrors=false), each payment getting its own element's answer: fewer calls, and still
 * exactly once — a batch's lost answer or an attempt that outlives its timeout never duplicates a
 * payment, and one refused payment fails alone with Xero's words.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

const stateOf = (workflowId: string): Promise<OrderSyncView> =>
  temporal.client.workflow.getHandle(workflowId).query(orderSyncStateQuery);

/** The sample order's total: (95 + 4 × 12.50 less 10 %) + 15 % GST. */
const TOTAL = 161;
/** Less than the total: a second copy of the payment would be accepted, so a duplicate shows. */
const PART = 50;

/** `n` orders synced (invoice and PDF in Xero) with nothing paid yet. */
async function syncedOrders(env: OrderTestEnv, n: number) {
  const orders = await Promise.all(
    Array.from({ length: n }, async () => {
      const order = sampleOrder();
      const { workflowId } = await env.client.startOrderSync(env.accountId, {
        order,
        convertedAt: new Date().toISOString(),
      });
      return { order, workflowId };
    }),
  );
  return Promise.all(
    orders.map(async (o) => {
      const s = await eventually(
        async () => {
          const st = await stateOf(o.workflowId);
          return st.invoice && st.attachmentRevision === st.invoice.syncedRevision ? st : undefined;
        },
        60_000,
        `order ${o.order.number} synced`,
      );
      return { ...o, invoiceId: s.invoice!.id };
    }),
  );
}

/** Payment creations Xero received (a batch of one is a POST of one payment, a batch a PUT of many). */
function paymentWrites(env: OrderTestEnv) {
  return env.sim.sim
    .requestLog({ pathContains: '/Payments' })
    .filter((e) => (e.method === 'PUT' || e.method === 'POST') && e.path.split('?')[0]!.endsWith('/Payments'));
}

function livePaymentsOn(env: OrderTestEnv, invoiceId: string): Rec[] {
  return env.sim.sim
    .payments(env.tenantId)
    .filter((p: Rec) => p.Invoice?.InvoiceID === invoiceId && p.Status !== 'DELETED');
}

/**
 * Every order's payment recorded by its workflow and in Xero exactly once, on its own invoice (a
 * duplicate of a full payment would be refused as an overpayment, so partial amounts show duplicates).
 */
async function assertPaidOnce(
  env: OrderTestEnv,
  orders: Array<{ workflowId: string; invoiceId: string }>,
  amount: number,
) {
  for (const o of orders) {
    const s = await eventually(
      async () => {
        const st = await stateOf(o.workflowId);
        return st.payments[0]?.xeroPaymentId ? st : undefined;
      },
      40_000,
      `payment of ${o.workflowId} synced`,
    );
    const payments = livePaymentsOn(env, o.invoiceId);
    assert.equal(payments.length, 1, `one payment on ${o.invoiceId}`);
    assert.equal(payments[0]!.Amount, amount);
    assert.equal(s.payments[0]?.xeroPaymentId, payments[0]!.PaymentID, 'the workflow recorded its own payment');
  }
  const all = env.sim.sim.payments(env.tenantId).filter((p: Rec) => p.Status !== 'DELETED');
  assert.equal(all.length, orders.length, 'no payment anywhere else');
}

async function failuresOf(env: OrderTestEnv, orderNumber?: string) {
  let q = env.database.db.selectFrom('sync_log').select(['host_ref', 'message']).where('outcome', '=', 'failure');
  if (orderNumber) q = q.where('host_ref', '=', orderNumber);
  return q.execute();
}

describe('payment batching', () => {
  test('20 orders paid at once for one organisation: a few PUT /Payments, every payment once on its invoice', async (t) => {
    const env = await orderTestEnv(temporal);
    try {
      const orders = await syncedOrders(env, 20);
      env.sim.sim.clearRequestLog();
      await Promise.all(
        orders.map((o) =>
          env.client.addPayment(env.accountId, o.order.number, { id: 'pay-1', amount: PART, date: '2026-03-05' }),
        ),
      );
      await assertPaidOnce(env, orders, PART);
      const writes = paymentWrites(env);
      t.diagnostic(`payment requests for 20 payments: ${writes.map((w) => w.method).join(' ')}`);
      assert.ok(writes.length <= 8, `${writes.length} payment requests for 20 payments`);
      assert.ok(
        writes.some((w) => w.method === 'PUT' && /summarizeErrors=false/i.test(w.path)),
        'batches go as PUT /Payments?summarizeErrors=false',
      );
      assert.deepEqual(await failuresOf(env), []);
    } finally {
      await env.close();
    }
  });

  test('gateway: payments arriving together share one request; each caller gets its own payment or its own refusal', async () => {
    const env = await orderTestEnv(temporal, { sim: { recordResponses: true } });
    try {
      const orders = await syncedOrders(env, 4);
      env.sim.sim.clearRequestLog();
      const gw = env.xero.forAccount(env.accountId);
      const journal = paymentBatchJournal(env.database.db);
      const amounts = [10, 20, 500, 30];
      const settled = await Promise.allSettled(
        orders.map((o, i) =>
          gw.createPayment(
            { invoice: { invoiceID: o.invoiceId }, account: { code: '090' }, date: '2026-03-05', amount: amounts[i] },
            { idempotencyKey: `gateway-test-${o.order.number}`, journal },
          ),
        ),
      );
      const writes = paymentWrites(env);
      assert.equal(writes.length, 1, 'one request');
      assert.equal(writes[0]!.method, 'PUT');
      assert.match(writes[0]!.path, /summarizeErrors=false/i);
      assert.match(writes[0]!.idempotencyKey ?? '', /^batch-[0-9a-f]{64}$/, "the batch's key, from its elements' keys");
      settled.forEach((r, i) => {
        if (i === 2) {
          assert.equal(r.status, 'rejected');
          const err = (r as PromiseRejectedResult).reason;
          assert.ok(err instanceof XeroApiError && err.kind === 'validation', String(err));
          assert.equal(err.message, OVERPAY_MESSAGE);
          assert.deepEqual(livePaymentsOn(env, orders[i]!.invoiceId), []);
        } else {
          assert.equal(r.status, 'fulfilled', String((r as PromiseRejectedResult).reason));
          const p = (r as PromiseFulfilledResult<Rec>).value;
          const inXero = livePaymentsOn(env, orders[i]!.invoiceId);
          assert.equal(inXero.length, 1);
          assert.equal(p.paymentID, inXero[0]!.PaymentID, 'its own element, on its own invoice');
          assert.equal(inXero[0]!.Amount, amounts[i]);
        }
      });
    } finally {
      await env.close();
    }
  });

  test('one payment in a batch overpays: it fails alone with Xero’s message, the others are applied', async () => {
    const env = await orderTestEnv(temporal, { sim: { recordResponses: true } });
    try {
      const orders = await syncedOrders(env, 6);
      env.sim.sim.clearRequestLog();
      // The first write is slow, so the payments behind it gather into one batch whatever their spread.
      env.sim.sim.addFault({ method: '*', path: '/Payments', latencyMs: 800, times: 1 });
      const bad = orders[3]!;
      await Promise.all(
        orders.map((o) =>
          env.client.addPayment(env.accountId, o.order.number, {
            id: 'pay-1',
            amount: o === bad ? 500 : TOTAL,
            date: '2026-03-05',
          }),
        ),
      );
      const failed = await eventually(async () => (await stateOf(bad.workflowId)).failure, 30_000, 'the failure');
      assert.equal(failed.step, 'pay:pay-1', JSON.stringify(failed));
      assert.match(failed.message, new RegExp(OVERPAY_MESSAGE));
      const good = orders.filter((o) => o !== bad);
      await assertPaidOnce(env, good, TOTAL);
      assert.deepEqual(livePaymentsOn(env, bad.invoiceId), [], 'nothing applied for the refused payment');
      // The refusal came back inside a batch that also created payments.
      const mixed = env.sim.sim.recordedResponses().filter((r) => {
        const els = ((r.body as Rec)?.Payments ?? []) as Rec[];
        return (
          r.method === 'PUT' &&
          els.some((e) => e.StatusAttributeString === 'ERROR') &&
          els.some((e) => e.StatusAttributeString === 'OK')
        );
      });
      assert.equal(mixed.length, 1, 'the refused payment shared its request with others');
      const log = await eventually(
        async () => {
          const f = await failuresOf(env, bad.order.number);
          return f.length > 0 ? f : undefined;
        },
        10_000,
        'the failure logged',
      );
      assert.match(log[0]!.message ?? '', new RegExp(OVERPAY_MESSAGE));
      for (const o of good) assert.deepEqual(await failuresOf(env, o.order.number), []);
    } finally {
      await env.close();
    }
  });

  test('a batch’s answer lost after commit: retried, every payment once', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const orders = await syncedOrders(env, 8);
      env.sim.sim.clearRequestLog();
      // Slow first write so a batch forms behind it; batches are PUTs, so the drop hits a batch.
      env.sim.sim.addFault({ method: '*', path: '/Payments', latencyMs: 500, times: 1 });
      env.sim.sim.addFault({ method: 'PUT', path: '/Payments', dropAfterCommit: true, times: 1 });
      await Promise.all(
        orders.map((o) =>
          env.client.addPayment(env.accountId, o.order.number, { id: 'pay-1', amount: PART, date: '2026-03-05' }),
        ),
      );
      await assertPaidOnce(env, orders, PART);
      assert.deepEqual(env.sim.sim.faults(), [], 'the drop fired');
      assert.ok(
        paymentWrites(env).some((w) => w.method === 'PUT' && w.dropped),
        'a batch of payments lost its answer',
      );
      assert.deepEqual(await failuresOf(env), [], 'a lost answer is never a failure');
    } finally {
      await env.close();
    }
  });

  test('a batch still at Xero when its attempts time out: the new attempts share its answer (no second send), every payment once', async () => {
    const env = await orderTestEnv(temporal, { orders: { activityTimeoutMs: 3_000 } });
    try {
      const orders = await syncedOrders(env, 4);
      env.sim.sim.clearRequestLog();
      // The first write is slow, so the rest form a batch behind it; that batch is slower than the timeout.
      env.sim.sim.addFault({ method: '*', path: '/Payments', latencyMs: 500, times: 1 });
      env.sim.sim.addFault({ method: 'PUT', path: '/Payments', latencyMs: 4_500, times: 1 });
      await Promise.all(
        orders.map((o) =>
          env.client.addPayment(env.accountId, o.order.number, { id: 'pay-1', amount: PART, date: '2026-03-05' }),
        ),
      );
      // Past the slow batch's answer (quiet period + 0.5 s + 4.5 s), so a second copy would be there by now.
      await new Promise((r) => setTimeout(r, 8_000));
      await assertPaidOnce(env, orders, PART);
      assert.deepEqual(env.sim.sim.faults(), [], 'the slow batch happened');
      const batchSends = paymentWrites(env).filter((w) => w.method === 'PUT' && /^batch-/.test(w.idempotencyKey ?? ''));
      const slow = batchSends[0]!;
      // The new attempts ran in the same worker, whose send of that batch was still in flight: they
      // waited for its answer instead of sending it again (another worker resends it: the next test).
      assert.equal(
        batchSends.filter((w) => w.idempotencyKey === slow.idempotencyKey).length,
        1,
        `the slow batch went once: ${JSON.stringify(batchSends)}`,
      );
      assert.deepEqual(await failuresOf(env), []);
    } finally {
      await env.close();
    }
  });

  test('two workers, one payment: the second, while the first’s batch is still at Xero, resends that stored batch and gets the same payment', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const orders = await syncedOrders(env, 3);
      env.sim.sim.clearRequestLog();
      // Another worker process: its own gateway (own micro-batcher) on the same database and Xero.
      const other = createXeroGateway({
        access: createXeroAccessProvider({
          db: env.database.db,
          cipher: createTokenCipher(Buffer.from(env.cipherKeyHex, 'hex')),
          identity: simulatorIdentity(env.sim.url),
          log: createLogger('silent'),
        }),
        limiter: createRateLimiter({ db: env.database.db, limits: env.limits }),
        apiUrl: env.sim.url,
      }).forAccount(env.accountId);
      const journal = paymentBatchJournal(env.database.db);
      const body = (invoiceId: string) => ({
        invoice: { invoiceID: invoiceId },
        account: { code: '090' },
        date: '2026-03-05',
        amount: PART,
      });
      const keys = orders.map(() => `two-workers-${randomUUID()}`);
      env.sim.sim.addFault({ method: 'PUT', path: '/Payments', latencyMs: 2_500, times: 1 });
      // Worker A: three payments in one batch, slow at Xero.
      const first = Promise.all(
        orders.map((o, i) =>
          env.xero.forAccount(env.accountId).createPayment(body(o.invoiceId), { idempotencyKey: keys[i]!, journal }),
        ),
      );
      const stored = await eventually(() => journal.batchOf(env.accountId, keys[1]!), 2_000, 'the batch stored');
      assert.equal(stored.members.length, 3);
      await eventually(
        () => paymentWrites(env).length === 0 && env.sim.sim.faults().length === 0,
        2_000,
        'the batch at Xero',
      );
      // Worker B retries the second payment: once as the activity's retry does (the stored batch is
      // fresh: resend it), once by writing it again (its claim is lost to A's batch: resent too).
      const [viaRetry, viaWrite] = await Promise.all([
        other.resendPaymentBatch(stored, keys[1]!, journal),
        other.createPayment(body(orders[1]!.invoiceId), { idempotencyKey: keys[1]!, journal }),
      ]);
      const fromA = await first;
      assert.equal(viaRetry.paymentID, fromA[1]!.paymentID);
      assert.equal(viaWrite.paymentID, fromA[1]!.paymentID);
      for (const o of orders) assert.equal(livePaymentsOn(env, o.invoiceId).length, 1, `one payment on ${o.invoiceId}`);
      const sends = paymentWrites(env);
      assert.ok(
        sends.every((w) => w.idempotencyKey === stored.idempotencyKey),
        'every send under the batch key',
      );
      assert.equal(
        sends.filter((w) => !w.idempotentReplay).length,
        1,
        'Xero wrote once, answered the others from its record',
      );
    } finally {
      await env.close();
    }
  });
});
