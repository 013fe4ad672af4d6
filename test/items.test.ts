import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountingApi, Invoice } from 'xero-node';
import { testTemporal, type TestTemporal } from './support/temporal';
import { contactSyncWebEnv, type ContactSyncWebEnv } from './support/contact-sync';
import { hostItemSchema } from '../src/domain/item';
import { storeHostItems } from '../src/items/host-items';

/**
 * Host items through the API into the simulated Xero: stored, pushed by the on-demand item-push
 * workflow (the same activity the contact-sync schedule runs), linked by code, refusals kept per item.
 */

let temporal: TestTemporal;
let env: ContactSyncWebEnv;
let apiKey: string;
let tenantId: string;
let adminPage: () => Promise<string>;
const EXTERNAL = 'items-1';

before(async () => {
  temporal = await testTemporal();
  env = await contactSyncWebEnv(temporal);
  ({ apiKey } = await env.newHostApp());
  assert.equal((await env.api(apiKey, 'PUT', `/accounts/${EXTERNAL}`, { name: 'Items One' })).status, 201);
  const { browser, accountUrl } = await env.connect(apiKey, EXTERNAL);
  adminPage = async () => (await browser.get(accountUrl)).text;
  tenantId = env.sim.sim.organisations()[0]!.tenantId;
});
after(async () => {
  await env.close();
  await temporal.close();
});

const path = (suffix = '') => `/accounts/${EXTERNAL}/items${suffix}`;
const xeroItems = (code: string) =>
  env.sim.sim.items(tenantId).filter((i) => String(i.Code).toLowerCase() === code.toLowerCase());

async function settled(code: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await env.api(apiKey, 'GET', path(`/${encodeURIComponent(code)}`));
    if (r.status === 200 && r.body.item.status !== 'pending') return r.body.item;
    if (Date.now() > deadline) throw new Error(`item ${code} still pending: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

describe('items pushed from the host', () => {
  test('an item sent with PUT lands in Xero field by field; an identical PUT changes nothing', async () => {
    const item = {
      name: 'Boiler service',
      description: 'Annual boiler service',
      purchaseDescription: 'Boiler parts kit',
      sales: { unitPrice: 185.1234, accountCode: '200', taxType: 'OUTPUT2' },
      purchases: { unitPrice: 40.5, accountCode: '310', taxType: 'INPUT2' },
    };
    const put = await env.api(apiKey, 'PUT', path('/BOIL-SVC'), item);
    assert.equal(put.status, 202, JSON.stringify(put.body));
    assert.deepEqual(put.body, { code: 'BOIL-SVC', status: 'pending' });
    const state = await settled('BOIL-SVC');
    assert.equal(state.status, 'pushed', JSON.stringify(state));
    const [x] = xeroItems('BOIL-SVC');
    assert.ok(x);
    assert.equal(state.xeroItemId, x.ItemID);
    assert.deepEqual(
      [x.Code, x.Name, x.Description, x.PurchaseDescription, x.IsSold, x.IsPurchased],
      ['BOIL-SVC', 'Boiler service', 'Annual boiler service', 'Boiler parts kit', true, true],
    );
    assert.deepEqual(x.SalesDetails, { UnitPrice: 185.1234, AccountCode: '200', TaxType: 'OUTPUT2' });
    assert.deepEqual(x.PurchaseDetails, { UnitPrice: 40.5, AccountCode: '310', TaxType: 'INPUT2' });

    const again = await env.api(apiKey, 'PUT', path('/BOIL-SVC'), { code: 'BOIL-SVC', ...item });
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'unchanged');
  });

  test('a changed item updates the same Xero item (same ItemID, no second item)', async () => {
    const before = xeroItems('BOIL-SVC')[0]!;
    const put = await env.api(apiKey, 'PUT', path('/BOIL-SVC'), {
      name: 'Boiler service (annual)',
      sales: { unitPrice: 199, accountCode: '260', taxType: 'OUTPUT2' },
    });
    assert.equal(put.status, 202);
    // Pushed again only once the new version is in Xero.
    const deadline = Date.now() + 30_000;
    while (xeroItems('BOIL-SVC')[0]!.Name !== 'Boiler service (annual)') {
      if (Date.now() > deadline) throw new Error('the change never reached Xero');
      await new Promise((r) => setTimeout(r, 150));
    }
    const state = await settled('BOIL-SVC');
    assert.equal(state.status, 'pushed');
    const after = xeroItems('BOIL-SVC');
    assert.equal(after.length, 1);
    assert.equal(after[0]!.ItemID, before.ItemID);
    assert.deepEqual(after[0]!.SalesDetails, { UnitPrice: 199, AccountCode: '260', TaxType: 'OUTPUT2' });
    assert.equal(after[0]!.IsPurchased, false, 'purchase details the host dropped are dropped in Xero');
  });

  test('an item whose code Xero has in another case is linked to it, not duplicated', async () => {
    const seeded = xeroItems('DEV-HOUR')[0]!;
    const put = await env.api(apiKey, 'PUT', path('/dev-hour'), {
      name: 'Development hour',
      description: 'Development, per hour',
      sales: { unitPrice: 160, accountCode: '200' },
    });
    assert.equal(put.status, 202);
    const state = await settled('dev-hour');
    assert.equal(state.status, 'pushed');
    assert.equal(state.xeroItemId, seeded.ItemID);
    const all = xeroItems('dev-hour');
    assert.equal(all.length, 1);
    assert.equal((all[0]!.SalesDetails as { UnitPrice: number }).UnitPrice, 160);
  });

  test('in one bulk push, the item Xero refuses fails alone with its message; the others are pushed', async () => {
    const bulk = await env.api(apiKey, 'PUT', path(), {
      items: [
        { code: 'BULK-1', name: 'Bulk one', sales: { unitPrice: 1, accountCode: '200' } },
        { code: 'BULK-2', name: 'Bulk two', sales: { unitPrice: 2, accountCode: '999' } },
        { code: 'BULK-3', name: 'Bulk three', purchases: { unitPrice: 3, accountCode: '310', taxType: 'INPUT2' } },
        { code: 'BULK-4', name: 'N'.repeat(51) },
        { code: 'bulk-1', name: 'Same code again' },
      ],
    });
    assert.equal(bulk.status, 202, JSON.stringify(bulk.body));
    assert.deepEqual(
      bulk.body.accepted.map((a: { code: string }) => a.code),
      ['BULK-1', 'BULK-2', 'BULK-3'],
    );
    assert.deepEqual(bulk.body.refused, [
      { index: 3, code: 'BULK-4', fields: { name: 'at most 50 characters' } },
      {
        index: 4,
        code: 'bulk-1',
        fields: { code: 'appears more than once in this request (codes are compared without case)' },
      },
    ]);
    const [one, two, three] = [await settled('BULK-1'), await settled('BULK-2'), await settled('BULK-3')];
    assert.equal(one.status, 'pushed');
    assert.equal(three.status, 'pushed');
    assert.equal(two.status, 'failed');
    assert.deepEqual(two.errors, ["Account code '999' is not a valid code for this item."]);
    assert.equal(two.xeroItemId, null);
    assert.equal(xeroItems('BULK-2').length, 0);
    assert.equal(xeroItems('BULK-3')[0]!.IsSold, false);

    const list = await env.api(apiKey, 'GET', path('?status=failed'));
    assert.deepEqual(
      list.body.items.map((i: { code: string }) => i.code),
      ['BULK-2'],
    );
    assert.equal(list.body.counts.failed, 1);
    const events = await env.database.db
      .selectFrom('webhook_outbox')
      .select(['event_type', 'payload'])
      .where('event_type', 'in', ['item.synced', 'item.failed'])
      .execute();
    const failed = events.filter((e) => e.event_type === 'item.failed');
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.payload as { data: { code: string } }).data.code, 'BULK-2');
    assert.ok(events.filter((e) => e.event_type === 'item.synced').length >= 4);
  });

  test('bulk requests are limited to 500 items; bad input is answered in the API error shape', async () => {
    const items = Array.from({ length: 501 }, (_, i) => ({ code: `MANY-${i}`, name: `Many ${i}` }));
    const tooMany = await env.api(apiKey, 'PUT', path(), { items });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error, 'too_many_items');
    assert.equal(env.sim.sim.items(tenantId).filter((i) => String(i.Code).startsWith('MANY-')).length, 0);

    const mismatch = await env.api(apiKey, 'PUT', path('/ABC'), { code: 'XYZ', name: 'x' });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.body.fields, { code: 'must match the code in the URL (or be left out)' });
    const longCode = await env.api(apiKey, 'PUT', path(`/${'C'.repeat(31)}`), { name: 'x' });
    assert.equal(longCode.status, 400);
    const decimals = await env.api(apiKey, 'PUT', path('/DEC'), { name: 'x', sales: { unitPrice: 1.23456 } });
    assert.deepEqual(decimals.body.fields, { 'sales.unitPrice': 'at most 4 decimals' });
    assert.equal((await env.api(apiKey, 'GET', path('/NOPE'))).status, 404);
  });

  test('an invoice line naming a pushed item code gets the item’s account code in Xero', async () => {
    const tokens = env.sim.sim.issueTokens({ tenantIds: [tenantId] });
    const api = new AccountingApi(`${env.sim.url}/api.xro/2.0`);
    api.accessToken = tokens.access_token;
    const inv = (
      await api.createInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCREC,
              contact: { name: 'Ridgeway University' },
              date: '2025-03-01',
              dueDate: '2025-03-31',
              lineItems: [{ itemCode: 'boil-svc', quantity: 1 }],
            },
          ],
        },
        false,
      )
    ).body.invoices![0]!;
    const line = inv.lineItems![0]!;
    assert.deepEqual(
      [line.itemCode, line.accountCode, line.unitAmount, line.taxType],
      ['BOIL-SVC', '260', 199, 'OUTPUT2'],
    );
  });

  test('the scheduled contact-sync run pushes items left pending (no on-demand push asked)', async () => {
    const account = await env.database.db
      .selectFrom('accounts')
      .select('id')
      .where('external_id', '=', EXTERNAL)
      .executeTakeFirstOrThrow();
    await storeHostItems(env.database.db, account.id, [
      hostItemSchema.parse({ code: 'SCHED-1', name: 'Left pending', sales: { unitPrice: 7, accountCode: '200' } }),
    ]);
    assert.equal((await env.api(apiKey, 'POST', `/accounts/${EXTERNAL}/contact-sync`)).status, 202);
    const state = await settled('SCHED-1');
    assert.equal(state.status, 'pushed');
    assert.equal(xeroItems('SCHED-1').length, 1);
    const log = await env.database.db
      .selectFrom('sync_log')
      .select(['workflow_id'])
      .where('kind', '=', 'item')
      .where('host_ref', '=', 'SCHED-1')
      .executeTakeFirstOrThrow();
    assert.match(log.workflow_id!, /^contact-sync:/);
  });

  test('exactly once: an answer lost after Xero committed the batch is not a second item nor a failure', async () => {
    env.sim.sim.addFault({ method: 'PUT', path: '/Items', dropAfterCommit: true, times: 1 });
    const put = await env.api(apiKey, 'PUT', path('/LOST-1'), { name: 'Lost answer', sales: { unitPrice: 3 } });
    assert.equal(put.status, 202, JSON.stringify(put.body));
    const state = await settled('LOST-1');
    assert.equal(state.status, 'pushed', JSON.stringify(state));
    assert.deepEqual(env.sim.sim.faults(), [], 'the answer was lost once');
    assert.equal(xeroItems('LOST-1').length, 1);
    assert.equal(state.xeroItemId, xeroItems('LOST-1')[0]!.ItemID);
  });

  test("the account page's Products and services card counts items and shows Xero's words for a refused one", async () => {
    const put = await env.api(apiKey, 'PUT', path('/BAD-ACCT'), {
      name: 'Refused item',
      sales: { unitPrice: 1, accountCode: '999' },
    });
    assert.equal(put.status, 202);
    assert.equal((await settled('BAD-ACCT')).status, 'failed');
    const html = await adminPage();
    const card = /<section class="card" id="items">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.match(card, /Products and services/);
    assert.match(card, /<dd id="items-failed">[1-9]\d*<\/dd>/);
    assert.match(card, /<strong>BAD-ACCT<\/strong>: .*999/);
  });
});
