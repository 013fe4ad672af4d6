import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';

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

test('orders of one new customer arriving together: every invoice syncs, one contact, invoices batched, no failure', async () => {
  const customer = {
    type: 'organisation' as const,
    id: 'cust-race-1',
    name: 'Racing Pigeons Ltd',
    email: 'ap@pigeons.example',
  };
  const orders = Array.from({ length: 6 }, () => sampleOrder({ customer }));
  await Promise.all(
    orders.map((order) => env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() })),
  );

  const numbers = new Set(orders.map((o) => o.number));
  const invoices = await eventually(
    () => {
      const found = env.sim.sim.invoices(env.tenantId).filter((i) => numbers.has(String(i.InvoiceNumber)));
      return found.length === orders.length ? found : undefined;
    },
    60_000,
    'all six invoices',
  );
  const contacts = env.sim.sim.contacts(env.tenantId).filter((c) => c.Name === customer.name);
  assert.equal(contacts.length, 1, 'the customer was created more than once');
  const contactId = String(contacts[0]!.ContactID);
  for (const inv of invoices) assert.equal((inv.Contact as { ContactID: string }).ContactID, contactId);
  // Arriving together, their invoices were created in shared batch requests (XERO_BATCH_WINDOW_MS).
  const invoicePuts = env.sim.sim
    .requestLog({ method: 'PUT' })
    .filter((r) => r.path.split('?')[0] === '/api.xro/2.0/Invoices');
  assert.ok(
    invoicePuts.length >= 1 && invoicePuts.length < orders.length,
    `${invoicePuts.length} invoice PUTs for ${orders.length} orders: not batched`,
  );
  const failures = await env.database.db
    .selectFrom('sync_log')
    .select('message')
    .where('account_id', '=', env.accountId)
    .where('outcome', '=', 'failure')
    .execute();
  assert.deepEqual(failures, [], 'a race between orders showed up as a sync failure');
});
