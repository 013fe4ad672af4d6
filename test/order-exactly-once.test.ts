import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { orderSyncStateQuery, type OrderSyncView } from '../src/orders/messages';
import { SyncStatusKey } from '../src/temporal/search-attributes';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';

/**
 * Exactly once, whatever fails: the simulator commits a write and then drops the connection (the
 * answer is lost), with Xero's idempotency window and without it (the engine must then find its own
 * earlier write); a worker process is killed with SIGKILL while its invoice write is in flight;
 * 429s and 503s are waited out and never show as failures.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

const stateOf = (workflowId: string): Promise<OrderSyncView> =>
  temporal.client.workflow.getHandle(workflowId).query(orderSyncStateQuery);

async function dropEveryWriteOnce(env: OrderTestEnv) {
  const order = sampleOrder();
  // xero-node creates a payment with POST /Payments; the rest are PUTs.
  for (const p of ['/Contacts', '/Invoices', '/Invoices/*/Attachments/*', '/Payments']) {
    env.sim.sim.addFault({ method: p === '/Payments' ? 'POST' : 'PUT', path: p, dropAfterCommit: true, times: 1 });
  }
  const { workflowId } = await env.client.startOrderSync(env.accountId, {
    order,
    convertedAt: new Date().toISOString(),
  });
  await env.client.addPayment(env.accountId, order.number, { id: 'pay-1', amount: 161, date: '2026-03-05' });
  const result = await temporal.client.workflow.getHandle(workflowId).result();
  assert.equal(result.status, 'closed', JSON.stringify(result));

  // A rule that has fired its `times` is gone: every write lost its first answer.
  assert.deepEqual(env.sim.sim.faults(), [], 'every drop-after-commit fault fired');
  const invoices = env.sim.sim.invoices(env.tenantId).filter((i: Rec) => i.InvoiceNumber === order.number) as Rec[];
  assert.equal(invoices.length, 1, 'one invoice');
  assert.equal(invoices[0]!.Status, 'PAID');
  assert.equal(
    env.sim.sim.contacts(env.tenantId).filter((c: Rec) => c.ContactNumber === order.customer.id).length,
    1,
    'one contact',
  );
  assert.equal(env.sim.sim.attachments(env.tenantId, invoices[0]!.InvoiceID).length, 1, 'one attachment');
  const payments = env.sim.sim
    .payments(env.tenantId)
    .filter((p: Rec) => p.Invoice?.InvoiceID === invoices[0]!.InvoiceID && p.Status !== 'DELETED');
  assert.equal(payments.length, 1, 'one payment');
  const failures = await env.database.db
    .selectFrom('sync_log')
    .select('message')
    .where('host_ref', '=', order.number)
    .where('outcome', '=', 'failure')
    .execute();
  assert.deepEqual(failures, [], 'a lost answer is never a failure');
}

describe('exactly once', () => {
  test("answers lost after commit, within Xero's idempotency window: each write found again or replayed, never repeated", async () => {
    const env = await orderTestEnv(temporal);
    try {
      await dropEveryWriteOnce(env);
    } finally {
      await env.close();
    }
  });

  test('answers lost after commit, keys already forgotten (window over): the engine finds its own earlier writes', async () => {
    const env = await orderTestEnv(temporal, { sim: { idempotencyWindowMs: 1 } });
    try {
      await dropEveryWriteOnce(env);
      const log = await env.database.db
        .selectFrom('sync_log')
        .select(['kind', 'action'])
        .where('outcome', '=', 'success')
        .execute();
      assert.ok(
        log.some((l) => l.kind === 'invoice' && l.action === 'adopt'),
        'the invoice was found by its number, not created twice',
      );
    } finally {
      await env.close();
    }
  });

  test(
    'a worker killed (SIGKILL) while its invoice write is in flight: another worker finishes, one invoice',
    { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (a second process shares the database)' },
    async () => {
      const env = await orderTestEnv(temporal, { orders: { activityTimeoutMs: 3_000 } });
      let child: ChildProcess | undefined;
      try {
        await env.stopWorker();
        const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(env.database.db)).rows[0]!.s;
        child = spawn(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, 'support', 'order-worker-process.ts')],
          {
            env: {
              ...process.env,
              ORDER_WORKER_CONFIG: JSON.stringify({
                databaseUrl: process.env.DATABASE_URL,
                searchPath: schema,
                simUrl: env.sim.url,
                cipherKeyHex: env.cipherKeyHex,
                temporalAddress: temporal.address,
                taskQueue: env.taskQueue,
                bundlePath: process.env.TEST_WORKFLOW_BUNDLE,
                orders: env.orderConfig,
                limits: env.limits,
              }),
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        await new Promise<void>((resolve, reject) => {
          child!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          child!.once('exit', (code) => reject(new Error(`worker process exited (${code})`)));
        });

        // The invoice write takes 1.5 s at Xero: the worker dies in the middle of it.
        env.sim.sim.addFault({ method: 'PUT', path: '/Invoices*', latencyMs: 1_500, times: 1 });
        const order = sampleOrder();
        const { workflowId } = await env.client.startOrderSync(env.accountId, {
          order,
          convertedAt: new Date().toISOString(),
        });
        // The invoice step follows the contact at once; its create then waits 1.5 s at Xero.
        await eventually(
          async () =>
            (await env.database.db
              .selectFrom('sync_log')
              .select('id')
              .where('host_ref', '=', order.number)
              .where('kind', '=', 'contact')
              .executeTakeFirst()) ?? undefined,
          20_000,
          'the invoice step to start',
        );
        await new Promise((r) => setTimeout(r, 300));
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
        const killedAt = Date.now();

        await env.startWorker();
        const state = await eventually(
          async () => {
            const s = await stateOf(workflowId);
            return s.invoice && s.attachmentRevision === s.invoice.syncedRevision ? s : undefined;
          },
          30_000,
          'sync finished by the second worker',
        );
        const invoices = env.sim.sim
          .invoices(env.tenantId)
          .filter((i: Rec) => i.InvoiceNumber === order.number) as Rec[];
        assert.equal(invoices.length, 1);
        assert.equal(state.invoice?.id, invoices[0]!.InvoiceID);
        assert.equal(env.sim.sim.attachments(env.tenantId, invoices[0]!.InvoiceID).length, 1);
        assert.equal(
          env.sim.sim.contacts(env.tenantId).filter((c: Rec) => c.ContactNumber === order.customer.id).length,
          1,
        );
        // The step was taken over after its start-to-close timeout, not left hanging.
        assert.ok(Date.now() - killedAt < 20_000);
      } finally {
        if (child && child.exitCode === null) child.kill('SIGKILL');
        await env.close();
      }
    },
  );

  test('429 (Retry-After) and 503 are waited out: synced, never shown as failed', async () => {
    // A 2-second "minute" of 4 calls at Xero, the same window for our limiter; another client has
    // just used the whole minute, which our limiter cannot know: Xero answers 429.
    const env = await orderTestEnv(temporal, {
      sim: { minuteMs: 2_000, limits: { perMinute: 4 } },
      limits: { perMinute: 4 },
      limiterMinuteMs: 2_000,
    });
    try {
      const token = env.sim.sim.issueTokens({ tenantIds: [env.tenantId] }).access_token;
      for (let i = 0; i < 4; i++)
        await fetch(`${env.sim.url}/api.xro/2.0/Organisation`, {
          headers: { authorization: `Bearer ${token}`, 'xero-tenant-id': env.tenantId, accept: 'application/json' },
        });
      env.sim.sim.addFault({ method: 'PUT', path: '/Invoices*', status: 503, times: 2 });
      const order = sampleOrder();
      const { workflowId } = await env.client.startOrderSync(env.accountId, {
        order,
        convertedAt: new Date().toISOString(),
      });
      await env.client.addPayment(env.accountId, order.number, { id: 'p', amount: 161, date: '2026-03-05' });
      const result = await temporal.client.workflow.getHandle(workflowId).result();
      assert.equal(result.status, 'closed');
      const statuses = env.sim.sim.requestLog().map((e) => e.status);
      assert.ok(statuses.includes(429), 'Xero refused some calls with 429');
      assert.ok(statuses.includes(503));
      assert.equal(env.sim.sim.invoices(env.tenantId).filter((i: Rec) => i.InvoiceNumber === order.number).length, 1);
      const failures = await env.database.db
        .selectFrom('sync_log')
        .select('message')
        .where('outcome', '=', 'failure')
        .execute();
      assert.deepEqual(failures, []);
      const sa = (await temporal.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
      assert.equal(sa.get(SyncStatusKey), 'Closed');
      // The 429s were recorded for every worker to see.
      const block = await env.database.db
        .selectFrom('xero_rate_limits')
        .selectAll()
        .where('tenant_id', '=', env.tenantId)
        .executeTakeFirst();
      assert.ok(block?.blocked_until, 'Retry-After stored in the shared limiter');
    } finally {
      await env.close();
    }
  });
});
