import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFailures } from '../src/sync-log/failures';
import type { Order } from '../src/domain/order';
import { testTemporal, type TestTemporal } from './support/temporal';
import { startOrderApi } from './support/order-api';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';

/**
 * Links to Xero records that Xero no longer has (a contact deleted or merged away, an invoice gone,
 * the demo's simulator reset): a contact is found again or re-created, exactly once, and the order
 * goes through; a document that is gone fails in plain words with what to do.
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

type Rec = Record<string, any>;
const invoiceNumbered = (n: string) =>
  env.sim.sim.invoices(env.tenantId).find((i: Rec) => i.InvoiceNumber === n) as Rec | undefined;
const contactsNumbered = (n: string) =>
  env.sim.sim.contacts(env.tenantId).filter((c: Rec) => c.ContactNumber === n) as Rec[];

async function convertAndWait(order: Order): Promise<Rec> {
  await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
  return eventually(() => invoiceNumbered(order.number), 20_000, `invoice ${order.number}`);
}

const contactLink = (customerId: string) =>
  env.database.db
    .selectFrom('entity_links')
    .select(['xero_id', 'data'])
    .where('account_id', '=', env.accountId)
    .where('kind', '=', 'contact')
    .where('host_id', '=', customerId)
    .executeTakeFirst();

const failuresOf = (orderNumber: string) =>
  env.database.db
    .selectFrom('sync_log')
    .selectAll()
    .where('account_id', '=', env.accountId)
    .where('host_ref', '=', orderNumber)
    .where('outcome', '=', 'failure')
    .execute();

describe('stale links', () => {
  test('a linked contact Xero no longer has is created again, once, and the orders go through', async () => {
    const first = sampleOrder();
    const customer = first.customer;
    const inv1 = await convertAndWait(first);
    const oldId = inv1.Contact.ContactID as string;
    assert.equal((await contactLink(customer.id))?.xero_id, oldId);

    // Deleted in Xero (or merged away, or the simulator reset): the stored link is stale.
    assert.equal(env.sim.sim.deleteContact(env.tenantId, oldId), true);
    assert.equal(contactsNumbered(customer.id).length, 0);

    // Two new orders of the same customer at once: one contact is made for both.
    const second = sampleOrder({ customer });
    const third = sampleOrder({ customer });
    const [inv2, inv3] = await Promise.all([convertAndWait(second), convertAndWait(third)]);
    const contacts = contactsNumbered(customer.id);
    assert.equal(contacts.length, 1, 'exactly one contact for the customer');
    const newId = contacts[0]!.ContactID as string;
    assert.notEqual(newId, oldId);
    assert.equal(inv2.Contact.ContactID, newId);
    assert.equal(inv3.Contact.ContactID, newId);
    const link = await contactLink(customer.id);
    assert.equal(link?.xero_id, newId);
    assert.deepEqual((link?.data as Rec).replaced, [oldId]);
    assert.deepEqual(await failuresOf(second.number), []);
    assert.deepEqual(await failuresOf(third.number), []);
    const relinks = await env.database.db
      .selectFrom('sync_log')
      .select(['message'])
      .where('account_id', '=', env.accountId)
      .where('kind', '=', 'contact')
      .where('action', '=', 'relink')
      .execute();
    assert.equal(relinks.length, 1, 'one relink');
    assert.match(relinks[0]!.message ?? '', new RegExp(`${oldId} no longer exists in Xero: created contact`));

    // The first order's workflow still carries the old contact: its revision goes to the new one.
    const revised: Order = { ...first, lines: [{ ...first.lines[0]!, unitPrice: 105 }, first.lines[1]!] };
    await env.client.reviseOrder(env.accountId, { order: revised });
    const updated = await eventually(
      () => {
        const i = invoiceNumbered(first.number);
        return i && i.Total === 172.5 ? i : undefined;
      },
      20_000,
      'first order revised',
    );
    assert.equal(updated.InvoiceID, inv1.InvoiceID);
    assert.equal(updated.Contact.ContactID, newId);
    assert.deepEqual(await failuresOf(first.number), []);
    assert.equal(contactsNumbered(customer.id).length, 1);
  });

  test('a credit note for a customer whose contact Xero no longer has gets the contact found again', async () => {
    const order = sampleOrder();
    const inv = await convertAndWait(order);
    const oldId = inv.Contact.ContactID as string;
    assert.equal(env.sim.sim.deleteContact(env.tenantId, oldId), true);
    const api = await startOrderApi(env, temporal.client);
    try {
      const number = `CN-${order.number}`;
      const answer = await api.api('PUT', `/accounts/${env.externalId}/credit-notes/cn-${order.number}`, {
        creditNote: {
          number,
          date: '2026-03-03',
          currency: 'NZD',
          contact: order.customer,
          lines: [{ description: 'Refund', quantity: 1, unitPrice: 10 }],
        },
      });
      assert.ok(answer.status < 300, JSON.stringify(answer.body));
      const cn = await eventually(
        () => env.sim.sim.creditNotes(env.tenantId).find((c: Rec) => c.CreditNoteNumber === number) as Rec | undefined,
        20_000,
        'credit note',
      );
      const contacts = contactsNumbered(order.customer.id);
      assert.equal(contacts.length, 1);
      assert.equal(cn.Contact.ContactID, contacts[0]!.ContactID);
      assert.notEqual(cn.Contact.ContactID, oldId);
      const link = await contactLink(order.customer.id);
      assert.equal(link?.xero_id, cn.Contact.ContactID);
      assert.deepEqual((link?.data as Rec).replaced, [oldId], 'the stale link was replaced');
    } finally {
      await api.close();
    }
  });

  test('a revision of an order whose invoice Xero no longer has fails plainly, saying what to do', async () => {
    const order = sampleOrder();
    const inv = await convertAndWait(order);
    await eventually(() => env.sim.sim.attachments(env.tenantId, inv.InvoiceID).length > 0, 20_000, 'PDF attached');
    assert.equal(env.sim.sim.deleteInvoice(env.tenantId, inv.InvoiceID), true);

    await env.client.reviseOrder(env.accountId, { order: { ...order, customerReference: 'PO-3' } });
    const [failure] = await eventually(
      async () => {
        const rows = await failuresOf(order.number);
        return rows.length > 0 ? rows : undefined;
      },
      20_000,
      'revision failure',
    );
    const error = failure!.error as Rec;
    assert.equal(error.kind, 'not_found');
    assert.equal(error.step, 'revise');
    assert.deepEqual(error.document, { word: 'invoice', number: order.number, id: inv.InvoiceID });
    assert.equal(
      error.explanation.problem,
      `The invoice ${order.number} no longer exists in Xero (deleted there, or Xero was reset)`,
    );
    assert.match(error.explanation.action, /cancel the document in your app .* new number/);
    assert.deepEqual(error.explanations, [error.explanation]);

    const listed = (await openFailures(env.database.db, env.accountId)).find((f) => f.orderNumber === order.number);
    assert.ok(listed, 'listed among open failures');
    assert.equal(listed.problem, error.explanation.problem);
    assert.deepEqual(listed.explanations, [error.explanation]);

    const event = await env.database.db
      .selectFrom('webhook_outbox')
      .select(['payload'])
      .where('account_id', '=', env.accountId)
      .where('event_type', '=', 'sync.failed')
      .execute();
    const data = event.map((e) => (e.payload as Rec).data as Rec).find((d) => d.orderNumber === order.number);
    assert.ok(data, 'sync.failed sent to the host');
    assert.deepEqual(data.explanation, error.explanation);
    assert.deepEqual(data.explanations, [error.explanation]);
  });
});
