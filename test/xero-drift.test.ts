import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Invoice } from 'xero-node';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import type { Order } from '../src/domain/order';
import type { OrderSyncView } from '../src/orders/messages';
import { copyOfInvoice } from '../src/xero-changes/written-copy';
import { saveHistoryFixture } from './support/histories';
import { orderWorkflowId } from '../src/orders/messages';
import type { DriftAction, XeroDocumentCopy } from '../src/xero-changes/contract';

/**
 * Issue 13, the document side, end to end (Temporal dev server, the database, the simulator): an
 * accountant changes a synced invoice in Xero (through the accounting API, as Xero's own UI would),
 * the intake's `xero_changed` reaches the order's workflow with a copy read from Xero, and the
 * drift, the host's events, the view and the host's next change follow Setup's choices.
 */

let temporal: TestTemporal;
let env: OrderTestEnv;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
});
after(async () => {
  await env?.close();
  await temporal?.close();
});

type Row = Record<string, any>;
const gw = () => env.xero.forAccount(env.accountId);

async function synced(order: Order = sampleOrder()): Promise<{ order: Order; invoiceId: string }> {
  await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
  const view = await eventually(
    async () => {
      const v = await env.client.orderSyncState(env.accountId, order.number);
      return v?.status === 'synced' && v.attachmentRevision === v.invoice?.syncedRevision ? v : undefined;
    },
    30_000,
    'order synced',
  );
  return { order, invoiceId: view.invoice!.id };
}

/** The intake's part, done by the test: read the document from Xero and hand the copy to its workflow. */
async function readCopy(invoiceId: string): Promise<XeroDocumentCopy> {
  const inv = await gw().invoice(invoiceId);
  assert.ok(inv, 'the invoice is in Xero');
  return copyOfInvoice(inv);
}
async function tellChanged(order: Order, copy: XeroDocumentCopy) {
  return env.client.sendXeroEvent('order', env.accountId, order.number, { type: 'xero_changed', copy, via: 'webhook' });
}
async function resolve(order: Order, action: DriftAction) {
  return env.client.sendXeroEvent('order', env.accountId, order.number, { type: 'xero_resolve', action });
}

/** An accountant's edit in Xero. */
async function editInXero(invoiceId: string, change: Partial<Invoice>): Promise<void> {
  await gw().updateInvoice(invoiceId, change as Invoice, { idempotencyKey: randomUUID() });
}

const view = (order: Order) => env.client.orderSyncState(env.accountId, order.number) as Promise<OrderSyncView>;
const until = <T>(what: string, check: () => Promise<T | undefined | false>) => eventually(check, 30_000, what);

async function events(order: Order, type: string): Promise<Row[]> {
  const rows = await env.database.db
    .selectFrom('webhook_outbox')
    .selectAll()
    .where('account_id', '=', env.accountId)
    .where('event_type', '=', type)
    .execute();
  return rows.map((r) => r.payload as Row).filter((p) => p.data.orderNumber === order.number);
}
async function drifts(order: Order) {
  return env.database.db
    .selectFrom('xero_drift')
    .selectAll()
    .where('account_id', '=', env.accountId)
    .where('document_ref', '=', order.number)
    .orderBy('detected_at')
    .execute();
}
async function xeroInvoice(id: string): Promise<Row> {
  return env.sim.sim.invoices(env.tenantId).find((i: Row) => i.InvoiceID === id) as Row;
}

const revisedOf = (order: Order, note: string): Order => ({
  ...order,
  jobDescription: note,
  lines: [{ ...order.lines[0]!, quantity: 2 }, ...order.lines.slice(1)],
});

describe('changes made in Xero, the document side', () => {
  test('hold (default): drift stored and told once, the next revision held in plain words, Send ours writes it', async () => {
    await env.setSettings({ ...TEST_SETTINGS, xeroChangeWins: 'hold' });
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { reference: 'Accountant ref', dueDate: '2026-05-01' });
    const copy = await readCopy(invoiceId);
    const answer = await tellChanged(order, copy);
    assert.equal(answer.applied, true);

    const [changed] = await until('document.changed_in_xero', async () => {
      const e = await events(order, 'document.changed_in_xero');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(changed!.data.orderNumber, order.number);
    assert.equal(changed!.data.invoiceId, invoiceId);
    assert.deepEqual(changed!.data.fields, ['dueDate', 'reference']);
    assert.deepEqual(changed!.data.changes[1], {
      field: 'reference',
      old: (await drifts(order)).length ? changed!.data.changes[1].old : undefined,
      new: 'Accountant ref',
    });
    assert.notEqual(changed!.data.changes[1].old, 'Accountant ref');
    const [drift] = await drifts(order);
    assert.equal(drift!.status, 'open');
    assert.equal(drift!.via, 'webhook');
    assert.equal(drift!.xero_id, invoiceId);
    assert.deepEqual(
      (drift!.changes as Row).fields.map((f: Row) => f.field),
      ['dueDate', 'reference'],
    );
    assert.equal((drift!.xero_copy as Row).reference, 'Accountant ref');
    const v = await until('view shows the drift', async () => {
      const x = await view(order);
      return x.xero?.driftOpen ? x : undefined;
    });
    assert.deepEqual(
      v.xero!.changes!.map((f) => f.field),
      ['dueDate', 'reference'],
    );

    // The same copy again (a replayed webhook, the reconciliation finding it too): nothing new.
    const again = await tellChanged(order, copy);
    assert.equal(again.applied, false);
    assert.equal(again.reason, 'duplicate');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await events(order, 'document.changed_in_xero')).length, 1);
    assert.equal((await drifts(order)).length, 1);

    // The host revises: held, in plain words, and Xero keeps the accountant's version.
    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'Held revision') });
    const failed = await until('revision held', async () => {
      const x = await view(order);
      return x.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'changed_in_xero');
    assert.match(failed.failure!.message, /was changed in Xero by someone else/);
    assert.match(failed.failure!.message, /reference .* → Accountant ref/);
    assert.match(failed.failure!.message, /Reconciliation page/);
    assert.match(failed.failure!.message, /Send our version again/);
    assert.equal((await xeroInvoice(invoiceId)).Reference, 'Accountant ref');

    // Send our version again: the host's newest version replaces Xero's, the drift is resolved.
    const sent = await resolve(order, 'send_ours');
    assert.equal(sent.applied, true);
    await until('our version in Xero', async () => {
      const inv = await xeroInvoice(invoiceId);
      return inv.Reference !== 'Accountant ref' && inv.LineItems[0].Quantity === 2 ? inv : undefined;
    });
    await until('drift resolved sent_ours', async () => {
      const [d] = await drifts(order);
      return d?.status === 'resolved' && d.resolution === 'sent_ours';
    });
    const after = await until('synced again', async () => {
      const x = await view(order);
      return x.status === 'synced' && !x.xero?.driftOpen ? x : undefined;
    });
    assert.equal(after.failure, undefined);
    const none = await resolve(order, 'ignore');
    assert.equal(none.applied, false);
    assert.equal(none.reason, 'no_drift');
    await saveHistoryFixture(
      temporal.client,
      'xero-drift-hold-send-ours',
      orderWorkflowId(env.accountId, order.number),
    );
  });

  test("host wins: the revision overwrites the accountant's change, and says so", async () => {
    await env.setSettings({ ...TEST_SETTINGS, xeroChangeWins: 'host' });
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { reference: 'Changed by accountant' });
    await tellChanged(order, await readCopy(invoiceId));
    await until('drift open', async () => (await drifts(order)).find((d) => d.status === 'open'));

    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'Host wins') });
    await until('overwritten in Xero', async () => {
      const inv = await xeroInvoice(invoiceId);
      return inv.Reference !== 'Changed by accountant' && inv.LineItems[0].Quantity === 2 ? inv : undefined;
    });
    const [d] = await until('drift resolved overwritten', async () => {
      const rows = await drifts(order);
      return rows[0]?.status === 'resolved' ? rows : undefined;
    });
    assert.equal(d!.resolution, 'overwritten');
    const updated = await until('invoice.updated says it overwrote', async () =>
      (await events(order, 'invoice.updated')).find((e) => e.data.overwroteXeroChange),
    );
    assert.equal(updated.data.overwroteXeroChange.resolution, 'overwritten');
    assert.deepEqual(
      updated.data.overwroteXeroChange.changes.map((c: Row) => c.field),
      ['reference'],
    );
    const log = await env.database.db
      .selectFrom('sync_log')
      .select('message')
      .where('account_id', '=', env.accountId)
      .where('host_ref', '=', order.number)
      .where('action', '=', 'update')
      .execute();
    assert.ok(log.some((l) => /overwrote a change an accountant made in Xero/.test(l.message ?? '')));
    await until('synced', async () => ((await view(order)).status === 'synced' ? true : undefined));
  });

  test('voided in Xero, Setup "fail": told once, the revision fails saying so, a cancel needs no Xero write', async () => {
    await env.setSettings({ ...TEST_SETTINGS, voidedInXero: 'fail' });
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { status: Invoice.StatusEnum.VOIDED });
    await tellChanged(order, await readCopy(invoiceId));
    const [voided] = await until('document.voided_in_xero', async () => {
      const e = await events(order, 'document.voided_in_xero');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(voided!.data.status, 'VOIDED');
    assert.equal(voided!.data.invoiceId, invoiceId);
    assert.equal((await events(order, 'document.changed_in_xero')).length, 0, 'the void is told as a void');
    const v = await until('view: closed in Xero', async () => {
      const x = await view(order);
      return x.xero?.closed ? x : undefined;
    });
    assert.equal(v.xero!.closed!.status, 'VOIDED');

    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'After void') });
    const failed = await until('revision fails', async () => {
      const x = await view(order);
      return x.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'voided_in_xero');
    assert.match(failed.failure!.message, /was voided in Xero on \d{4}-\d{2}-\d{2}/);
    assert.match(failed.failure!.message, /cancel it in your app/);

    const calls = env.sim.sim.requestLog({ tenantId: env.tenantId, method: 'POST' }).length;
    await env.client.cancelOrder(env.accountId, order.number);
    await until('cancelled', async () => ((await view(order)).cancelled ? true : undefined));
    assert.equal(
      env.sim.sim.requestLog({ tenantId: env.tenantId, method: 'POST' }).length,
      calls,
      'no Xero write for a cancel of a voided invoice',
    );
  });

  test('voided in Xero, Setup "recreate": the revision creates the invoice again under <number>-R1', async () => {
    await env.setSettings({ ...TEST_SETTINGS, voidedInXero: 'recreate' });
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { status: Invoice.StatusEnum.VOIDED });
    await tellChanged(order, await readCopy(invoiceId));
    await until('closed in Xero', async () => ((await view(order)).xero?.closed ? true : undefined));

    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'Recreated') });
    const v = await until('re-created', async () => {
      const x = await view(order);
      return x.status === 'synced' && x.invoice && x.invoice.id !== invoiceId ? x : undefined;
    });
    assert.equal(v.invoice!.number, `${order.number}-R1`);
    const fresh = await xeroInvoice(v.invoice!.id);
    assert.equal(fresh.Status, 'AUTHORISED');
    assert.equal(fresh.LineItems[0].Quantity, 2);
    assert.equal((await xeroInvoice(invoiceId)).Status, 'VOIDED');
    const exported = (await events(order, 'invoice.exported')).find((e) => e.data.replaces);
    assert.ok(exported, 'invoice.exported names the invoice it replaces');
    assert.deepEqual(exported.data.replaces, { invoiceId, invoiceNumber: order.number });
    assert.equal((await drifts(order))[0]!.resolution, 'overwritten');
    assert.equal(v.xero?.closed, undefined);
    await saveHistoryFixture(temporal.client, 'xero-drift-recreate', orderWorkflowId(env.accountId, order.number));
  });

  test('paid in full in Xero: the order closes, its workflow completes, and a restarted run still knows', async () => {
    await env.setSettings(TEST_SETTINGS);
    const { order, invoiceId } = await synced();
    await gw().createPayment(
      { invoice: { invoiceID: invoiceId }, account: { code: '090' }, date: '2026-03-05', amount: 161 },
      { idempotencyKey: randomUUID() },
    );
    const copy = await readCopy(invoiceId);
    assert.equal(copy.status, 'PAID');
    await tellChanged(order, copy);
    const closed = await until('closed by the Xero payment', async () => {
      const x = await view(order);
      return x.status === 'closed' ? x : undefined;
    });
    assert.equal(closed.amountDue, 0);
    assert.equal((await events(order, 'document.changed_in_xero')).length, 0, 'PAID is no field change');
    const handle = temporal.client.workflow.getHandle(orderWorkflowId(env.accountId, order.number));
    await until('workflow completed', async () =>
      (await handle.describe()).status.name === 'COMPLETED' ? true : undefined,
    );

    // A new run (the host's revision restarts it) starts from the link and the open drift.
    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'After completion') });
    const failed = await until('revision refused in words', async () => {
      const x = await view(order);
      return x.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'paid_in_xero');
    assert.equal(failed.amountPaid, 161);
    assert.equal(failed.xero?.driftOpen, true);
  });

  test('a payment made in Xero: told, counted as paid, and a host payment that would overpay fails naming it', async () => {
    await env.setSettings(TEST_SETTINGS);
    const { order, invoiceId } = await synced();
    const xp = await gw().createPayment(
      { invoice: { invoiceID: invoiceId }, account: { code: '090' }, date: '2026-03-05', amount: 100 },
      { idempotencyKey: randomUUID() },
    );
    await tellChanged(order, await readCopy(invoiceId));
    const [received] = await until('payment.received_in_xero', async () => {
      const e = await events(order, 'payment.received_in_xero');
      return e.length > 0 ? e : undefined;
    });
    assert.equal(received!.data.xeroPaymentId, xp.paymentID);
    assert.equal(received!.data.amount, 100);
    assert.equal(received!.data.date, '2026-03-05');
    const v = await until('view counts it', async () => {
      const x = await view(order);
      return x.amountPaid === 100 ? x : undefined;
    });
    assert.equal(v.amountDue, 61);
    assert.equal(v.xero!.payments[0]!.paymentId, xp.paymentID);

    await env.client.addPayment(env.accountId, order.number, { id: 'pay-1', amount: 161, date: '2026-03-06' });
    const failed = await until('overpay fails', async () => {
      const x = await view(order);
      return x.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'paid_in_xero');
    assert.match(failed.failure!.message, new RegExp(`Xero payment ${xp.paymentID}`));
    assert.match(failed.failure!.message, /only 61\.00 is due/);

    // A revision: Xero refuses edits while the accountant's payment is on it, so it fails first, in words.
    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'After Xero payment') });
    const held = await until('revision fails', async () => {
      const x = await view(order);
      return x.failure?.step === 'revise' ? x : undefined;
    });
    assert.equal(held.failure!.kind, 'paid_in_xero');
    assert.match(held.failure!.message, /Xero refuses to edit an invoice with a payment on it/);
  });

  test("Accept Xero's: the held revision is not written, Xero's copy is the baseline, the next revision is", async () => {
    await env.setSettings(TEST_SETTINGS);
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { reference: 'Keep me' });
    const copy = await readCopy(invoiceId);
    await tellChanged(order, copy);
    await until('drift open', async () => (await drifts(order)).find((d) => d.status === 'open'));
    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'Held'), revision: 2 });
    await until('held', async () => ((await view(order)).status === 'failed' ? true : undefined));

    const accepted = await resolve(order, 'accept_xero');
    assert.equal(accepted.applied, true);
    await until('resolved accepted_xero', async () => {
      const [d] = await drifts(order);
      return d?.resolution === 'accepted_xero';
    });
    await until('synced', async () => ((await view(order)).status === 'synced' ? true : undefined));
    assert.equal((await xeroInvoice(invoiceId)).Reference, 'Keep me');
    const link = await env.database.db
      .selectFrom('entity_links')
      .select('data')
      .where('account_id', '=', env.accountId)
      .where('kind', '=', 'invoice')
      .where('host_id', '=', order.number)
      .executeTakeFirstOrThrow();
    assert.equal((link.data as Row).written.reference, 'Keep me');
    // The same copy again is no drift now.
    await tellChanged(order, { ...copy, updatedDateUtc: new Date(Date.parse(copy.updatedDateUtc) + 1).toISOString() });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await drifts(order)).filter((d) => d.status === 'open').length, 0);

    await env.client.reviseOrder(env.accountId, { order: revisedOf(order, 'Next'), revision: 3 });
    await until('next revision written', async () => {
      const inv = await xeroInvoice(invoiceId);
      return inv.Reference !== 'Keep me' ? inv : undefined;
    });
  });

  test('Ignore: resolved ignored, applied once', async () => {
    await env.setSettings(TEST_SETTINGS);
    const { order, invoiceId } = await synced();
    await editInXero(invoiceId, { dueDate: '2026-06-30' });
    await tellChanged(order, await readCopy(invoiceId));
    await until('drift open', async () => (await drifts(order)).find((d) => d.status === 'open'));
    const ignored = await resolve(order, 'ignore');
    assert.equal(ignored.applied, true);
    await until('resolved ignored', async () => {
      const [d] = await drifts(order);
      return d?.resolution === 'ignored';
    });
    const again = await resolve(order, 'ignore');
    assert.equal(again.applied, false);
    assert.equal(again.reason, 'no_drift');
    assert.equal((await view(order)).xero?.driftOpen ?? false, false);
  });
});
