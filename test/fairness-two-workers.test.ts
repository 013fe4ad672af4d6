import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createOrderSyncClient } from '../src/client';
import type { DatabaseHandle } from '../src/db/database';
import { orderPdfFileName } from '../src/domain/invoice-mapping';
import { settingsSchema } from '../src/domain/settings';
import { createTokenCipher } from '../src/security/token-cipher';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createTestDatabase } from './support/database';
import { eventually, FAST_ORDER_CONFIG, sampleOrder, TEST_SETTINGS } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { connectedAccounts } from './support/xero-connect';
import { attachmentAnswers } from '../bench/request-log';
import { spawnOrderWorker } from './support/spawn-order-worker';

/**
 * Fairness and slot-free rate-limit waits, end to end, with two worker processes on one task queue
 * and few activity slots each. Organisation A sends a backlog far beyond its (lowered, shrunk-minute)
 * rate limit; while it waits, organisation B's single orders, one at a time, must each reach Xero
 * (invoice with its PDF) in a fraction of the time A's backlog needs, and A's orders must all reach
 * Xero exactly once. With so few slots that only works if A's activities do not sit in the slots
 * while they wait for A's limit: a wait longer than the limiter's maxWaitMs is handed to Temporal
 * (RateLimitWaitError → nextRetryDelay) and the slot serves B meanwhile.
 */

type Rec = Record<string, any>;

// A 4-second "minute" of 12 calls and 2 in flight per organisation, on both sides.
const MINUTE_MS = 4_000;
const LIMITS = { perMinute: 12, concurrent: 2, perDay: 100_000 };
/**
 * The limiter's longest in-process wait: its default 10 s against Xero's 60 s minute, scaled to the
 * 4 s minute, is about 670 ms. Raised to 60 s (every wait held in a slot), this test fails.
 */
const MAX_WAIT_MS = 500;
/** Activity slots per worker process: 4 in all, fewer than A's waiting activities by far. */
const SLOTS = 2;
const BACKLOG = 20;
const LIVE_ORDERS = 4;
const LIVE_GAP_MS = 300;
/**
 * B's bound. Measured on 2 shared cores, another load beside: 0.26–1.1 s each while A's backlog needs
 * 16–22 s; with A's waits held in the slots instead (MAX_WAIT_MS 60 s) B's orders took up to 4.3 s,
 * the rest of one of A's "minutes" each, and no wait of A's was handed back.
 */
const LIVE_BOUND_MS = 2_500;

let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal?.close();
});

describe('fairness across two worker processes', () => {
  test(
    "one organisation's backlog at its rate limit: another's single orders reach Xero at once, the backlog exactly once",
    { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (worker processes share PostgreSQL)', timeout: 120_000 },
    async () => {
      let database: DatabaseHandle | undefined;
      let sim: RunningXeroSimulator | undefined;
      const workers: ChildProcess[] = [];
      const workflowIds: string[] = [];
      try {
        database = await createTestDatabase('postgres');
        const { db } = database;
        sim = await startXeroSimulator({ minuteMs: MINUTE_MS, limits: { ...LIMITS, appPerMinute: 10_000 } });
        // Each answer takes 50 ms: calls overlap, so the 2-in-flight limit is contested too.
        sim.sim.addFault({ latencyMs: 50 });

        const cipherKey = randomBytes(32);
        const cipher = createTokenCipher(cipherKey);
        const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
        const taskQueue = `fairness-${randomUUID()}`;
        const spawned = [0, 1].map(() =>
          spawnOrderWorker({
            databaseUrl: process.env.DATABASE_URL,
            searchPath: schema,
            simUrl: sim!.url,
            cipherKeyHex: cipherKey.toString('hex'),
            temporalAddress: temporal.address,
            taskQueue,
            bundlePath: process.env.TEST_WORKFLOW_BUNDLE,
            orders: { ...FAST_ORDER_CONFIG, activityTimeoutMs: 20_000 },
            limits: LIMITS,
            limiterMinuteMs: MINUTE_MS,
            limiterMaxWaitMs: MAX_WAIT_MS,
            maxActivitySlots: SLOTS,
          }),
        );
        workers.push(...spawned.map((s) => s.child));

        const hostApp = await db
          .insertInto('host_apps')
          .values({ name: 'Quotes Co' })
          .returning('id')
          .executeTakeFirstOrThrow();
        const orgs = await connectedAccounts({
          db,
          cipher,
          simUrl: sim.url,
          hostAppId: hostApp.id,
          names: ['Demo Company (NZ)', 'Acme Plumbing Ltd'],
          settings: settingsSchema.parse(TEST_SETTINGS),
        });
        const [a, b] = orgs as [(typeof orgs)[0], (typeof orgs)[0]];
        await Promise.all(spawned.map((s) => s.ready));
        const client = createOrderSyncClient(temporal.client, { taskQueue });
        const xero = sim.sim;
        const apiCalls = (tenantId: string) =>
          xero.requestLog({ tenantId }).filter((e) => e.path.includes('/api.xro/'));

        // A's backlog: every order at once, a few customers between them. With it, B's first order,
        // which also loads B's reference data (accounts, tax rates, …): it warms B up, untimed.
        const customers = Array.from({ length: 3 }, (_, i) => ({
          type: 'organisation' as const,
          id: `cust-${randomUUID().slice(0, 8)}`,
          name: `Backlog Customer ${i} ${randomUUID().slice(0, 6)}`,
          email: 'ap@customer.example',
        }));
        const backlog = Array.from({ length: BACKLOG }, (_, i) => sampleOrder({ customer: customers[i % 3]! }));
        const backlogNumbers = backlog.map((o) => o.number);
        const warmUp = sampleOrder();
        const backlogSent = Date.now();
        const started = await Promise.all([
          ...backlog.map((order) =>
            client.startOrderSync(a.accountId, { order, convertedAt: new Date().toISOString() }),
          ),
          client.startOrderSync(b.accountId, { order: warmUp, convertedAt: new Date().toISOString() }),
        ]);
        for (const r of started) {
          assert.equal(r.applied, true, JSON.stringify(r));
          workflowIds.push(r.workflowId);
        }
        const backlogWorkflows = workflowIds.slice(0, BACKLOG);
        await eventually(
          () => attachmentAnswers(apiCalls(b.tenantId), [warmUp.number]).get(warmUp.number),
          30_000,
          "B's first order in Xero",
        );
        // B's own minute empties (its single orders below stay well within it); A's backlog waits on.
        await sleep(MINUTE_MS);
        assert.ok(apiCalls(a.tenantId).length >= LIMITS.perMinute, "A's backlog is at its limit");

        // B's single orders, one at a time, each timed from conversion to its PDF answered by Xero.
        // The warm-up's customer: its contact is known, so each costs B two calls (invoice, PDF).
        const live: Array<{ number: string; latencyMs: number; backlogDone: number }> = [];
        for (let i = 0; i < LIVE_ORDERS; i++) {
          const order = sampleOrder({ customer: warmUp.customer });
          const sentAt = Date.now();
          const r = await client.startOrderSync(b.accountId, { order, convertedAt: new Date().toISOString() });
          assert.equal(r.applied, true, JSON.stringify(r));
          workflowIds.push(r.workflowId);
          const answeredAt = await eventually(
            () => attachmentAnswers(apiCalls(b.tenantId), [order.number]).get(order.number),
            30_000,
            `B's order ${order.number} in Xero`,
          );
          const backlogDone = [...attachmentAnswers(apiCalls(a.tenantId), backlogNumbers).values()].filter(
            (t) => t <= answeredAt,
          ).length;
          live.push({ number: order.number, latencyMs: answeredAt - sentAt, backlogDone });
          await sleep(LIVE_GAP_MS);
        }

        // A's backlog drains at its limit.
        const drained = await eventually(
          () => {
            const done = attachmentAnswers(apiCalls(a.tenantId), backlogNumbers);
            return done.size === BACKLOG ? done : undefined;
          },
          60_000,
          "A's backlog in Xero",
        );
        const drainMs = Math.max(...drained.values()) - backlogSent;

        // A's waits were handed to Temporal, not slept through in a slot: activities of A's that ran
        // again after a RateLimitWait (the last attempt's start says how it was retried).
        let handedBack = 0;
        for (const id of backlogWorkflows) {
          const history = await temporal.client.workflow.getHandle(id).fetchHistory();
          for (const e of history.events ?? []) {
            const started = e.activityTaskStartedEventAttributes;
            if (started?.lastFailure?.applicationFailureInfo?.type === 'RateLimitWait') handedBack++;
          }
        }
        const latencies = live.map((l) => l.latencyMs);
        process.stdout.write(
          `# fairness: A's ${BACKLOG} orders in Xero after ${(drainMs / 1000).toFixed(1)} s (${apiCalls(a.tenantId).length} calls, ` +
            `${handedBack} activities handed back on a rate-limit wait); B's orders ${latencies.join(', ')} ms ` +
            `(A's orders in Xero by then: ${live.map((l) => l.backlogDone).join(', ')})\n`,
        );
        // B was not held behind A: each order quick, each landed while A's backlog was still waiting.
        for (const l of live) {
          assert.ok(l.latencyMs < LIVE_BOUND_MS, `B's order ${l.number} took ${l.latencyMs} ms`);
          assert.ok(l.backlogDone < BACKLOG, `B's order ${l.number} landed after A's backlog was done`);
        }
        assert.ok(drainMs > 3 * LIVE_BOUND_MS, `A's backlog waited on its limit (${drainMs} ms)`);
        assert.ok(handedBack >= BACKLOG / 2, `A's rate-limit waits handed back to Temporal: ${handedBack}`);

        // A's orders in Xero exactly once: one invoice per order number, one PDF each, no failed sync.
        const invoices = xero.invoices(a.tenantId) as Rec[];
        for (const number of backlogNumbers) {
          const mine = invoices.filter((inv) => inv.InvoiceNumber === number);
          assert.equal(mine.length, 1, `${number}: one invoice`);
          assert.deepEqual(
            xero.attachments(a.tenantId, mine[0]!.InvoiceID as string).map((f) => f.fileName),
            [orderPdfFileName(number)],
            `${number}: one PDF`,
          );
        }
        assert.equal(invoices.length, BACKLOG, 'no invoice beyond the orders');
        assert.equal(xero.invoices(b.tenantId).length, LIVE_ORDERS + 1, "B's orders once each");
        const failures = await db
          .selectFrom('sync_log')
          .select(['host_ref', 'kind', 'message'])
          .where('outcome', '=', 'failure')
          .execute();
        assert.deepEqual(failures, [], 'no failed sync');
        // The limit held across both processes: Xero never refused a call.
        assert.deepEqual(
          apiCalls(a.tenantId)
            .filter((e) => e.status === 429)
            .map((e) => `${e.method} ${e.path}`),
          [],
          'Xero never answered 429',
        );
      } finally {
        await Promise.all(
          workflowIds.map((id) =>
            temporal.client.workflow
              .getHandle(id)
              .terminate('test over')
              .catch(() => undefined),
          ),
        );
        for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
        await sim?.close();
        await database?.close();
      }
    },
  );
});
