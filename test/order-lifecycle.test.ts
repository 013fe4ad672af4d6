import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOrderPdf } from '../src/pdf/order-pdf';
import { settingsSchema } from '../src/domain/settings';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';

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

type Inv = Record<string, any>;
const invoiceNumbered = (n: string) => env.sim.sim.invoices(env.tenantId).filter((i: Inv) => i.InvoiceNumber === n) as Inv[];

describe('order lifecycle', () => {
  test('converted → contact, invoice field by field, PDF attached, host told; payment; paid in full closes', async () => {
    const order = sampleOrder();
    const { workflowId } = await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
    assert.equal(workflowId, `order:${env.accountId}:${order.number}`);

    const inv = await eventually(() => {
      const found = invoiceNumbered(order.number)[0];
      return found && env.sim.sim.attachments(env.tenantId, found.InvoiceID).length > 0 ? found : undefined;
    }, 30_000, 'invoice with attachment');
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
      lines.map((l) => ({ d: l.Description, q: l.Quantity, u: l.UnitAmount, a: l.AccountCode, t: l.TaxType, i: l.ItemCode ?? null, disc: l.DiscountRate ?? null, tr: (l.Tracking ?? []).map((x: Inv) => `${x.Name}=${x.Option}`) })),
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
      const rows = await env.database.db.selectFrom('webhook_outbox').selectAll().where('account_id', '=', env.accountId).where('event_type', '=', 'invoice.exported').execute();
      return rows.find((r) => (r.payload as Inv).data.orderNumber === order.number);
    });
    assert.deepEqual((exported.payload as Inv).data, { orderNumber: order.number, invoiceId: inv.InvoiceID, invoiceNumber: order.number, status: 'AUTHORISED', total: 161, jobStatus: 'Invoiced' });

    await env.client.addPayment(env.accountId, order.number, { id: 'pay-1', amount: 100, date: '2026-03-05', reference: 'EFT 1' });
    await env.client.addPayment(env.accountId, order.number, { id: 'pay-2', amount: 61, date: '2026-03-06' });
    const paid = await eventually(() => {
      const i = invoiceNumbered(order.number)[0];
      return i?.Status === 'PAID' ? i : undefined;
    }, 20_000, 'invoice paid');
    assert.equal(paid.AmountDue, 0);
    const payments = env.sim.sim.payments(env.tenantId).filter((p: Inv) => p.Invoice?.InvoiceID === inv.InvoiceID);
    assert.deepEqual(payments.map((p: Inv) => [p.Amount, p.Account?.Code, p.Reference ?? '', p.Status]).sort(), [[100, '090', 'EFT 1', 'AUTHORISED'], [61, '090', '', 'AUTHORISED']].sort());

    // Paid in full and quiet: the workflow completes by itself.
    const handle = temporal.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    assert.equal(result.status, 'closed');
    const log = await env.database.db.selectFrom('sync_log').select(['kind', 'action', 'outcome']).where('host_ref', '=', order.number).orderBy('id').execute();
    assert.deepEqual(log.map((l) => `${l.kind}:${l.action}:${l.outcome}`), ['contact:create:success', 'invoice:create:success', 'attachment:upload:success', 'payment:create:success', 'payment:create:success']);
  });
});
