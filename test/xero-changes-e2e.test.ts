import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createApiKey } from '../src/access/api-keys';
import { buildAdminAccess } from '../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import { documentWorkflowId, type DocumentKind } from '../src/documents/kinds';
import type { Order } from '../src/domain/order';
import { createLogger } from '../src/log';
import type { OrderSyncView } from '../src/orders/messages';
import { xeroChangesWorkflowId } from '../src/xero-changes/contract';
import { xeroChangesStatusQuery, type XeroChangesStatus } from '../src/xero-changes/shared';
import { signWebhook } from '../src/xero-sim/webhooks';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { createApp } from '../web/app';
import { listen, type RunningWebServer } from '../web/server';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Issue 13 end to end, only through the real path: an accountant acts in the simulated Xero (its
 * control API), the simulator sends its signed webhook to the engine's web app (`POST
 * /webhooks/xero`), the per-organisation workflow reads the change and hands it to the document's
 * workflow, which tells the host (webhook_outbox) and handles the host's next event per Setup.
 * Orders voided (fail / recreate / cancel), a bill edited (hold / host wins), a credit note voided,
 * an order paid in full in Xero, and a replayed delivery.
 */

type Rec = Record<string, any>;
const KEY = 'e2e-webhook-key-0123456789abcdefghijklmnopqrstuvwxyz+/==';
const SETTINGS = { ...TEST_SETTINGS, expenseAccountCode: '310', defaultPurchaseTaxType: 'INPUT2' };

let temporal: TestTemporal;
let env: OrderTestEnv;
let web: RunningWebServer;
let apiKey: string;
let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal, { settings: SETTINGS });
  const log = createLogger('silent');
  const access = buildAdminAccess({
    db: env.database.db,
    log,
    secrets: {
      tokenEncryptionKey: Buffer.from(env.cipherKeyHex, 'hex'),
      sessionSecret: randomBytes(32).toString('base64url'),
    },
    publicUrl: 'http://127.0.0.1:1',
    identity: {
      loginUrl: env.sim.url,
      identityUrl: env.sim.url,
      apiUrl: env.sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  web = await listen(
    createApp({
      db: env.database.db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: env.taskQueue,
      xeroWebhookKey: KEY,
      xeroChangesInput: { debounceMs: 300 },
    }),
    0,
    '127.0.0.1',
  );
  apiKey = (await createApiKey(env.database.db, env.hostAppId)).key;
  // The simulator sends its webhooks, signed with the key, to the engine's web app.
  const put = await sim('PUT', '/__sim/webhook', { url: `${web.url}/webhooks/xero`, key: KEY, batchMs: 100 });
  assert.ok(put.status < 300, JSON.stringify(put.body));
});
after(async () => {
  await web?.close();
  await env?.close();
  await temporal?.close();
});

// ---- doors: the engine's REST API, the simulator's control API (the accountant) ----

async function request(base: string, method: string, path: string, body?: unknown, headers: Rec = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Rec };
}
const api = (method: string, path: string, body?: unknown) =>
  request(`${web.url}/api/v1/accounts/${env.externalId}`, method, path, body, { authorization: `Bearer ${apiKey}` });
const sim = (method: string, path: string, body?: unknown) => request(env.sim.url, method, path, body);
/** The accountant, in Xero's web app. */
async function accountant(method: string, path: string, body?: unknown): Promise<Rec> {
  const r = await sim(method, `/__sim/organisations/${env.tenantId}${path}`, body);
  assert.equal(r.status, 200, `accountant ${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---- what the engine knows and told ----

const until = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000) =>
  eventually(check, ms, what);

const viewOf = (kind: DocumentKind, id: string) =>
  temporal.client.workflow
    .getHandle(documentWorkflowId(kind, env.accountId, id))
    .query<OrderSyncView>('orderSyncState')
    .catch(() => undefined);

async function outbox(type?: string): Promise<Rec[]> {
  let q = env.database.db
    .selectFrom('webhook_outbox')
    .select(['event_type', 'payload'])
    .where('account_id', '=', env.accountId);
  if (type) q = q.where('event_type', '=', type);
  return (await q.orderBy('id').execute()).map((r) => ({ type: r.event_type, ...(r.payload as Rec) }));
}
/** The host events about one document (orders by number, other kinds by kind and id). */
async function eventsOf(type: string, kind: DocumentKind, id: string): Promise<Rec[]> {
  return (await outbox(type)).filter((e) =>
    kind === 'order' ? e.data.orderNumber === id : e.data.kind === kind && e.data.documentId === id,
  );
}
async function outboxCount(): Promise<number> {
  const row = await env.database.db
    .selectFrom('webhook_outbox')
    .select(sql<string>`count(*)`.as('n'))
    .where('account_id', '=', env.accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const simInvoice = (id: string) => env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceID === id) as Rec;
const simCreditNote = (id: string) =>
  env.sim.sim.creditNotes(env.tenantId).find((c: Rec) => c.CreditNoteID === id) as Rec;
/** Writes the engine sent to Xero's accounting API for this organisation. */
const xeroWrites = () => env.sim.sim.requestLog({ tenantId: env.tenantId }).filter((e) => e.method !== 'GET');

const changesStatus = () =>
  temporal.client.workflow.getHandle(xeroChangesWorkflowId(env.taskQueue, env.tenantId)).query(xeroChangesStatusQuery);

/** The simulator's webhooks sent and the organisation's workflow idle (the engine's own writes raise webhooks too). */
async function settled(): Promise<XeroChangesStatus> {
  await env.sim.sim.flushWebhooks();
  let last = '';
  return until('the xero-changes workflow to settle', async () => {
    const s = await changesStatus();
    const now = JSON.stringify([s.received, s.batches, s.failedBatches]);
    const stable = now === last && s.pending === 0;
    last = now;
    await new Promise((r) => setTimeout(r, 300));
    return stable ? s : undefined;
  });
}

/** An order converted through the REST API and synced into Xero. */
async function syncedOrder(): Promise<{ order: Order; invoice: Rec }> {
  const order = sampleOrder({ attachPdf: false });
  const r = await api('POST', '/orders', { order, convertedAt: new Date().toISOString() });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const v = await until(`order ${order.number} synced`, async () => {
    const x = await viewOf('order', order.number);
    return x?.status === 'synced' && x.invoice ? x : undefined;
  });
  return { order, invoice: simInvoice(v.invoice!.id) };
}

const revised = (order: Order, unitPrice: number): Order => ({
  ...order,
  lines: [{ ...order.lines[0]!, quantity: 2, unitPrice }, ...order.lines.slice(1)],
});

describe('changes an accountant makes in Xero, through the simulator’s webhooks', () => {
  test('an order voided in Xero: told once, the view shows it, the revision fails "voided in Xero on …", a cancel writes nothing', async () => {
    await env.setSettings({ ...SETTINGS, voidedInXero: 'fail' });
    const { order, invoice } = await syncedOrder();
    await settled();

    const voided = await accountant('POST', `/invoices/${invoice.InvoiceID}/void`);
    assert.equal(voided.Status, 'VOIDED');
    const [told] = await until('document.voided_in_xero', async () => {
      const e = await eventsOf('document.voided_in_xero', 'order', order.number);
      return e.length > 0 ? e : undefined;
    });
    assert.equal(told!.data.status, 'VOIDED');
    assert.equal(told!.data.invoiceId, invoice.InvoiceID);
    assert.equal(told!.data.xeroNumber, order.number);
    assert.equal(told!.data.via, 'webhook');
    const at = String(told!.data.at).slice(0, 10);
    assert.match(at, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal((await eventsOf('document.changed_in_xero', 'order', order.number)).length, 0);

    const v = await until('the view shows the void', async () => {
      const x = await viewOf('order', order.number);
      return x?.xero?.closed ? x : undefined;
    });
    assert.equal(v.xero!.closed!.status, 'VOIDED');
    const got = await api('GET', `/orders/${order.number}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.sync.xero.closed.status, 'VOIDED');
    // The document shows Xero's status, not the engine's last write (issue 13: "still shows synced").
    assert.equal(v.invoice!.status, 'VOIDED');
    assert.equal(got.body.sync.invoice.status, 'VOIDED');

    // The host revises: a failure in plain words, and Xero is not touched.
    const writes = xeroWrites().length;
    const rev = await api('PUT', `/orders/${order.number}`, { order: revised(order, 120), revision: 2 });
    assert.equal(rev.status, 202, JSON.stringify(rev.body));
    const failed = await until('the revision fails', async () => {
      const x = await viewOf('order', order.number);
      return x?.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'voided_in_xero');
    assert.match(failed.failure!.message, new RegExp(`voided in Xero on ${at}`));
    assert.equal(simInvoice(invoice.InvoiceID).Status, 'VOIDED');
    assert.equal(simInvoice(invoice.InvoiceID).LineItems[0].UnitAmount, invoice.LineItems[0].UnitAmount);

    // Cancelled in the host: done, without any write to Xero.
    const cancel = await api('POST', `/orders/${order.number}/cancel`, {});
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    await until('cancelled', async () => {
      const x = await viewOf('order', order.number);
      if (x) return x.cancelled && x.status !== 'failed' ? x : undefined;
      // The workflow completed: the order's API says so.
      const g = await api('GET', `/orders/${order.number}`);
      return g.body.status === 'closed' ? g : undefined;
    });
    await settled();
    assert.deepEqual(
      xeroWrites()
        .slice(writes)
        .map((e) => `${e.method} ${e.path}`),
      [],
      'no Xero write for a revision or a cancel of a voided invoice',
    );
    assert.equal((await eventsOf('document.voided_in_xero', 'order', order.number)).length, 1, 'told once');
  });

  test('an order voided in Xero, Setup "recreate": the revision creates <number>-R1 with the revised lines', async () => {
    await env.setSettings({ ...SETTINGS, voidedInXero: 'recreate' });
    const { order, invoice } = await syncedOrder();
    await settled();
    await accountant('POST', `/invoices/${invoice.InvoiceID}/void`);
    await until('the view shows the void', async () => (await viewOf('order', order.number))?.xero?.closed);

    const rev = await api('PUT', `/orders/${order.number}`, { order: revised(order, 120), revision: 2 });
    assert.equal(rev.status, 202, JSON.stringify(rev.body));
    const v = await until('re-created', async () => {
      const x = await viewOf('order', order.number);
      return x?.status === 'synced' && x.invoice && x.invoice.id !== invoice.InvoiceID ? x : undefined;
    });
    const fresh = simInvoice(v.invoice!.id);
    assert.equal(fresh.InvoiceNumber, `${order.number}-R1`);
    assert.equal(fresh.Status, 'AUTHORISED');
    assert.deepEqual(
      fresh.LineItems.map((l: Rec) => [l.Description, l.Quantity, l.UnitAmount]),
      [
        ['Call-out fee', 2, 120],
        ['Copper pipe 15mm (m)', 4, 12.5],
      ],
    );
    assert.equal(simInvoice(invoice.InvoiceID).Status, 'VOIDED');
    assert.equal(
      env.sim.sim.invoices(env.tenantId).filter((i: Rec) => String(i.InvoiceNumber).startsWith(order.number)).length,
      2,
      'the voided one and its replacement',
    );
    const exported = (await eventsOf('invoice.exported', 'order', order.number)).filter((e) => e.data.replaces);
    assert.equal(exported.length, 1);
    assert.deepEqual(exported[0]!.data.replaces, { invoiceId: invoice.InvoiceID, invoiceNumber: order.number });
    assert.equal(exported[0]!.data.invoiceNumber ?? exported[0]!.data.xeroNumber, `${order.number}-R1`);
    // The new invoice's own webhook (the engine's write) is no change in Xero.
    await settled();
    assert.equal((await eventsOf('document.changed_in_xero', 'order', order.number)).length, 0);
    assert.equal((await eventsOf('document.voided_in_xero', 'order', order.number)).length, 1);
    const after = await viewOf('order', order.number);
    assert.equal(after?.xero?.closed, undefined);
  });

  test('a bill edited in Xero: document.changed_in_xero (kind bill, old → new), held, then the host wins', async () => {
    await env.setSettings({ ...SETTINGS, xeroChangeWins: 'hold' });
    const billId = uid('bill');
    const number = uid('B');
    const bill = (quantity: number) => ({
      number,
      date: '2026-03-02',
      dueDate: '2026-04-01',
      currency: 'NZD',
      supplier: { type: 'organisation', id: uid('sup'), name: uid('Supplier'), email: 'ap@supplier.example' },
      lines: [
        { description: 'Copper fittings', quantity, unitPrice: 50 },
        { description: 'Courier', quantity: 1, unitPrice: 20 },
      ],
    });
    const first = bill(2);
    const put = await api('PUT', `/bills/${billId}`, { bill: first });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    const v = await until('bill synced', async () => {
      const x = await viewOf('bill', billId);
      return x?.status === 'synced' && x.invoice ? x : undefined;
    });
    const xeroBill = simInvoice(v.invoice!.id);
    assert.equal(xeroBill.Type, 'ACCPAY');
    await settled();

    // The accountant changes the first line's unit amount (the other line kept by its id).
    const lines = (xeroBill.LineItems as Rec[]).map((l, i) =>
      i === 0 ? { lineItemId: l.LineItemID, unitAmount: 65 } : { lineItemId: l.LineItemID },
    );
    await accountant('PATCH', `/invoices/${xeroBill.InvoiceID}`, { lines });
    const [changed] = await until('document.changed_in_xero', async () => {
      const e = await eventsOf('document.changed_in_xero', 'bill', billId);
      return e.length > 0 ? e : undefined;
    });
    assert.equal(changed!.data.kind, 'bill');
    assert.equal(changed!.data.documentId, billId);
    assert.equal(changed!.data.xeroId, xeroBill.InvoiceID);
    assert.equal(changed!.data.via, 'webhook');
    assert.deepEqual(
      (changed!.data.changes as Rec[]).find((c) => c.field === 'lines[0].unitAmount'),
      { field: 'lines[0].unitAmount', old: 50, new: 65 },
      JSON.stringify(changed!.data.changes),
    );

    // The host revises the bill: held (Setup "hold"), Xero keeps the accountant's amount.
    const rev = await api('PUT', `/bills/${billId}`, { bill: bill(3), revision: 2 });
    assert.equal(rev.status, 202, JSON.stringify(rev.body));
    const held = await until('the revision held', async () => {
      const x = await viewOf('bill', billId);
      return x?.status === 'failed' ? x : undefined;
    });
    assert.equal(held.failure!.kind, 'changed_in_xero');
    assert.match(held.failure!.message, /bill was changed in Xero/);
    assert.equal(simInvoice(xeroBill.InvoiceID).LineItems[0].UnitAmount, 65);

    // Setup now lets the host's version win: the retry writes the host's lines over Xero's.
    await env.setSettings({ ...SETTINGS, xeroChangeWins: 'host' });
    const retry = await api('POST', `/bills/${billId}/retry`, {});
    assert.ok(retry.status < 300, JSON.stringify(retry.body));
    const written = await until("the host's lines in Xero", async () => {
      const b = simInvoice(xeroBill.InvoiceID);
      return b.LineItems[0].UnitAmount === 50 && b.LineItems[0].Quantity === 3 ? b : undefined;
    });
    assert.deepEqual(
      written.LineItems.map((l: Rec) => [l.Description, l.Quantity, l.UnitAmount]),
      [
        ['Copper fittings', 3, 50],
        ['Courier', 1, 20],
      ],
    );
    await until('synced', async () => ((await viewOf('bill', billId))?.status === 'synced' ? true : undefined));
    const updated = await until('document.updated says it overwrote', async () =>
      (await eventsOf('document.updated', 'bill', billId)).find((e) => e.data.overwroteXeroChange),
    );
    assert.equal(updated.data.overwroteXeroChange.resolution, 'overwritten');
    await settled();
    assert.equal((await eventsOf('document.changed_in_xero', 'bill', billId)).length, 1, 'told once');
  });

  test('a credit note voided in Xero: document.voided_in_xero with kind credit_note', async () => {
    const cnId = uid('cn');
    const creditNote = {
      number: uid('CN'),
      date: '2026-03-03',
      currency: 'NZD',
      contact: { type: 'organisation', id: uid('cust'), name: uid('Customer'), email: 'ap@customer.example' },
      lines: [{ description: 'Goodwill', quantity: 1, unitPrice: 20 }],
    };
    const put = await api('PUT', `/credit-notes/${cnId}`, { creditNote });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    const v = await until('credit note synced', async () => {
      const x = await viewOf('credit_note', cnId);
      if (x?.failure) throw new Error(JSON.stringify(x.failure));
      // Nothing left to do for a credit note applied to nothing: its workflow closes once it is in Xero.
      return (x?.status === 'synced' || x?.status === 'closed') && x.invoice ? x : undefined;
    });
    const cn = simCreditNote(v.invoice!.id);
    assert.equal(cn.Type, 'ACCRECCREDIT');
    await settled();

    await accountant('POST', `/credit-notes/${cn.CreditNoteID}/void`);
    const [told] = await until('document.voided_in_xero', async () => {
      const e = await eventsOf('document.voided_in_xero', 'credit_note', cnId);
      return e.length > 0 ? e : undefined;
    });
    assert.equal(told!.data.kind, 'credit_note');
    assert.equal(told!.data.documentId, cnId);
    assert.equal(told!.data.status, 'VOIDED');
    assert.equal(told!.data.creditNoteId, cn.CreditNoteID);
    assert.equal(told!.data.xeroNumber, cn.CreditNoteNumber);
    assert.equal(told!.data.via, 'webhook');
    assert.equal((await viewOf('credit_note', cnId))?.xero?.closed?.status, 'VOIDED');

    // The host revises it (its workflow had completed): a failure in words, nothing written to Xero.
    const writes = xeroWrites().length;
    const rev = await api('PUT', `/credit-notes/${cnId}`, {
      creditNote: { ...creditNote, lines: [{ description: 'Goodwill', quantity: 1, unitPrice: 30 }] },
      revision: 2,
    });
    assert.equal(rev.status, 202, JSON.stringify(rev.body));
    const failed = await until('the revision fails', async () => {
      const x = await viewOf('credit_note', cnId);
      return x?.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'voided_in_xero');
    assert.match(failed.failure!.message, /credit note was voided in Xero on \d{4}-\d{2}-\d{2}/);
    assert.equal(xeroWrites().length, writes);
    assert.equal(simCreditNote(cn.CreditNoteID).Status, 'VOIDED');
    assert.equal((await eventsOf('document.voided_in_xero', 'credit_note', cnId)).length, 1, 'told once');
  });

  test('paid in full in Xero: payment.received_in_xero, counted as paid, a host payment then fails naming it', async () => {
    await env.setSettings(SETTINGS);
    const { order, invoice } = await syncedOrder();
    await settled();
    const { payment } = await accountant('POST', `/invoices/${invoice.InvoiceID}/payments`, {
      date: '2026-03-05',
      reference: 'Bank feed',
    });
    assert.equal(payment.Amount, invoice.Total, 'the whole amount due');
    const [received] = await until('payment.received_in_xero', async () => {
      const e = await eventsOf('payment.received_in_xero', 'order', order.number);
      return e.length > 0 ? e : undefined;
    });
    assert.equal(received!.data.xeroPaymentId, payment.PaymentID);
    assert.equal(received!.data.amount, invoice.Total);
    assert.equal(received!.data.date, '2026-03-05');
    assert.equal(received!.data.accountCode, payment.Account.Code);
    assert.ok(received!.data.accountCode, 'the bank account');
    assert.equal(received!.data.reference, 'Bank feed');
    assert.equal(received!.data.invoiceId, invoice.InvoiceID);

    // Paid in full: the order closes and its workflow completes; what it ends with counts the Xero payment.
    const handle = temporal.client.workflow.getHandle(documentWorkflowId('order', env.accountId, order.number));
    const closed = await until('closed by the Xero payment', async () => {
      const x = await viewOf('order', order.number);
      return x?.status === 'closed' ? x : undefined;
    });
    assert.equal(closed.amountPaid, invoice.Total);
    assert.equal(closed.amountDue, 0);
    const ended = (await handle.result()) as OrderSyncView;
    assert.equal(ended.status, 'closed');
    assert.equal(ended.amountPaid, invoice.Total);
    assert.equal(ended.amountDue, 0);
    // The API answers from the completed run's final view, not "pending" with no sync.
    const afterwards = await api('GET', `/orders/${order.number}`);
    assert.equal(afterwards.status, 200);
    const got = afterwards.body as { status: string; sync: OrderSyncView | null };
    assert.equal(got.status, 'closed');
    assert.equal(got.sync?.amountDue, 0);

    // The host records its own payment of the same money: it fails, naming the Xero payment.
    const writes = xeroWrites().length;
    const pay = await api('POST', `/orders/${order.number}/payments`, {
      id: uid('pay'),
      amount: invoice.Total,
      date: '2026-03-06',
    });
    assert.equal(pay.status, 202, JSON.stringify(pay.body));
    const failed = await until('the host payment fails', async () => {
      const x = await viewOf('order', order.number);
      return x?.status === 'failed' ? x : undefined;
    });
    assert.equal(failed.failure!.kind, 'paid_in_xero');
    assert.match(failed.failure!.message, new RegExp(`Xero payment ${payment.PaymentID}`));
    assert.equal(failed.amountPaid, invoice.Total);
    assert.equal(failed.amountDue, 0);
    assert.deepEqual(
      failed.xero!.payments.map((p) => p.paymentId),
      [payment.PaymentID],
    );
    assert.equal(xeroWrites().length, writes, 'no payment written to Xero');
    assert.equal(
      env.sim.sim.payments(env.tenantId).filter((p: Rec) => p.Invoice?.InvoiceID === invoice.InvoiceID).length,
      1,
    );
    await settled();
    assert.equal((await eventsOf('payment.received_in_xero', 'order', order.number)).length, 1, 'told once');
  });

  test("a replay of the simulator's deliveries (same body, same signature) changes nothing", async () => {
    const before = await settled();
    const count = await outboxCount();
    const deliveries = env.sim.sim.webhookDeliveries().filter((d) => d.status === 200 && d.eventCount > 0);
    const last = deliveries.at(-1);
    assert.ok(last, 'a delivery to replay');
    // Also every delivery that carried an accountant's action (voids, edits, payments) in this file.
    const replays = [last, ...deliveries.slice(0, -1)];
    env.sim.sim.clearRequestLog();
    for (const d of replays) {
      const res = await fetch(`${web.url}/webhooks/xero`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-xero-signature': signWebhook(d.body, KEY) },
        body: d.body,
      });
      assert.equal(res.status, 200);
    }
    const afterReplay = await settled();
    assert.ok(afterReplay.duplicates > before.duplicates, 'recognised as replays');
    assert.equal(afterReplay.batches, before.batches, 'no batch for a replay');
    assert.deepEqual(
      env.sim.sim
        .requestLog({ tenantId: env.tenantId })
        .filter((e) => /\/(Invoices|CreditNotes|Payments)\b/.test(e.path))
        .map((e) => `${e.method} ${e.path}`),
      [],
      'nothing read from Xero again',
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await outboxCount(), count, 'no new host events');
  });
});
