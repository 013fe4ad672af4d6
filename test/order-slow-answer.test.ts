import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueHostEvent, enqueueHostEventOnce, factEventId } from '../src/host-webhooks/outbox';
import { orderSyncStateQuery, type OrderSyncView } from '../src/orders/messages';
import { createTestDatabase, databaseKinds } from './support/database';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * An activity attempt that outlives its timeout. Xero (the simulator) answers a write later than
 * the activity's start-to-close timeout: Temporal schedules the next attempt while the first still
 * waits, and the first one's write is the one Xero commits. The late attempts must not commit a
 * second time: one payment, one `payment.synced` (one `invoice.updated` for a revision), whose event
 * id is derived from the fact and so the same whichever attempt wrote it.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

/** Short enough for a test, long enough for a normal step on a busy machine. */
const TIMEOUT_MS = 3_000;
/** The slow answers come 1.5 s after their attempt timed out (the second attempt's too: its retry adopts the write). */
const LATE_MS = 4_500;

const stateOf = (workflowId: string): Promise<OrderSyncView> =>
  temporal.client.workflow.getHandle(workflowId).query(orderSyncStateQuery);

async function syncedOrder(env: OrderTestEnv) {
  const order = sampleOrder();
  const { workflowId } = await env.client.startOrderSync(env.accountId, {
    order,
    convertedAt: new Date().toISOString(),
  });
  const state = await eventually(
    async () => {
      const s = await stateOf(workflowId);
      return s.invoice && s.attachmentRevision === s.invoice.syncedRevision ? s : undefined;
    },
    30_000,
    'invoice and PDF synced',
  );
  return { order, workflowId, invoiceId: state.invoice!.id, revision: state.invoice!.syncedRevision };
}

/** The slow requests answered, and time for an attempt that got its answer to commit (or not). */
async function slowAnswersDone(env: OrderTestEnv, method: string, path: string, count = 2) {
  const slow = await eventually(
    () => {
      const entries = env.sim.sim
        .requestLog({ method, pathContains: path })
        .filter((e) => e.path.split('?')[0]!.endsWith(path) && e.fault);
      return entries.length === count ? entries : undefined;
    },
    30_000,
    `${count} slow ${method} ${path} answered`,
  );
  await new Promise((r) => setTimeout(r, 2_000));
  return slow;
}

/** The attempt number that completed the workflow's (only) `activityType` activity. */
async function completingAttempt(workflowId: string, activityType: string): Promise<number> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  assert.equal(scheduled.length, 1, `one ${activityType} scheduled`);
  const started = events.find(
    (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled[0]!.eventId),
  );
  return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
}

async function outboxRows(env: OrderTestEnv, workflowId: string, type: string) {
  return env.database.db
    .selectFrom('webhook_outbox')
    .selectAll()
    .where('ordering_key', '=', workflowId)
    .where('event_type', '=', type)
    .orderBy('id')
    .execute();
}

async function logEntries(env: OrderTestEnv, orderNumber: string, kind: string, action: string) {
  return env.database.db
    .selectFrom('sync_log')
    .select(['id', 'message'])
    .where('host_ref', '=', orderNumber)
    .where('kind', '=', kind)
    .where('action', '=', action)
    .where('outcome', '=', 'success')
    .execute();
}

describe('an attempt that outlives its timeout', () => {
  test('payment create answered after the timeout: one payment in Xero, one payment.synced with a stable id', async () => {
    const env = await orderTestEnv(temporal, { orders: { activityTimeoutMs: TIMEOUT_MS } });
    try {
      const { order, workflowId, invoiceId } = await syncedOrder(env);
      // xero-node creates a payment (a batch of one) with POST /Payments.
      env.sim.sim.addFault({ method: 'POST', path: '/Payments', latencyMs: LATE_MS, times: 1 });
      await env.client.addPayment(env.accountId, order.number, { id: 'pay-1', amount: 161, date: '2026-03-05' });

      // The retry runs in the same worker while the first write is still at Xero: it shares that
      // write's answer (the stored batch's send) instead of sending again (another worker would
      // resend it under the same key: test/payment-batching.test.ts).
      const slow = await slowAnswersDone(env, 'POST', '/Payments', 1);
      assert.equal(slow.filter((e) => !e.idempotentReplay).length, 1, "the first attempt's write committed in Xero");
      const state = await eventually(
        async () => {
          const s = await stateOf(workflowId);
          return s.payments.find((p) => p.id === 'pay-1')?.xeroPaymentId ? s : undefined;
        },
        20_000,
        'payment synced',
      );
      assert.ok((await completingAttempt(workflowId, 'createPayment')) > 1, 'Temporal retried the slow attempt');

      const payments = env.sim.sim
        .payments(env.tenantId)
        .filter((p: Rec) => p.Invoice?.InvoiceID === invoiceId && p.Status !== 'DELETED');
      assert.equal(payments.length, 1, 'one payment in Xero');
      assert.equal(state.payments[0]!.xeroPaymentId, payments[0]!.PaymentID);
      const sends = env.sim.sim
        .requestLog({ method: 'POST', pathContains: '/Payments' })
        .filter((e) => e.path.split('?')[0]!.endsWith('/Payments'));
      assert.equal(sends.length, 1, 'the retry shared the write in flight: one request');

      const rows = (await outboxRows(env, workflowId, 'payment.synced')).filter(
        (r) => (r.payload as Rec).data.paymentId === 'pay-1',
      );
      assert.equal(rows.length, 1, 'one payment.synced for the payment');
      const factKey = `${workflowId}|payment.synced|pay-1|gen:0`;
      assert.equal(rows[0]!.fact_key, factKey);
      assert.equal(rows[0]!.event_id, factEventId(env.hostAppId, factKey), 'the event id is the fact’s');
      assert.equal((rows[0]!.payload as Rec).id, rows[0]!.event_id);
      assert.equal((rows[0]!.payload as Rec).data.xeroPaymentId, payments[0]!.PaymentID);

      assert.equal((await logEntries(env, order.number, 'payment', 'create')).length, 1, 'the step logged once');
    } finally {
      await env.close();
    }
  });

  test('invoice revise answered after the timeout: one invoice.updated for the revision, with a stable id', async () => {
    const env = await orderTestEnv(temporal, { orders: { activityTimeoutMs: TIMEOUT_MS } });
    try {
      const { order, workflowId, invoiceId, revision: first } = await syncedOrder(env);
      // An update of the invoice itself (not its attachments): POST /Invoices/{id}.
      const path = `/Invoices/${invoiceId}`;
      env.sim.sim.addFault({ method: 'POST', path, latencyMs: LATE_MS, times: 2 });
      await env.client.reviseOrder(env.accountId, {
        order: { ...order, lines: [{ description: 'Call-out fee (revised)', quantity: 2, unitPrice: 95 }] },
      });

      const slow = await slowAnswersDone(env, 'POST', path);
      assert.equal(slow.filter((e) => !e.idempotentReplay).length, 1, "the first attempt's write committed in Xero");
      const state = await eventually(
        async () => {
          const s = await stateOf(workflowId);
          return s.invoice && s.invoice.syncedRevision !== first && s.attachmentRevision === s.invoice.syncedRevision
            ? s
            : undefined;
        },
        20_000,
        'revision synced',
      );
      const revision = state.invoice!.syncedRevision!;
      assert.ok((await completingAttempt(workflowId, 'reviseInvoice')) > 1, 'Temporal retried the slow attempt');

      const invoice = env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceID === invoiceId) as Rec;
      assert.equal(invoice.Total, 218.5, 'Xero has the revision (2 × 95 + 15% GST)');

      const rows = await outboxRows(env, workflowId, 'invoice.updated');
      assert.equal(rows.length, 1, 'one invoice.updated for the revision');
      const factKey = `${workflowId}|invoice.updated|rev:${revision}`;
      assert.equal(rows[0]!.fact_key, factKey);
      assert.equal(rows[0]!.event_id, factEventId(env.hostAppId, factKey), 'the event id is the fact’s');
      assert.equal((rows[0]!.payload as Rec).data.revision, revision);
      assert.equal((rows[0]!.payload as Rec).data.total, 218.5);

      assert.equal((await logEntries(env, order.number, 'invoice', 'update')).length, 1, 'the step logged once');
    } finally {
      await env.close();
    }
  });
});

for (const kind of databaseKinds()) {
  describe(`the outbox keyed by fact (${kind})`, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let hostAppId: string;
    before(async () => {
      database = await createTestDatabase(kind);
      hostAppId = (
        await database.db
          .insertInto('host_apps')
          .values({ name: 'Quotes Co' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    });
    after(async () => {
      await database?.close();
    });
    const event = () => ({
      hostAppId,
      accountId: null,
      hostAccountId: 'acct-1',
      type: 'payment.synced' as const,
      orderingKey: 'order:x:1',
      data: { paymentId: 'p' },
    });
    const fact = (factKey: string) => ({ ...event(), factKey });

    test('a fact enqueued twice is one row, one id; events without a fact stay separate', async () => {
      const first = await enqueueHostEventOnce(database.db, fact('fact-1'));
      const again = await database.db.transaction().execute((trx) => enqueueHostEventOnce(trx, fact('fact-1')));
      assert.equal(first.enqueued, true);
      assert.equal(again.enqueued, false);
      assert.equal(again.event.id, first.event.id);
      assert.equal(first.event.id, factEventId(hostAppId, 'fact-1'));
      assert.match(first.event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal((await enqueueHostEvent(database.db, fact('fact-1'))).id, first.event.id);
      await enqueueHostEvent(database.db, event());
      await enqueueHostEvent(database.db, event());
      const rows = await database.db.selectFrom('webhook_outbox').select(['event_id', 'fact_key']).execute();
      assert.equal(rows.filter((r) => r.fact_key === 'fact-1').length, 1);
      assert.equal(rows.filter((r) => r.fact_key === null).length, 2);
    });

    test(
      'two transactions committing the same fact at once: the second waits for the first, then adds nothing',
      { skip: kind === 'pglite' && 'PGlite has one connection: transactions never overlap' },
      async () => {
        let inserted!: () => void;
        const firstInserted = new Promise<void>((r) => (inserted = r));
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const first = database.db.transaction().execute(async (trx) => {
          const r = await enqueueHostEventOnce(trx, fact('fact-2'));
          inserted();
          await held;
          return r;
        });
        await firstInserted;
        const second = database.db.transaction().execute((trx) => enqueueHostEventOnce(trx, fact('fact-2')));
        await new Promise((r) => setTimeout(r, 200));
        release();
        const [a, b] = await Promise.all([first, second]);
        assert.equal(a.enqueued, true);
        assert.equal(b.enqueued, false);
        assert.equal(b.event.id, a.event.id);
        const rows = await database.db
          .selectFrom('webhook_outbox')
          .select('id')
          .where('fact_key', '=', 'fact-2')
          .execute();
        assert.equal(rows.length, 1);
      },
    );
  });
}
