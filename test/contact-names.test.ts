import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, orderTestEnv, sampleOrder } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';

/**
 * Xero keeps contact names unique ignoring case but compares `==` with case (xero-facts.md): a
 * customer whose name differs only in case from a Xero contact is linked to it, never refused as a
 * duplicate, whatever characters the name holds.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

describe('contact names', () => {
  test('a customer named "BOOM FM" is linked to Xero\'s "Boom FM"; names with quotes, apostrophes, ampersands and emoji in another case too', async () => {
    const env = await orderTestEnv(temporal);
    try {
      const contacts = () => env.sim.sim.contacts(env.tenantId) as Rec[];
      const boom = contacts().find((c) => c.Name === 'Boom FM')!;
      assert.ok(boom, 'the seed has Boom FM');
      const quoted = await env.xero
        .forAccount(env.accountId)
        .createContact({ name: 'Tui "Builders" & Sons 🙂' }, { idempotencyKey: 'seed-quoted' });
      const apostrophe = await env.xero
        .forAccount(env.accountId)
        .createContact({ name: "O'Brien's Plumbing & Gas" }, { idempotencyKey: 'seed-apostrophe' });
      const cases = [
        { name: 'BOOM FM', expected: boom.ContactID },
        { name: 'TUI "BUILDERS" & SONS 🙂', expected: quoted.contactID },
        { name: "o'brien's plumbing & gas", expected: apostrophe.contactID },
      ];
      for (const c of cases) {
        const order = sampleOrder({
          customer: { type: 'organisation', id: `c-${c.name.length}-${Date.now()}`, name: c.name },
        });
        const { workflowId } = await env.client.startOrderSync(env.accountId, {
          order,
          convertedAt: new Date().toISOString(),
        });
        const inv = await eventually(
          () => (env.sim.sim.invoices(env.tenantId) as Rec[]).find((i) => i.InvoiceNumber === order.number),
          30_000,
          `invoice for ${c.name}`,
        );
        assert.equal(inv.Contact.ContactID, c.expected, `${c.name} linked to the existing contact`);
        const state = (await temporal.client.workflow.getHandle(workflowId).query('orderSyncState')) as Rec;
        assert.equal(state.failure, undefined);
      }
      assert.equal(contacts().filter((c) => c.Name.toLowerCase() === 'boom fm').length, 1, 'no second Boom FM');
    } finally {
      await env.close();
    }
  });
});
