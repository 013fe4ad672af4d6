import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../src/db/database';
import { createRateLimiter, liveReserve, RateLimitWaitError, type RateLimiterOptions } from '../src/xero/rate-limiter';
import { createTestDatabase, databaseKinds } from './support/database';

for (const kind of databaseKinds()) {
  describe(`Xero rate limiter on ${kind}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(kind);
    });
    after(async () => {
      await database.close();
    });
    const limiter = (opts: Omit<RateLimiterOptions, 'db'>) =>
      createRateLimiter({ db: database.db, pollMs: 20, ...opts });

    test('at most N calls in flight per tenant, across limiter instances (workers)', async () => {
      const tenant = randomUUID();
      const a = limiter({ limits: { concurrent: 2 } });
      const b = limiter({ limits: { concurrent: 2 } });
      const p1 = await a.acquire(tenant);
      const p2 = await b.acquire(tenant);
      // Another tenant is not affected.
      await (await a.acquire(randomUUID())).release();
      let third = false;
      const waiting = b.acquire(tenant).then((p) => ((third = true), p));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(third, false, 'a third call must wait');
      await p1.release();
      const p3 = await waiting;
      assert.equal(third, true);
      await p2.release();
      await p3.release();
    });

    test('the rolling minute: the call past the limit waits for the oldest to age out', async () => {
      const tenant = randomUUID();
      const l = limiter({ limits: { perMinute: 3 }, minuteMs: 600 });
      const started = Date.now();
      for (let i = 0; i < 3; i++) await (await l.acquire(tenant)).release();
      await (await l.acquire(tenant)).release();
      assert.ok(Date.now() - started >= 500, `waited only ${Date.now() - started} ms`);
    });

    test('a long wait is handed back to the caller instead of held (RateLimitWaitError)', async () => {
      const tenant = randomUUID();
      const l = limiter({ limits: { perMinute: 2, perDay: 1000 }, minuteMs: 60_000, maxWaitMs: 200 });
      await (await l.acquire(tenant)).release();
      await (await l.acquire(tenant)).release();
      await assert.rejects(
        l.acquire(tenant),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'minute' && err.waitMs > 50_000,
      );
    });

    test('the rolling day', async () => {
      const tenant = randomUUID();
      const l = limiter({ limits: { perDay: 2, perMinute: 100 }, maxWaitMs: 100 });
      await (await l.acquire(tenant)).release();
      await (await l.acquire(tenant)).release();
      await assert.rejects(
        l.acquire(tenant),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'day',
      );
    });

    test('bulk work leaves a reserve of the minute, the day and the concurrent calls to live work', async () => {
      const tenant = randomUUID();
      const l = limiter({ limits: { perMinute: 12, perDay: 1000, concurrent: 5 }, minuteMs: 60_000, maxWaitMs: 100 });
      assert.deepEqual(liveReserve({ perMinute: 60, perDay: 5000, concurrent: 5 }), {
        perMinute: 10,
        perDay: 500,
        concurrent: 1,
      });
      // Of 12 a minute, bulk work gets 10 …
      for (let i = 0; i < 10; i++) await (await l.acquire(tenant, { bulk: true })).release();
      await assert.rejects(
        l.acquire(tenant, { bulk: true }),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'minute',
      );
      // … and live work still gets the last two at once.
      await (await l.acquire(tenant)).release();
      await (await l.acquire(tenant)).release();
      await assert.rejects(l.acquire(tenant), (err: unknown) => err instanceof RateLimitWaitError);

      // In flight: bulk work takes 4 of 5 slots; the fifth is live work's.
      const other = randomUUID();
      const held = await Promise.all([1, 2, 3, 4].map(() => l.acquire(other, { bulk: true })));
      await assert.rejects(
        l.acquire(other, { bulk: true }),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'concurrent',
      );
      const live = await l.acquire(other);
      await Promise.all([...held, live].map((p) => p.release()));
    });

    test("Xero's Retry-After blocks every worker for that tenant", async () => {
      const tenant = randomUUID();
      const a = limiter({ maxWaitMs: 100 });
      const b = limiter({ maxWaitMs: 5_000 });
      const permit = await a.acquire(tenant);
      await permit.release({ retryAfterSeconds: 1, problem: 'minute' });
      await assert.rejects(
        a.acquire(tenant),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'blocked',
      );
      const started = Date.now();
      await (await b.acquire(tenant)).release();
      assert.ok(Date.now() - started >= 700, 'waited for Retry-After');
    });

    test('X-MinLimit-Remaining: 0 stops calls even when our own count is low', async () => {
      const tenant = randomUUID();
      const l = limiter({ maxWaitMs: 100, minuteMs: 60_000 });
      const permit = await l.acquire(tenant);
      await permit.release({ headers: { 'X-MinLimit-Remaining': '0', 'X-DayLimit-Remaining': '4000' } });
      await assert.rejects(
        l.acquire(tenant),
        (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'minute',
      );
    });

    test("X-MinLimit-Remaining: 0 lasts until Xero's counted calls age out, not a minute after the answer", async () => {
      // Xero's minute rolls: three calls at 0 ms, a fourth at 600 ms answered "0 left". The first
      // calls leave Xero's window at 1,000 ms, so a call may go then, not at 1,600 ms.
      const tenant = randomUUID();
      const l = limiter({ limits: { perMinute: 100 }, minuteMs: 1_000, maxWaitMs: 5_000 });
      const started = Date.now();
      for (let i = 0; i < 3; i++) await (await l.acquire(tenant)).release();
      await new Promise((r) => setTimeout(r, 600 - (Date.now() - started)));
      await (await l.acquire(tenant)).release({ headers: { 'X-MinLimit-Remaining': '0' } });
      await (await l.acquire(tenant)).release();
      const waited = Date.now() - started;
      assert.ok(waited >= 950, `went at ${waited} ms, before Xero's count had room`);
      assert.ok(waited < 1_450, `went at ${waited} ms: held until a minute after the answer`);
    });

    test('a permit never released (killed worker) frees its slot when the lease ends', async () => {
      const tenant = randomUUID();
      const l = limiter({ limits: { concurrent: 1 }, leaseMs: 300, maxWaitMs: 3_000 });
      await l.acquire(tenant); // never released
      const started = Date.now();
      await (await l.acquire(tenant)).release();
      assert.ok(Date.now() - started >= 200);
    });
  });
}
