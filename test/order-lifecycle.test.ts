import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { renderOrderPdf } from '../src/pdf/order-pdf';
import { settingsSchema } from '../src/domain/settings';
import { SyncErrorKindKey, SyncStatusKey } from '../src/temporal/search-attributes';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { saveHistoryFixture } from './support/histories';
import { orderSyncStateQuery, orderWorkflowId, type OrderSyncView } from '../src/orders/messages';
import type { Accepted } from '../src/client';
import { paymentHostIdPrefix } from '../src/orders/link-ids';
import type { Order } from '../src/domain/order';

let temporal: TestTemporal;
let env: OrderTestEnv;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal, { orders: { continueAsNewAfterEvents: 100 } });
});
after(async () => {
  await env?.close();
  await temporal?.close();
});

type Inv = Record<string, any>;
const invoiceNumbered = (n: string) =>
  env.sim.sim.invoices(env.tenantId).filter((i: Inv) => i.InvoiceNumber === n) as Inv[];

describe('order lifecycle', () => {
  test('converted → contact, invoice field by field, PDF attached, host told; payment; paid in full closes', async () => {
    const order = sampleOrder();
    const { workflowId } = await env.client.startOrderSync(env.accountId, {
      order,
      convertedAt: new Date().toISOString(),
    });
    assert.equal(workflowId, `order:${env.accountId}:${order.number}`);

    const inv = await eventually(
      () => {
        const found = invoiceNumbered(order.number)[0];
        return found && env.sim.sim.attachments(env.tenantId, found.InvoiceID).length > 0 ? found : undefined;
      },
      30_000,
      'invoice with attachment',
    );
    assert.equal(inv.Type, 'ACCREC');
    assert.equal(inv.InvoiceNumber, order.number);
    assert.equal(inv.Reference, order.number);
    assert.equal(inv.Status, 'AUTHORISED');
    assert.equal(inv.CurrencyCode, 'NZD');
    assert.equal(inv.LineAmountTypes, 'Exclusive');
    assert.equal(inv.DateString?.slice(0, 10), '2026-03-02');
    assert.equal(inv.DueDateString?.slice(0, 10), '2026-04-01');
    assert.equal(inv.Contact.Name, order.customer.type === 'organisation' ? order.customer.name : '');
    const lines = inv.LineItems as Inv[];
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => ({
        d: l.Description,
        q: l.Quantity,
        u: l.UnitAmount,
        a: l.AccountCode,
        t: l.TaxType,
        i: l.ItemCode ?? null,
        disc: l.DiscountRate ?? null,
        tr: (l.Tracking ?? []).map((x: Inv) => `${x.Name}=${x.Option}`),
      })),
      [
        { d: 'Call-out fee', q: 1, u: 95, a: '200', t: 'OUTPUT2', i: null, disc: null, tr: ['Region=North'] },
        { d: 'Copper pipe 15mm (m)', q: 4, u: 12.5, a: '200', t: 'OUTPUT2', i: 'PIPE-15', disc: 10, tr: [] },
      ],
    );
    // 95 + 45 = 140 ex GST; 15% GST = 21.
    assert.equal(inv.SubTotal, 140);
    assert.equal(inv.TotalTax, 21);
    assert.equal(inv.Total, 161);

    const contacts = env.sim.sim.contacts(env.tenantId).filter((c: Inv) => c.ContactNumber === order.customer.id);
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0]!.ContactID, inv.Contact.ContactID);
    assert.equal(contacts[0]!.EmailAddress, 'ap@customer.example');

    const files = env.sim.sim.attachments(env.tenantId, inv.InvoiceID);
    assert.equal(files.length, 1);
    assert.equal(files[0]!.fileName, `Order-${order.number}.pdf`);
    assert.equal(files[0]!.mimeType, 'application/pdf');
    assert.ok(files[0]!.bytes.equals(await renderOrderPdf(order, settingsSchema.parse(TEST_SETTINGS))));

    const exported = await eventually(async () => {
      const rows = await env.database.db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('account_id', '=', env.accountId)
        .where('event_type', '=', 'invoice.exported')
        .execute();
      return rows.find((r) => (r.payload as Inv).data.orderNumber === order.number);
    });
    assert.deepEqual((exported.payload as Inv).data, {
      orderNumber: order.number,
      invoiceId: inv.InvoiceID,
      invoiceNumber: order.number,
      status: 'AUTHORISED',
      total: 161,
      // What the engine computed before writing, as Xero does (tax per line): the figures Xero shows.
      totals: { subTotal: 140, totalTax: 21, total: 161 },
      jobStatus: 'Invoiced',
      // Xero's deep link: the organisation's ShortCode and the invoice (read once per organisation).
      xeroUrl: `https://go.xero.com/organisationlogin/default.aspx?shortcode=${encodeURIComponent(env.sim.sim.organisations().find((o) => o.tenantId === env.tenantId)!.shortCode)}&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=${inv.InvoiceID}`,
    });

    await env.client.addPayment(env.accountId, order.number, {
      id: 'pay-1',
      amount: 100,
      date: '2026-03-05',
      reference: 'EFT 1',
    });
    await env.client.addPayment(env.accountId, order.number, { id: 'pay-2', amount: 61, date: '2026-03-06' });
    const paid = await eventually(
      () => {
        const i = invoiceNumbered(order.number)[0];
        return i?.Status === 'PAID' ? i : undefined;
      },
      20_000,
      'invoice paid',
    );
    assert.equal(paid.AmountDue, 0);
    const payments = env.sim.sim.payments(env.tenantId).filter((p: Inv) => p.Invoice?.InvoiceID === inv.InvoiceID);
    assert.deepEqual(
      payments.map((p: Inv) => [p.Amount, p.Account?.Code, p.Reference ?? '', p.Status]).sort(),
      [
        [100, '090', 'EFT 1', 'AUTHORISED'],
        [61, '090', '', 'AUTHORISED'],
      ].sort(),
    );

    // Paid in full and quiet: the workflow completes by itself.
    const handle = temporal.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    assert.equal(result.status, 'closed');
    await saveHistoryFixture(temporal.client, 'lifecycle-paid', workflowId);
    const log = await env.database.db
      .selectFrom('sync_log')
      .select(['kind', 'action', 'outcome'])
      .where('host_ref', '=', order.number)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      log.map((l) => `${l.kind}:${l.action}:${l.outcome}`),
      [
        'contact:create:success',
        'invoice:create:success',
        'attachment:upload:success',
        'payment:create:success',
        'payment:create:success',
      ],
    );

    // A later event starts the order again from its stored links: the removal reaches Xero.
    await env.client.removePayment(env.accountId, order.number, 'pay-2');
    await eventually(
      () => paymentsOn(inv.InvoiceID).some((p) => p.Amount === 61 && p.Status === 'DELETED'),
      20_000,
      'payment deleted after restart',
    );
    const after = invoiceNumbered(order.number)[0]!;
    assert.equal(after.Status, 'AUTHORISED');
    assert.equal(after.AmountDue, 61);
    assert.equal(invoiceNumbered(order.number).length, 1);
    assert.equal(
      await stateOf(workflowId).then((s) => s.payments.find((p) => p.id === 'pay-1')?.xeroPaymentId),
      paymentsOn(inv.InvoiceID).find((p) => p.Amount === 100)?.PaymentID,
    );
  });

  test('revision without payments: lines, totals and reference updated, the PDF replaced (still one attachment)', async () => {
    await env.setSettings({ ...TEST_SETTINGS, referenceFields: ['orderNumber', 'customerReference'] });
    try {
      const { order, workflowId, inv } = await convertAndWait();
      const revised: Order = {
        ...order,
        customerReference: 'PO-9999',
        lines: [
          { description: 'Labour (hours)', quantity: 3, unitPrice: 80, costCentre: 'N' },
          { description: 'Valve', quantity: 1, unitPrice: 20.5 },
        ],
      };
      await env.client.reviseOrder(env.accountId, { order: revised });
      const updated = await eventually(
        () => {
          const i = invoiceNumbered(order.number)[0];
          return i && i.Total === 299.58 ? i : undefined;
        },
        20_000,
        'invoice revised',
      );
      assert.equal(updated.InvoiceID, inv.InvoiceID);
      assert.equal(updated.Reference, `${order.number} / PO-9999`);
      assert.deepEqual(
        updated.LineItems.map((l: Inv) => [
          l.Description,
          l.Quantity,
          l.UnitAmount,
          (l.Tracking ?? []).map((t: Inv) => t.Option).join(),
        ]),
        [
          ['Labour (hours)', 3, 80, 'North'],
          ['Valve', 1, 20.5, ''],
        ],
      );
      assert.equal(updated.SubTotal, 260.5);
      assert.equal(updated.Status, 'AUTHORISED');
      const state = await eventually(
        async () => {
          const s = await stateOf(workflowId);
          return s.attachmentRevision === 2 ? s : undefined;
        },
        20_000,
        'PDF replaced',
      );
      assert.equal(state.invoice?.syncedRevision, 2);
      const files = env.sim.sim.attachments(env.tenantId, inv.InvoiceID);
      assert.equal(files.length, 1, 'the revision replaced the PDF instead of adding one');
      assert.ok(files[0]!.bytes.equals(await renderOrderPdf(revised, settingsSchema.parse(TEST_SETTINGS))));
      // The same revision sent twice (a retried request) changes nothing.
      await env.client.reviseOrder(env.accountId, { order: revised });
      assert.equal((await stateOf(workflowId)).revision, 2);
    } finally {
      await env.setSettings(TEST_SETTINGS);
    }
  });

  test('revision with a payment: the payment is removed, the invoice edited, the payment re-applied', async () => {
    const { order, workflowId, inv } = await convertAndWait();
    await env.client.addPayment(env.accountId, order.number, {
      id: 'dep',
      amount: 50,
      date: '2026-03-03',
      reference: 'Deposit',
    });
    const first = await eventually(
      () => paymentsOn(inv.InvoiceID).find((p) => p.Status === 'AUTHORISED'),
      20_000,
      'deposit applied',
    );
    const revised: Order = { ...order, lines: [{ description: 'Bigger job', quantity: 1, unitPrice: 300 }] };
    await env.client.reviseOrder(env.accountId, { order: revised });
    const updated = await eventually(
      () => {
        const i = invoiceNumbered(order.number)[0];
        return i &&
          i.Total === 345 &&
          paymentsOn(inv.InvoiceID).filter((p) => p.Status === 'AUTHORISED').length === 1 &&
          i.AmountPaid === 50
          ? i
          : undefined;
      },
      20_000,
      'invoice revised and deposit re-applied',
    );
    assert.equal(updated.AmountDue, 295);
    const payments = paymentsOn(inv.InvoiceID);
    assert.equal(payments.find((p) => p.PaymentID === first.PaymentID)?.Status, 'DELETED');
    const again = payments.find((p) => p.Status === 'AUTHORISED')!;
    assert.notEqual(again.PaymentID, first.PaymentID);
    assert.deepEqual([again.Amount, again.Reference, again.Account?.Code], [50, 'Deposit', '090']);
    // Xero shows the payment a moment before the activity's own record of it commits.
    const s = await eventually(
      async () => {
        const st = await stateOf(workflowId);
        return st.payments[0]?.xeroPaymentId === again.PaymentID ? st : undefined;
      },
      10_000,
      'the workflow to record the re-applied payment',
    );
    assert.equal(s.payments[0]?.xeroPaymentId, again.PaymentID);
    const log = await eventually(
      async () => {
        const rows = await env.database.db
          .selectFrom('sync_log')
          .select(['kind', 'action'])
          .where('host_ref', '=', order.number)
          .orderBy('id')
          .execute();
        return rows.length >= 8 ? rows : undefined;
      },
      10_000,
      'the sync log of the revision',
    );
    assert.deepEqual(
      log.slice(3).map((l) => `${l.kind}:${l.action}`),
      ['payment:create', 'payment:delete', 'invoice:update', 'attachment:upload', 'payment:create'],
    );
  });

  test('a revision that arrives before the invoice exists is merged into the creation', async () => {
    const order = sampleOrder();
    const revised: Order = { ...order, lines: [{ description: 'Revised before sync', quantity: 2, unitPrice: 10 }] };
    const answers = await sentWhileNoWorker(order.number, [
      () => env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() }),
      () => env.client.reviseOrder(env.accountId, { order: revised }),
    ]);
    assert.deepEqual(
      answers.map((a) => a.applied),
      [true, true],
    );
    const { workflowId } = answers[0]!;
    const state = await eventually(
      async () => {
        const s = await stateOf(workflowId);
        return s.attachmentRevision === 2 ? s : undefined;
      },
      20_000,
      'invoice and PDF',
    );
    assert.equal(state.invoice?.syncedRevision, 2);
    const inv = invoiceNumbered(order.number)[0]!;
    assert.deepEqual(
      inv.LineItems.map((l: Inv) => l.Description),
      ['Revised before sync'],
    );
    const writes = env.sim.sim
      .requestLog({ pathContains: '/Invoices' })
      .filter((e) => e.method !== 'GET' && !e.path.includes('Attachments'));
    assert.equal(writes.length, 1, 'one creation, no update');
  });

  test('payments added and removed; a payment removed before it synced never reaches Xero', async () => {
    const { order, workflowId, inv } = await convertAndWait();
    await env.client.addPayment(env.accountId, order.number, { id: 'a', amount: 10, date: '2026-03-04' });
    await env.client.addPayment(env.accountId, order.number, { id: 'b', amount: 20, date: '2026-03-04' });
    await eventually(
      () => paymentsOn(inv.InvoiceID).filter((p) => p.Status === 'AUTHORISED').length === 2,
      20_000,
      'two payments',
    );
    await env.client.removePayment(env.accountId, order.number, 'a');
    await eventually(
      () => paymentsOn(inv.InvoiceID).find((p) => p.Amount === 10)?.Status === 'DELETED',
      20_000,
      'payment a deleted',
    );
    assert.equal(invoiceNumbered(order.number)[0]!.AmountDue, 141);
    const s = await stateOf(workflowId);
    assert.deepEqual(
      s.payments.map((p) => [p.id, p.removed, !!p.xeroPaymentId]),
      [
        ['a', true, false],
        ['b', false, true],
      ],
    );
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from entity_links where kind = 'payment' and starts_with(host_id, ${paymentHostIdPrefix(order.number)})`.execute(
      env.database.db,
    );
    assert.equal(rows[0]!.n, 1);
  });

  test('cancel in each status: draft and submitted deleted, authorised voided, before the invoice nothing, paid refused until its payment is removed', async () => {
    const byStatus = async (status: 'DRAFT' | 'SUBMITTED') => {
      await env.setSettings({ ...TEST_SETTINGS, invoiceStatus: status });
      const r = await convertAndWait();
      await env.setSettings(TEST_SETTINGS);
      assert.equal(r.inv.Status, status);
      return r;
    };
    const draft = await byStatus('DRAFT');
    const submitted = await byStatus('SUBMITTED');
    const authorised = await convertAndWait();
    const paid = await convertAndWait();
    await env.client.addPayment(env.accountId, paid.order.number, { id: 'p', amount: 161, date: '2026-03-04' });
    await eventually(() => invoiceNumbered(paid.order.number)[0]?.Status === 'PAID', 20_000, 'paid');

    for (const r of [draft, submitted, authorised, paid]) await env.client.cancelOrder(env.accountId, r.order.number);
    const statusOf = (o: { order: Order }) => invoiceNumbered(o.order.number)[0]?.Status;
    await eventually(
      () => statusOf(draft) === 'DELETED' && statusOf(submitted) === 'DELETED' && statusOf(authorised) === 'VOIDED',
      20_000,
      'cancelled',
    );

    const failed = await eventually(
      async () => {
        const s = await stateOf(paid.workflowId);
        return s.failure ? s : undefined;
      },
      20_000,
      'paid cancel refused',
    );
    assert.equal(failed.failure?.kind, 'payments_allocated');
    assert.equal(statusOf(paid), 'PAID');
    const sa = (await temporal.client.workflow.getHandle(paid.workflowId).describe()).typedSearchAttributes;
    assert.equal(sa.get(SyncStatusKey), 'Failed');
    assert.equal(sa.get(SyncErrorKindKey), 'payments_allocated');
    await env.client.removePayment(env.accountId, paid.order.number, 'p');
    await eventually(() => statusOf(paid) === 'VOIDED', 20_000, 'voided after the payment was removed');

    // Cancelled before its invoice was created: nothing reaches Xero, and the workflow completes.
    const early = sampleOrder();
    const [{ workflowId }] = (await sentWhileNoWorker(early.number, [
      () => env.client.startOrderSync(env.accountId, { order: early, convertedAt: new Date().toISOString() }),
      () => env.client.cancelOrder(env.accountId, early.number),
    ])) as [Accepted, Accepted];
    const result = await temporal.client.workflow.getHandle(workflowId).result();
    assert.equal(result.cancelled, true);
    assert.equal(invoiceNumbered(early.number).length, 0);
    for (const r of [draft, submitted, authorised]) await temporal.client.workflow.getHandle(r.workflowId).result();
    await saveHistoryFixture(temporal.client, 'cancel-authorised', authorised.workflowId);
  });

  test("business failures wait: missing setup, then Xero's validation message; a retry or a fixing revision resumes", async () => {
    await env.setSettings({ ...TEST_SETTINGS, revenueAccountCode: undefined });
    const order = sampleOrder();
    const { workflowId } = await env.client.startOrderSync(env.accountId, {
      order,
      convertedAt: new Date().toISOString(),
    });
    const failed = await eventually(async () => (await stateOf(workflowId)).failure, 20_000, 'missing setup failure');
    assert.equal(failed.kind, 'missing_setup');
    assert.match(failed.message, /revenueAccountCode/);
    await eventually(
      async () =>
        (await temporal.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(SyncStatusKey) ===
        'Failed',
      10_000,
      'SyncStatus Failed',
    );
    // The search attribute is set before the failure is recorded: wait for the record.
    const logged = await eventually(async () => {
      const rows = await env.database.db
        .selectFrom('sync_log')
        .selectAll()
        .where('host_ref', '=', order.number)
        .where('outcome', '=', 'failure')
        .execute();
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(logged.length, 1);
    assert.equal((logged[0]!.error as Inv).kind, 'missing_setup');

    await env.setSettings(TEST_SETTINGS);
    await env.client.retryOrderSync(env.accountId, order.number);
    await eventually(() => invoiceNumbered(order.number)[0], 20_000, 'invoice after retry');
    await eventually(
      async () =>
        (await temporal.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(SyncStatusKey) ===
        'Synced',
      10_000,
      'SyncStatus Synced',
    );
    const events = await env.database.db
      .selectFrom('webhook_outbox')
      .select('event_type')
      .where('ordering_key', '=', workflowId)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['sync.failed', 'invoice.exported', 'sync.resolved'],
    );

    // A line with a tax rate Xero no longer has: Xero's own message is kept; a fixing revision resumes.
    const bad = sampleOrder({ lines: [{ description: 'Old tax', quantity: 1, unitPrice: 10, taxCode: 'TAX001' }] });
    const second = await env.client.startOrderSync(env.accountId, {
      order: bad,
      convertedAt: new Date().toISOString(),
    });
    const validation = await eventually(
      async () => (await stateOf(second.workflowId)).failure,
      20_000,
      'validation failure',
    );
    assert.equal(validation.kind, 'validation');
    assert.match(validation.message, /TAX001|tax/i);
    await env.client.reviseOrder(env.accountId, {
      order: { ...bad, lines: [{ description: 'Current tax', quantity: 1, unitPrice: 10 }] },
    });
    const created = await eventually(() => invoiceNumbered(bad.number)[0], 20_000, 'invoice after fixing revision');
    assert.equal(created.LineItems[0].TaxType, 'OUTPUT2');
    await saveHistoryFixture(temporal.client, 'failure-then-revision', second.workflowId);
  });

  test('history stays bounded: continueAsNew carries the state into a new run', async () => {
    const { order, workflowId, inv } = await convertAndWait();
    for (let i = 0; i < 12; i++)
      await env.client.addPayment(env.accountId, order.number, { id: `small-${i}`, amount: 1, date: '2026-03-04' });
    await eventually(
      () => paymentsOn(inv.InvoiceID).filter((p) => p.Status === 'AUTHORISED').length === 12,
      30_000,
      'twelve payments',
    );
    const runs = await eventually(
      async () => {
        const list = [];
        for await (const w of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) list.push(w);
        // Visibility is eventually consistent: the new run can be listed before the old one's close.
        return list.length >= 2 && list.some((r) => r.status.name === 'CONTINUED_AS_NEW') ? list : undefined;
      },
      20_000,
      'a second run',
    );
    assert.ok(runs.some((r) => r.status.name === 'CONTINUED_AS_NEW'));
    const s = await stateOf(workflowId);
    assert.equal(s.payments.filter((p) => p.xeroPaymentId).length, 12);
    assert.equal(s.invoice?.id, inv.InvoiceID);
    assert.equal(invoiceNumbered(order.number).length, 1);
  });
});

async function convertAndWait(patch: Partial<Order> = {}) {
  const order = sampleOrder(patch);
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
    `order ${order.number} synced`,
  );
  const inv = invoiceNumbered(order.number)[0]!;
  assert.equal(inv.InvoiceID, state.invoice!.id);
  return { order, workflowId, inv };
}

function stateOf(workflowId: string): Promise<OrderSyncView> {
  return temporal.client.workflow.getHandle(workflowId).query(orderSyncStateQuery);
}

/**
 * Events sent while no worker runs: each update waits in Temporal, in the order sent (the next is
 * sent once the server has the workflow), and all are answered when a worker is back.
 */
async function sentWhileNoWorker(orderNumber: string, sends: Array<() => Promise<Accepted>>): Promise<Accepted[]> {
  await env.stopWorker();
  env.sim.sim.clearRequestLog();
  const handle = temporal.client.workflow.getHandle(orderWorkflowId(env.accountId, orderNumber));
  const pending: Array<Promise<Accepted>> = [];
  for (const send of sends) {
    const before = pending.length;
    pending.push(send());
    // The server has this update once the workflow exists (the first) or its history grew (a later one).
    await eventually(
      async () => {
        try {
          const d = await handle.describe();
          return before === 0 || d.historyLength > 0 ? d : undefined;
        } catch {
          return undefined;
        }
      },
      10_000,
      'the event to reach Temporal',
    );
    await new Promise((r) => setTimeout(r, 200));
  }
  await env.startWorker();
  return Promise.all(pending);
}

function paymentsOn(invoiceId: string): Inv[] {
  return env.sim.sim.payments(env.tenantId).filter((p: Inv) => p.Invoice?.InvoiceID === invoiceId) as Inv[];
}
