import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createOrderSyncClient } from '../src/client';
import type { DatabaseHandle } from '../src/db/database';
import { settingsSchema } from '../src/domain/settings';
import { setHostWebhook } from '../src/host-webhooks/host-config';
import { createTokenCipher } from '../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createTestDatabase } from './support/database';
import { eventually, FAST_ORDER_CONFIG, sampleOrder, TEST_SETTINGS } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { connectedAccounts } from './support/xero-connect';
import { spawnOrderWorker } from './support/spawn-order-worker';

/**
 * Three worker processes on one task queue share two organisations' work: Xero's per-tenant limits
 * (lowered, with a shrunk "minute") hold across them because the limiter lives in PostgreSQL; every
 * invoice, payment and contact exists once; each host event is delivered once although three
 * delivery loops race for the outbox. One worker is killed (SIGKILL) in the middle of the burst,
 * so its permits, its activities and its claimed outbox rows must be recovered by the others.
 */

type Rec = Record<string, any>;

// A 4-second "minute" of 12 calls and 2 in flight per organisation, on both sides.
const MINUTE_MS = 4_000;
const LIMITS = { perMinute: 12, concurrent: 2, perDay: 100_000 };
const ORDERS_PER_ORG = 8;
const CUSTOMERS_PER_ORG = 3;
const ORGS = ['Demo Company (NZ)', 'Acme Plumbing Ltd'];

let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

/** The most requests any rolling window of `windowMs` saw, and the most in flight at once. */
function peaks(entries: Array<{ at: string; durationMs: number }>, windowMs: number) {
  // The simulator logs a request when it answers (`at`) with how long it took: it arrived that much earlier.
  const arrived = (e: { at: string; durationMs: number }) => Date.parse(e.at) - e.durationMs;
  const starts = entries.map(arrived).sort((a, b) => a - b);
  let window = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= windowMs) j++;
    window = Math.max(window, i - j + 1);
  }
  const edges = entries.flatMap((e) => [
    { t: arrived(e), d: 1 },
    { t: Date.parse(e.at), d: -1 },
  ]);
  // An answer ending when another request starts frees its slot first.
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let inFlight = 0;
  let concurrent = 0;
  for (const e of edges) concurrent = Math.max(concurrent, (inFlight += e.d));
  return { window, concurrent };
}

describe('many workers', () => {
  test(
    'three worker processes, one killed mid-burst: limits held across them, every document and event once',
    { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (worker processes share PostgreSQL)', timeout: 150_000 },
    async () => {
      const started = Date.now();
      let database: DatabaseHandle | undefined;
      let sim: RunningXeroSimulator | undefined;
      const workers: ChildProcess[] = [];
      const received: Array<{ id: string; type: string }> = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const event = JSON.parse(body) as { id: string; type: string };
          received.push({ id: event.id, type: event.type });
          res.writeHead(204).end();
        });
      });
      try {
        database = await createTestDatabase('postgres');
        const { db } = database;
        sim = await startXeroSimulator({ minuteMs: MINUTE_MS });
        // Lowered through the control API, as a test in another process would.
        const put = await fetch(`${sim.url}/__sim/limits`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...LIMITS, appPerMinute: 10_000 }),
        });
        assert.ok(put.ok, `PUT /__sim/limits answered ${put.status}`);
        // Every answer takes 150 ms, so calls overlap and the concurrency limit is really contested.
        const slow = await fetch(`${sim.url}/__sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ latencyMs: 150 }),
        });
        assert.ok(slow.ok, `POST /__sim/faults answered ${slow.status}`);

        const cipherKey = randomBytes(32);
        const cipher = createTokenCipher(cipherKey);
        // The workers boot (tsx, the SDK's runtime) while the accounts are connected.
        const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
        const taskQueue = `many-workers-${randomUUID()}`;
        const spawned = [0, 1, 2].map(() =>
          spawnOrderWorker({
            databaseUrl: process.env.DATABASE_URL,
            searchPath: schema,
            simUrl: sim!.url,
            cipherKeyHex: cipherKey.toString('hex'),
            temporalAddress: temporal.address,
            taskQueue,
            bundlePath: process.env.TEST_WORKFLOW_BUNDLE,
            // A killed worker's step is retried when its heartbeats stop (3 s), not at the step's timeout;
            // the timeout leaves room for permit waits under the lowered limits.
            orders: { ...FAST_ORDER_CONFIG, activityTimeoutMs: 20_000, heartbeatTimeoutMs: 3_000 },
            limits: LIMITS,
            limiterMinuteMs: MINUTE_MS,
            // A killed worker's permits count as in flight until their lease ends: short here.
            limiterLeaseMs: 5_000,
            deliverWebhooks: true,
          }),
        );
        workers.push(...spawned.map((s) => s.child));

        const hostApp = await db
          .insertInto('host_apps')
          .values({ name: 'Quotes Co' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
        const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
        await setHostWebhook(db, cipher, hostApp.id, { url: receiverUrl, secret: 's'.repeat(32) });
        const orgs = await connectedAccounts({
          db,
          cipher,
          simUrl: sim.url,
          hostAppId: hostApp.id,
          names: ORGS,
          settings: settingsSchema.parse(TEST_SETTINGS),
        });
        assert.notEqual(orgs[0]!.tenantId, orgs[1]!.tenantId);

        await Promise.all(spawned.map((s) => s.ready));
        const t = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
        const readyAt = t();

        // The burst: every order converted and paid in full, two orders or more per customer.
        const client = createOrderSyncClient(temporal.client, { taskQueue });
        const orders = orgs.flatMap((org) => {
          const customers = Array.from({ length: CUSTOMERS_PER_ORG }, (_, i) => ({
            type: 'organisation' as const,
            id: `cust-${randomUUID().slice(0, 8)}`,
            name: `Customer ${i} ${randomUUID().slice(0, 6)}`,
            email: 'ap@customer.example',
          }));
          return Array.from({ length: ORDERS_PER_ORG }, (_, i) => ({
            org,
            order: sampleOrder({ customer: customers[i % CUSTOMERS_PER_ORG]! }),
          }));
        });
        const workflowIds = await Promise.all(
          orders.map(async ({ org, order }) => {
            const { workflowId } = await client.startOrderSync(org.accountId, {
              order,
              convertedAt: new Date().toISOString(),
            });
            await client.addPayment(org.accountId, order.number, {
              id: `pay-${order.number}`,
              amount: 161,
              date: '2026-03-05',
            });
            return workflowId;
          }),
        );

        // Killed once a quarter of the invoices exist: it holds work then (activities, permits).
        const invoicesNow = () =>
          orgs.reduce(
            (n, org) => n + sim!.sim.invoices(org.tenantId).filter((i: Rec) => i.Status !== 'DELETED').length,
            0,
          );
        const killedAt = await eventually(
          () => (invoicesNow() >= orders.length / 4 ? invoicesNow() : undefined),
          40_000,
          'a quarter of the invoices',
        );
        workers[0]!.kill('SIGKILL');
        const killedTime = t();
        assert.ok(killedAt < orders.length, 'the worker was killed before the burst was done');

        const results = await Promise.all(
          workflowIds.map((id) => temporal.client.workflow.getHandle(id).result() as Promise<Rec>),
        );
        const closedAt = t();
        const callsPerOrg = orgs.map((o) => sim!.sim.requestLog({ tenantId: o.tenantId }).length);
        for (const r of results) assert.equal(r.status, 'closed', JSON.stringify(r));

        const xero = sim.sim;
        for (const org of orgs) {
          const mine = orders.filter((o) => o.org === org).map((o) => o.order);
          const invoices = xero.invoices(org.tenantId) as Rec[];
          const payments = (xero.payments(org.tenantId) as Rec[]).filter((p) => p.Status !== 'DELETED');
          for (const order of mine) {
            const inv = invoices.filter((i) => i.InvoiceNumber === order.number);
            assert.equal(inv.length, 1, `${order.number}: one invoice`);
            assert.equal(inv[0]!.Status, 'PAID', `${order.number}: paid`);
            assert.equal(
              payments.filter((p) => p.Invoice?.InvoiceID === inv[0]!.InvoiceID).length,
              1,
              `${order.number}: one payment`,
            );
          }
          assert.equal(invoices.length, ORDERS_PER_ORG, 'no invoice beyond the orders');
          // Contact single-flight: orders of one customer raced in different processes.
          const customerIds = new Set(mine.map((o) => o.customer.id));
          assert.equal(customerIds.size, CUSTOMERS_PER_ORG);
          for (const id of customerIds)
            assert.equal(
              (xero.contacts(org.tenantId) as Rec[]).filter((c) => c.ContactNumber === id).length,
              1,
              `one contact for ${id}`,
            );

          // Limits as Xero counts them: by the simulator's own request log, never refused.
          const calls = xero.requestLog({ tenantId: org.tenantId }).filter((e) => e.path.includes('/api.xro/'));
          assert.ok(calls.length >= ORDERS_PER_ORG, 'calls were made');
          assert.deepEqual(
            calls.filter((e) => e.status === 429).map((e) => `${e.method} ${e.path} ${e.fault ?? ''}`),
            [],
            'Xero never answered 429',
          );
          const peak = peaks(calls, MINUTE_MS);
          assert.ok(peak.window <= LIMITS.perMinute, `${peak.window} calls in one ${MINUTE_MS} ms window`);
          assert.ok(peak.concurrent <= LIMITS.concurrent, `${peak.concurrent} calls in flight at once`);
          // The limits were contested, not met by accident of slowness.
          assert.ok(peak.window >= LIMITS.perMinute / 2, `peak window ${peak.window}`);
          assert.equal(peak.concurrent, LIMITS.concurrent, 'the concurrency limit was reached');
        }

        // Host events: every outbox row delivered, each to the receiver exactly once.
        const outbox = await eventually(
          async () => {
            const rows = await db
              .selectFrom('webhook_outbox')
              .select(['event_id', 'delivered_at', 'event_type'])
              .execute();
            return rows.length > 0 && rows.every((r) => r.delivered_at) ? rows : undefined;
          },
          20_000,
          'every host event delivered',
        );
        const types = new Set(outbox.map((r) => r.event_type));
        assert.ok(types.has('invoice.exported') && types.has('payment.synced'), [...types].join(', '));
        const counts = new Map<string, number>();
        for (const r of received) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
        assert.deepEqual(
          [...counts].filter(([, n]) => n > 1),
          [],
          'no event delivered twice',
        );
        assert.deepEqual([...counts.keys()].sort(), outbox.map((r) => r.event_id).sort());

        process.stdout.write(
          `# many workers: ${orders.length} orders, Xero calls per organisation ${callsPerOrg.join(' and ')}, ${received.length} host events; workers ready ${readyAt}, one killed ${killedTime} (${killedAt} invoices), all closed ${closedAt}, done ${t()}\n`,
        );
      } finally {
        for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
        receiver.close();
        await sim?.close();
        await database?.close();
      }
    },
  );
});
