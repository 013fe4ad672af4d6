import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { refreshReferenceData } from '../src/contact-sync/reference-data';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * The checks a bookkeeper would make before anything is written (issue: Xero's rules, exactly):
 * the host's total against the one Xero will compute (xero-facts: totals are Xero's, tax rounded
 * per line), and the codes a document uses against the organisation's reference data kept fresh —
 * each problem a failure in plain words, with no write request reaching Xero.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

/** Write requests to Xero's invoices (creates are PUT, updates POST; attachments left out). */
const invoiceWrites = (env: OrderTestEnv) =>
  ['PUT', 'POST']
    .flatMap((method) => env.sim.sim.requestLog({ tenantId: env.tenantId, method, pathContains: '/Invoices' }))
    .filter((r) => !r.path.includes('/Attachments')).length;

async function failureOf(workflowId: string): Promise<Rec> {
  return eventually(async () => {
    const s = (await temporal.client.workflow.getHandle(workflowId).query('orderSyncState')) as Rec;
    return s.failure;
  });
}

async function loggedFailure(env: OrderTestEnv, number: string): Promise<Rec> {
  return eventually(() =>
    env.database.db
      .selectFrom('sync_log')
      .select(['error', 'message'])
      .where('host_ref', '=', number)
      .where('outcome', '=', 'failure')
      .executeTakeFirst(),
  );
}

async function exportedEvent(env: OrderTestEnv, number: string): Promise<Rec> {
  return eventually(async () => {
    const rows = await env.database.db
      .selectFrom('webhook_outbox')
      .select('payload')
      .where('event_type', '=', 'invoice.exported')
      .execute();
    return rows.map((r) => (r.payload as Rec).data).find((d) => d.orderNumber === number);
  });
}

describe('totals Xero’s way', () => {
  test('a host total one cent off is held with both totals; with a rounding line chosen in Setup it is balanced on the rounding account', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const invoiceOf = (n: string) => (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === n);
      // 95 + 4 × 12.50 less 10% = 140.00; GST 15% per line: 14.25 + 6.75 = 21.00; total 161.00.
      const exact = sampleOrder({ total: 161, taxTotal: 21 });
      await env.client.startOrderSync(env.accountId, { order: exact, convertedAt: new Date().toISOString() });
      const inv = await eventually(() => invoiceOf(exact.number), 30_000, 'the matching invoice');
      assert.equal(inv.Total, 161);
      assert.equal(inv.LineItems.length, 2, 'no rounding line when the totals match');
      const exactEvent = await exportedEvent(env, exact.number);
      assert.deepEqual(exactEvent.totals, { subTotal: 140, totalTax: 21, total: 161, hostTotal: 161 });

      const writesBefore = invoiceWrites(env);
      const cent = sampleOrder({ total: 161.01 });
      const c = await env.client.startOrderSync(env.accountId, { order: cent, convertedAt: new Date().toISOString() });
      const failure = await failureOf(c.workflowId);
      assert.match(failure.message, /the host's total 161\.01 differs from the 161\.00 Xero will compute by 0\.01/);
      assert.equal(invoiceWrites(env), writesBefore, 'no write request reached Xero');
      const logged = await loggedFailure(env, cent.number);
      assert.match(JSON.stringify(logged.error), /Let Setup add a rounding line|Add a rounding line/i);

      // Beyond the tolerance a rounding line is not allowed either.
      await env.setSettings({
        ...TEST_SETTINGS,
        totalDifference: 'rounding_line',
        roundingAccountCode: '260',
        roundingTolerance: 0.05,
      });
      const far = sampleOrder({ total: 161.1 });
      const f = await env.client.startOrderSync(env.accountId, { order: far, convertedAt: new Date().toISOString() });
      assert.match((await failureOf(f.workflowId)).message, /more than the 0\.05 Setup allows/);
      assert.equal(invoiceWrites(env), writesBefore);

      // Retry the one-cent order now that Setup adds rounding lines.
      await env.client.retryOrderSync(env.accountId, cent.number);
      const rounded = await eventually(() => invoiceOf(cent.number), 30_000, 'the rounded invoice');
      assert.equal(rounded.Total, 161.01);
      assert.equal(rounded.TotalTax, 21);
      const last = rounded.LineItems.at(-1);
      assert.equal(last.Description, 'Rounding');
      assert.equal(last.UnitAmount, 0.01);
      assert.equal(last.AccountCode, '260');
      assert.equal(last.TaxType, 'NONE');
      assert.equal(last.TaxAmount, 0);
      const created = await eventually(() =>
        env.database.db
          .selectFrom('sync_log')
          .select('message')
          .where('host_ref', '=', cent.number)
          .where('kind', '=', 'invoice')
          .where('action', '=', 'create')
          .where('outcome', '=', 'success')
          .executeTakeFirst(),
      );
      assert.match(created.message ?? '', /rounding line \+0\.01 added so Xero's total meets the host's 161\.01/);
      const event = await exportedEvent(env, cent.number);
      assert.deepEqual(event.totals, {
        subTotal: 140.01,
        totalTax: 21,
        total: 161.01,
        hostTotal: 161.01,
        rounding: 0.01,
      });

      // A tax total Xero will not compute is held even with rounding lines allowed.
      const tax = sampleOrder({ total: 161, taxTotal: 20.99 });
      const t = await env.client.startOrderSync(env.accountId, { order: tax, convertedAt: new Date().toISOString() });
      assert.match((await failureOf(t.workflowId)).message, /tax total 20\.99 differs from the 21\.00/);
      assert.equal(invoiceOf(tax.number), undefined);
    } finally {
      await env.close();
    }
  });
});

describe('mappings still valid', () => {
  test('an account archived in Xero is caught before writing once Xero has said so; a tracking option archived is caught from the refreshed reference data', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const invoiceOf = (n: string) => (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === n);
      const first = sampleOrder();
      await env.client.startOrderSync(env.accountId, { order: first, convertedAt: new Date().toISOString() });
      await eventually(() => invoiceOf(first.number), 30_000, 'the first invoice');

      // The engine's copy still says 200 is active: Xero's refusal is what tells it otherwise.
      env.sim.sim.setStatus(env.tenantId, { accountCode: '200' }, 'ARCHIVED');
      const refused = sampleOrder();
      const r = await env.client.startOrderSync(env.accountId, {
        order: refused,
        convertedAt: new Date().toISOString(),
      });
      assert.match((await failureOf(r.workflowId)).message, /account code '200' has been archived/);

      const writesBefore = invoiceWrites(env);
      const caught = sampleOrder();
      const c = await env.client.startOrderSync(env.accountId, {
        order: caught,
        convertedAt: new Date().toISOString(),
      });
      assert.match((await failureOf(c.workflowId)).message, /Setup's revenue account code '200' is archived in Xero/);
      assert.equal(invoiceWrites(env), writesBefore, 'caught before any write');
      const logged = await loggedFailure(env, caught.number);
      assert.match(JSON.stringify(logged.error), /Revenue account 200 is archived in Xero/);
      assert.match(JSON.stringify(logged.error), /Choose another revenue account in Setup/);

      // Restored in Xero: the next schedule's refresh (here called directly) lets the retry through.
      env.sim.sim.setStatus(env.tenantId, { accountCode: '200' }, 'ACTIVE');
      await refreshReferenceData(env.database.db, { call: env.xero.call }, env.accountId, 'accounts');
      await env.client.retryOrderSync(env.accountId, caught.number);
      await eventually(() => invoiceOf(caught.number), 30_000, 'the retried invoice');

      // A tracking option archived in Xero, seen by the schedule's refresh: caught before writing, naming the line.
      env.sim.sim.setStatus(env.tenantId, { trackingCategory: 'Region', trackingOption: 'North' }, 'ARCHIVED');
      await refreshReferenceData(env.database.db, { call: env.xero.call }, env.accountId, 'tracking-categories');
      const writes = invoiceWrites(env);
      const tracked = sampleOrder();
      const t = await env.client.startOrderSync(env.accountId, {
        order: tracked,
        convertedAt: new Date().toISOString(),
      });
      assert.match(
        (await failureOf(t.workflowId)).message,
        /line 1: tracking option 'North' of category 'Region' \(cost centre 'N'\) is archived in Xero/,
      );
      assert.equal(invoiceWrites(env), writes, 'caught before any write');
    } finally {
      await env.close();
    }
  });
});
