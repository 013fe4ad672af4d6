import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Invoice } from 'xero-node';
import { eventually, orderTestEnv, sampleOrder } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Xero's smallest plans cap approvals a month (xero-facts.md, Organisation): the simulator refuses
 * the approval past the cap (drafts are not capped), and the engine's failure says so in plain words.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

describe('plan limits', () => {
  test('on the starter plan the 21st approved invoice of the month is refused and explained; drafts still go', async () => {
    const env = await orderTestEnv(temporal);
    try {
      env.sim.sim.setPlan(env.tenantId, 'STARTER');
      const gw = env.xero.forAccount(env.accountId);
      const contact = (env.sim.sim.contacts(env.tenantId) as Rec[])[0]!;
      const approved = (n: number) =>
        gw.createInvoice(
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { contactID: contact.ContactID },
            invoiceNumber: `CAP-${Date.now()}-${n}`,
            date: '2026-03-02',
            dueDate: '2026-04-01',
            status: Invoice.StatusEnum.AUTHORISED,
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200' }],
          },
          { idempotencyKey: `cap-${n}-${Date.now()}` },
        );
      for (let n = 1; n <= 20; n++) await approved(n);
      await assert.rejects(approved(21), /limit of invoices you can approve/);
      const org = await gw.organisation();
      assert.equal(String(org?._class), 'STARTER');

      const order = sampleOrder();
      const { workflowId } = await env.client.startOrderSync(env.accountId, {
        order,
        convertedAt: new Date().toISOString(),
      });
      await eventually(
        async () => ((await temporal.client.workflow.getHandle(workflowId).query('orderSyncState')) as Rec).failure,
      );
      const logged = await eventually(() =>
        env.database.db
          .selectFrom('sync_log')
          .select('error')
          .where('host_ref', '=', order.number)
          .where('outcome', '=', 'failure')
          .executeTakeFirst(),
      );
      assert.match(JSON.stringify(logged.error), /monthly limit of approved invoices or bills is used up/);

      // A draft is not capped.
      const draft = await gw.createInvoice(
        {
          type: Invoice.TypeEnum.ACCREC,
          contact: { contactID: contact.ContactID },
          date: '2026-03-02',
          status: Invoice.StatusEnum.DRAFT,
          lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200' }],
        },
        { idempotencyKey: `cap-draft-${Date.now()}` },
      );
      assert.equal(String(draft.status), 'DRAFT');
    } finally {
      await env.close();
    }
  });
});
