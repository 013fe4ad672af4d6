import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Order } from '../src/domain/order';
import { testTemporal, type TestTemporal } from './support/temporal';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';

/**
 * A PostgreSQL restart ends every connection with FATAL 57P01 ("terminating connection due to
 * administrator command"); `pg_terminate_backend` does exactly that to chosen connections, so the
 * test needs no rights to restart the server (the same role may terminate its own backends).
 *
 * The worker runs in this test process: an 'error' event nobody listens to on a pg client would
 * be an uncaught exception here. The connections killed are picked by application_name, so other
 * test files sharing the server are left alone.
 */

const skip = process.env.DATABASE_URL
  ? false
  : 'needs PostgreSQL: set DATABASE_URL (CI does); PGlite runs in-process and has no connection to lose';

type Inv = Record<string, any>;
const appName = `xero-sync-restart-${randomBytes(4).toString('hex')}`;
let temporal: TestTemporal;
let env: OrderTestEnv;
let killer: pg.Client;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

before(async () => {
  if (skip) return;
  // pg reads PGAPPNAME for every connection it opens from now on: the app's pool included.
  process.env.PGAPPNAME = appName;
  process.on('uncaughtException', onUncaught);
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  killer = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: `${appName}-killer` });
  await killer.connect();
});
after(async () => {
  process.off('uncaughtException', onUncaught);
  await killer?.end();
  await env?.close();
  await temporal?.close();
});

/** What a server restart does to the engine's connections: every one of them ended. */
async function terminateAppConnections(): Promise<number> {
  const { rows } = await killer.query<{ terminated: boolean }>(
    'select pg_terminate_backend(pid) as terminated from pg_stat_activity where application_name = $1',
    [appName],
  );
  return rows.filter((r) => r.terminated).length;
}

const invoicesNumbered = (n: string) =>
  env.sim.sim.invoices(env.tenantId).filter((i: Inv) => i.InvoiceNumber === n) as Inv[];

/** In Xero with its PDF: the last step of a new order. */
function synced(o: Order): boolean {
  const inv = invoicesNumbered(o.number)[0];
  return !!inv && env.sim.sim.attachments(env.tenantId, inv.InvoiceID).length > 0;
}

async function allSynced(orders: Order[], what: string) {
  await eventually(() => orders.every(synced), 90_000, what);
}

describe('PostgreSQL restart under a running worker', { skip }, () => {
  test('connections killed while orders sync and while clients are checked out: no crash, each order in Xero once', async () => {
    // Slower Xero answers keep the orders in flight across the kills.
    env.sim.sim.addFault({ path: '*', latencyMs: 150 });
    const orders = Array.from({ length: 16 }, () => sampleOrder());
    for (const order of orders)
      await env.client.startOrderSync(env.accountId, { order, convertedAt: new Date().toISOString() });

    // A checked-out client busy with a query when the server goes away…
    const busy = env.database.db
      .connection()
      .execute((conn) => sql`select pg_sleep(60)`.execute(conn))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // …and one checked out inside a transaction, idle between two queries (the server's FATAL arrives
    // with no query to take it, so pg emits it as an 'error' event on the client).
    let killed!: () => void;
    const afterKill = new Promise<void>((r) => (killed = r));
    const held = env.database.db
      .connection()
      .execute(async (conn) => {
        await sql`begin`.execute(conn);
        await sql`select 1`.execute(conn);
        await afterKill;
        await sql`select 1`.execute(conn);
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    let terminated = 0;
    let doneAtFirstKill = 0;
    try {
      await eventually(
        async () => {
          const { rows } = await killer.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where application_name = $1 and query like 'select pg_sleep%' and state = 'active'",
            [appName],
          );
          return Number(rows[0]!.n) === 1;
        },
        10_000,
        'the pg_sleep to be running',
      );
      // A restart, then the server answering again: three times, while the worker keeps syncing.
      for (let round = 0; round < 3; round++) {
        if (round === 0) doneAtFirstKill = orders.filter((o) => synced(o)).length;
        terminated += await terminateAppConnections();
        await new Promise((r) => setTimeout(r, 700));
        // Only now does the idle transaction try again: the FATAL reached its client while nothing ran on it.
        if (round === 0) killed();
      }
    } finally {
      // Whatever failed above, free the two held connections so the pool can close.
      killed();
      await terminateAppConnections();
    }
    assert.ok(doneAtFirstKill < orders.length, 'orders were still syncing when the connections were killed');
    assert.ok(terminated >= 3, `connections were terminated (${terminated})`);

    const busyErr = (await busy) as { code?: string } | undefined;
    assert.equal(busyErr?.code, '57P01', 'the query in flight failed with admin shutdown');
    const heldErr = (await held) as { message?: string } | undefined;
    assert.match(
      String(heldErr?.message),
      /terminating connection|not queryable|terminated/,
      'the transaction whose connection was lost failed',
    );

    await allSynced(orders, 'every order in Xero after the kills');
    // And the worker is still working: a new order goes through.
    const late = sampleOrder();
    await env.client.startOrderSync(env.accountId, { order: late, convertedAt: new Date().toISOString() });
    await allSynced([late], 'an order sent after the kills');

    assert.deepEqual(uncaught, [], 'no uncaught exception in the process hosting the worker');
    for (const o of [...orders, late]) assert.equal(invoicesNumbered(o.number).length, 1, `one invoice ${o.number}`);
    // A lost connection is retried by Temporal, never recorded as a business failure.
    const failures = await env.database.db
      .selectFrom('sync_log')
      .select(['host_ref', 'message'])
      .where('account_id', '=', env.accountId)
      .where('outcome', '=', 'failure')
      .execute();
    assert.deepEqual(failures, []);
  });
});
