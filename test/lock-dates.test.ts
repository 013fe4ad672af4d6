import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * A document dated on or before Xero's lock date: held with a failure in plain words (default), or —
 * when Setup says so — dated on the first open day, the change stated in the sync log and the host event.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

describe('lock dates', () => {
  test('held by default; dated on the first open day when Setup says so, and said so', async () => {
    const env = await orderTestEnv(temporal);
    try {
      env.sim.sim.setLockDates(env.tenantId, { periodLockDate: '2026-03-31' });
      const invoiceOf = (n: string) => (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === n);

      const held = sampleOrder({ date: '2026-03-02' });
      const h = await env.client.startOrderSync(env.accountId, { order: held, convertedAt: new Date().toISOString() });
      const failure = await eventually(async () => {
        const s = (await temporal.client.workflow.getHandle(h.workflowId).query('orderSyncState')) as Rec;
        return s.failure;
      });
      assert.match(failure.message, /lock date/);
      assert.equal(invoiceOf(held.number), undefined, 'nothing written');

      await env.setSettings({ ...TEST_SETTINGS, lockedPeriod: 'first_open_day' });
      const moved = sampleOrder({ date: '2026-03-02', dueDate: '2026-03-20' });
      await env.client.startOrderSync(env.accountId, { order: moved, convertedAt: new Date().toISOString() });
      const inv = await eventually(() => invoiceOf(moved.number), 30_000, 'the re-dated invoice');
      assert.equal(inv.DateString.slice(0, 10), '2026-04-01');
      assert.equal(inv.DueDateString.slice(0, 10), '2026-04-01', 'never due before it is dated');
      const logged = await eventually(() =>
        env.database.db
          .selectFrom('sync_log')
          .select('message')
          .where('host_ref', '=', moved.number)
          .where('action', '=', 'create')
          .where('kind', '=', 'invoice')
          .executeTakeFirst(),
      );
      assert.match(logged.message ?? '', /dated 2026-04-01: 2026-03-02 is in a period Xero has locked/);
      const event = await eventually(async () => {
        const rows = await env.database.db
          .selectFrom('webhook_outbox')
          .select('payload')
          .where('event_type', '=', 'invoice.exported')
          .execute();
        return rows.map((r) => (r.payload as Rec).data).find((d) => d.orderNumber === moved.number);
      });
      assert.equal(event.date, '2026-04-01');
      assert.equal(event.dateMovedFrom, '2026-03-02');

      // The held one goes through on Retry now that Setup allows it.
      await env.client.retryOrderSync(env.accountId, held.number);
      const later = await eventually(() => invoiceOf(held.number), 30_000, 'the held invoice after Retry');
      assert.equal(later.DateString.slice(0, 10), '2026-04-01');
    } finally {
      await env.close();
    }
  });
});
