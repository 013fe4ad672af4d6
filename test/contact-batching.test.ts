import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Order customers as Xero contacts: known customers resolve from their stored links with no Xero
 * call; new ones are created first (no look-up) in shared `PUT /Contacts` requests of up to 50, and
 * a customer Xero already has (any case of its name) is adopted, never created twice.
 */

type Rec = Record<string, any>;
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

const contactRequests = () => env.sim.sim.requestLog({ pathContains: '/Contacts' });
const contactCreates = () =>
  contactRequests().filter((r) => r.method === 'PUT' && r.path.split('?')[0]!.endsWith('/Contacts'));

async function syncAll(orders: ReturnType<typeof sampleOrder>[]) {
  await Promise.all(
    orders.map((order) => env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() })),
  );
  const numbers = new Set(orders.map((o) => o.number));
  return eventually(
    () => {
      const found = env.sim.sim.invoices(env.tenantId).filter((i: Rec) => numbers.has(String(i.InvoiceNumber)));
      return found.length === orders.length ? found : undefined;
    },
    60_000,
    `${orders.length} invoices`,
  );
}

const N = 60;

test(`${N} new customers' orders at once: ceil(${N}/50) contact creates or a few more, no look-ups, one contact each; known customers then cost no contact call`, async (t) => {
  // One customer already in Xero under another case of its name: refused on create, adopted.
  env.sim.sim.clearRequestLog();
  const names = Array.from({ length: N }, (_, i) => `Batch Customer ${i} ${Date.now().toString(36)}`);
  const orders = names.map((name, i) =>
    sampleOrder({
      customer: {
        type: 'organisation',
        id: `batch-cust-${i}-${Date.now().toString(36)}`,
        name,
        email: 'ap@customer.example',
      },
    }),
  );
  const gw = env.xero.forAccount(env.accountId);
  const pre = await gw.createContact({ name: names[7]!.toUpperCase() }, { idempotencyKey: `pre-${names[7]}` });
  env.sim.sim.clearRequestLog();
  // The first create is slow, so the customers behind it gather into full batches however their
  // orders' workflows are spread (one batch per organisation is in flight at a time).
  // Well inside the activities' 10 s timeout, which a loaded machine (the whole suite) eats into.
  env.sim.sim.addFault({ method: 'PUT', path: '/Contacts', latencyMs: 5_000, times: 1 });

  const invoices = await syncAll(orders);
  const creates = contactCreates();
  t.diagnostic(
    `contact requests for ${N} new customers: ${creates.length} PUT /Contacts, ${contactRequests().length} in all: ${contactRequests()
      .map((r) => `${r.method} ${r.path}`)
      .join(', ')}`,
  );
  assert.ok(creates.length >= Math.ceil(N / 50), 'batches of at most 50');
  // The slow first one, then full batches (a spare one for workflows that start late on a busy machine).
  assert.ok(creates.length <= Math.ceil(N / 50) + 2, `${creates.length} contact creates for ${N} new customers`);
  // Look-ups only to adopt the refused one (by number, then by name; again if its attempt was retried).
  const reads = contactRequests().filter((r) => r.method === 'GET');
  const seven = [orders[7]!.customer.id, encodeURIComponent(names[7]!.toLowerCase()).replace(/%20/g, '+')];
  assert.ok(
    reads.every((r) => seven.some((x) => r.path.includes(x))),
    `look-ups only for the existing contact: ${JSON.stringify(reads.map((r) => r.path))}`,
  );

  // What every document needs once per organisation (its short code for links, reference lists for
  // the checks) is read once for the whole burst, not once per order.
  const otherReads = new Map<string, number>();
  for (const r of env.sim.sim.requestLog({})) {
    const p = r.path.split('?')[0]!;
    if (r.method === 'GET' && !p.includes('/Contacts')) otherReads.set(p, (otherReads.get(p) ?? 0) + 1);
  }
  t.diagnostic(`other reads: ${JSON.stringify([...otherReads])}`);
  assert.ok(otherReads.size > 0, 'the burst read the organisation and its lists');
  for (const [p, n] of otherReads) assert.equal(n, 1, `${p} read ${n} times for ${N} orders`);

  const contacts = env.sim.sim.contacts(env.tenantId) as Rec[];
  for (const [i, o] of orders.entries()) {
    const named = contacts.filter((c) => String(c.Name).toLowerCase() === names[i]!.toLowerCase());
    assert.equal(named.length, 1, `one contact for ${names[i]}`);
    const inv = invoices.find((x: Rec) => x.InvoiceNumber === o.number)! as Rec;
    assert.equal(inv.Contact.ContactID, named[0]!.ContactID, `order ${i} on its customer's contact`);
  }
  assert.equal(
    (invoices.find((x: Rec) => x.InvoiceNumber === orders[7]!.number)! as Rec).Contact.ContactID,
    pre.contactID,
    'the existing contact (other case) adopted',
  );

  // Known customers: new orders resolve from the stored links, no contact call at all.
  env.sim.sim.clearRequestLog();
  await syncAll(orders.slice(0, 10).map((o) => sampleOrder({ customer: o.customer })));
  assert.deepEqual(
    contactRequests().map((r) => `${r.method} ${r.path}`),
    [],
    'known customers cost no contact call',
  );
  const failures = await env.database.db
    .selectFrom('sync_log')
    .select(['host_ref', 'message'])
    .where('account_id', '=', env.accountId)
    .where('outcome', '=', 'failure')
    .execute();
  assert.deepEqual(failures, []);
});
