import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { sql } from 'kysely';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/log';
import { signHostWebhook, verifyHostWebhook, SIGNATURE_HEADER } from '../src/host-webhooks/signature';
import { enqueueHostEvent } from '../src/host-webhooks/outbox';
import { deliverPending, startDeliveryLoop, backoffMs } from '../src/host-webhooks/delivery';
import { hostEventSchema, type HostEvent } from '../src/host-webhooks/events';
import type { DatabaseHandle } from '../src/db/database';
import { createTestDatabase, databaseKinds } from './support/database';

const SECRET = 'whsec_test_0123456789abcdef';
const log = createLogger('silent');

describe('host webhook signatures', () => {
  const body = JSON.stringify({ hello: 'world' });
  const now = 1_800_000_000;
  const header = signHostWebhook(SECRET, body, now);
  const cases: Array<[string, string, string | undefined, number, boolean | string]> = [
    ['a correct signature', body, header, now, true],
    ['a tampered body', body.replace('world', 'w0rld'), header, now, 'bad_signature'],
    ['another secret', body, signHostWebhook('other-secret', body, now), now, 'bad_signature'],
    ['a replay ten minutes later', body, header, now + 600, 'too_old'],
    ['a changed timestamp', body, header.replace(`t=${now}`, `t=${now + 1}`), now, 'bad_signature'],
    ['no header', body, undefined, now, 'malformed'],
    ['garbage', body, 't=abc,v1=xyz', now, 'malformed'],
  ];
  for (const [name, b, h, at, expected] of cases) {
    test(name, () => {
      const result = verifyHostWebhook(SECRET, b, h, { nowSeconds: at });
      if (expected === true) assert.equal(result.ok, true);
      else assert.deepEqual(result, { ok: false, reason: expected });
    });
  }
  test('backoff doubles and is capped', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((n) => backoffMs(n, 100, 1_000)),
      [100, 200, 400, 800, 1_000],
    );
  });
});

interface Receiver {
  url: string;
  received: Array<{ event: HostEvent; verified: boolean }>;
  setDown(down: boolean): void;
  /** Answer only after this many ms (a slow host). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** A host's webhook endpoint: verifies every signature, can be "down" (503). */
async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  let down = false;
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (down) {
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verifyHostWebhook(SECRET, body, req.headers[SIGNATURE_HEADER] as string | undefined).ok;
      received.push({ event: hostEventSchema.parse(JSON.parse(body)), verified });
      res.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    setDown: (d) => {
      down = d;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

for (const kind of databaseKinds()) {
  describe(`host webhook outbox on ${kind}`, () => {
    let database: DatabaseHandle;
    let receiver: Receiver;
    let hostAppId: string;
    let accountId: string;
    const targetFor = async () => ({ url: receiver.url, secret: SECRET });

    before(async () => {
      database = await createTestDatabase(kind);
      receiver = await startReceiver();
      hostAppId = (
        await database.db
          .insertInto('host_apps')
          .values({ name: 'Jobs', webhook_url: receiver.url })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      accountId = (
        await database.db
          .insertInto('accounts')
          .values({ host_app_id: hostAppId, external_id: 'acct-9', name: 'A', options: '{}' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    });
    after(async () => {
      await receiver.close();
      await database.close();
    });

    const enqueue = (orderingKey: string, seq: number) =>
      enqueueHostEvent(database.db, {
        hostAppId,
        accountId,
        hostAccountId: 'acct-9',
        type: 'invoice.updated',
        orderingKey,
        data: { seq },
      });

    test('every event arrives once, signed, in order per ordering key', async () => {
      receiver.received.length = 0;
      for (let i = 1; i <= 3; i++) await enqueue('order:A', i);
      for (let i = 1; i <= 2; i++) await enqueue('order:B', i);
      // The outbox write can share a transaction with the state it describes: a rolled-back one leaves nothing.
      await database.db
        .transaction()
        .execute(async (trx) => {
          await enqueueHostEvent(trx, {
            hostAppId,
            accountId,
            hostAccountId: 'acct-9',
            type: 'sync.failed',
            orderingKey: 'order:C',
            data: {},
          });
          throw new Error('rollback');
        })
        .catch(() => undefined);

      for (let pass = 0; pass < 5; pass++)
        await deliverPending({ db: database.db, log, targetFor, allowPrivateNetworks: true });

      assert.equal(receiver.received.length, 5);
      assert.ok(
        receiver.received.every((r) => r.verified),
        'a signature did not verify',
      );
      assert.ok(receiver.received.every((r) => r.event.accountId === 'acct-9' && r.event.type === 'invoice.updated'));
      assert.equal(new Set(receiver.received.map((r) => r.event.id)).size, 5, 'an event was delivered twice');
      // Per key order: the sequence numbers of each key's events increase.
      const rows = await database.db
        .selectFrom('webhook_outbox')
        .select(['ordering_key', 'event_id', 'delivered_at'])
        .orderBy('id')
        .execute();
      assert.ok(rows.every((r) => r.delivered_at !== null));
      for (const key of ['order:A', 'order:B']) {
        const ids = rows.filter((r) => r.ordering_key === key).map((r) => r.event_id);
        const order = receiver.received.filter((r) => ids.includes(r.event.id)).map((r) => r.event.id);
        assert.deepEqual(order, ids, `${key} delivered out of order`);
      }
      assert.ok(!rows.some((r) => r.ordering_key === 'order:C'), 'a rolled-back event was kept');
    });

    test('a receiver that is down for a while still gets every event, in order, once', async () => {
      receiver.received.length = 0;
      receiver.setDown(true);
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) ids.push((await enqueue('order:D', i)).id);
      const loop = startDeliveryLoop({
        db: database.db,
        log,
        targetFor,
        allowPrivateNetworks: true,
        intervalMs: 20,
        backoffBaseMs: 20,
        backoffMaxMs: 100,
      });
      try {
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(receiver.received.length, 0);
        const failing = await database.db
          .selectFrom('webhook_outbox')
          .select(['attempts', 'last_status', 'last_error'])
          .where('event_id', '=', ids[0]!)
          .executeTakeFirstOrThrow();
        assert.ok(failing.attempts >= 2, 'the first event was not retried');
        assert.equal(failing.last_status, 503);
        assert.match(failing.last_error ?? '', /503/);
        // Later events of the same order were held back, not attempted out of order.
        const later = await database.db
          .selectFrom('webhook_outbox')
          .select('attempts')
          .where('event_id', '=', ids[1]!)
          .executeTakeFirstOrThrow();
        assert.equal(later.attempts, 0);

        receiver.setDown(false);
        const deadline = Date.now() + 10_000;
        while (receiver.received.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      } finally {
        await loop.stop();
      }
      assert.deepEqual(
        receiver.received.map((r) => r.event.id),
        ids,
      );
      assert.deepEqual(
        receiver.received.map((r) => r.event.data.seq),
        [1, 2, 3, 4, 5, 6],
      );
      assert.ok(receiver.received.every((r) => r.verified));
    });

    test('a slow host does not hold the database while its event is being sent', async () => {
      receiver.received.length = 0;
      receiver.setDelay(1_500);
      try {
        await enqueue('order:S', 1);
        const pass = deliverPending({ db: database.db, log, targetFor, allowPrivateNetworks: true });
        await new Promise((r) => setTimeout(r, 300));
        const started = performance.now();
        await sql`select 1`.execute(database.db);
        assert.ok(performance.now() - started < 700, 'a query waited for the webhook POST (the connection was held)');
        assert.equal((await pass).delivered, 1);
        assert.equal(receiver.received.length, 1);
      } finally {
        receiver.setDelay(0);
      }
    });

    if (kind === 'postgres') {
      test('two workers delivering at once never send an event twice', async () => {
        receiver.received.length = 0;
        for (let i = 0; i < 20; i++) await enqueue(`order:P${i % 5}`, i);
        // Three concurrent passes over a pool of five connections stand in for three workers.
        await Promise.all(
          [0, 1, 2].map(async () => {
            for (let pass = 0; pass < 6; pass++)
              await deliverPending({ db: database.db, log, targetFor, allowPrivateNetworks: true });
          }),
        );
        assert.equal(receiver.received.length, 20);
        assert.equal(new Set(receiver.received.map((r) => r.event.id)).size, 20);
      });
    }
  });
}
