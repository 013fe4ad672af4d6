import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenCipher } from '../src/security/token-cipher';
import { accountHooks } from '../src/process/account-hooks';
import { listOpenFailures } from '../src/sync-log/query';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { connectAccountForTest } from './support/xero-connect';

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

test('orders that failed for want of a connection sync by themselves once the admin reconnects', async () => {
  // The grant is revoked at Xero (the user removed the app): the next order cannot sync.
  assert.ok(env.sim.sim.revokeTokens({}) > 0);
  env.sim.sim.expireAccessTokens();
  const order = sampleOrder();
  await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });
  const failure = await eventually(
    async () => (await listOpenFailures(env.database.db, env.accountId)).find((f) => f.host_ref === order.number),
    30_000,
    'the failure',
  );
  assert.match(String((failure.error as { kind?: string }).kind), /not_connected|forbidden/);
  assert.equal(env.sim.sim.invoices(env.tenantId).length, 0);

  await connectAccountForTest({
    db: env.database.db,
    cipher: createTokenCipher(Buffer.from(env.cipherKeyHex, 'hex')),
    simUrl: env.sim.url,
    accountId: env.accountId,
  });
  const hooks = accountHooks({ db: env.database.db, temporal: temporal.client, taskQueue: env.taskQueue });
  await hooks.onConnected(env.accountId);

  const invoice = await eventually(
    () => env.sim.sim.invoices(env.tenantId).find((i) => i.InvoiceNumber === order.number),
    30_000,
    'the invoice after reconnecting',
  );
  assert.equal(invoice.Status, 'AUTHORISED');
  await eventually(
    async () => (await listOpenFailures(env.database.db, env.accountId)).length === 0,
    15_000,
    'the failure to leave the list',
  );
});
