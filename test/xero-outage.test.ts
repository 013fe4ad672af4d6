import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DatabaseHandle } from '../src/db/database';
import { toActivityFailure } from '../src/orders/failures';
import { XeroApiError } from '../src/xero/errors';
import { probeDelayMs, DEFAULT_OUTAGE, XERO_UNAVAILABLE_RETRY_MS } from '../src/xero/outage';
import { createRateLimiter, RateLimitWaitError, type Permit, type RateLimiterOptions } from '../src/xero/rate-limiter';
import { createTestDatabase, databaseKinds } from './support/database';

/**
 * A tenant Xero stops answering (5xx, no answer) is "unavailable" for every worker: one probe at a
 * time, the other callers handed back at once with a short wait, the probe spacing backing off to a
 * cap, and the first answer ending it for everyone.
 */

const isUnavailable = (err: unknown) => err instanceof RateLimitWaitError && err.reason === 'unavailable';
const waitOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    assert.ok(isUnavailable(err), `an 'unavailable' wait: ${String(err)}`);
    return (err as RateLimitWaitError).waitMs;
  }
  assert.fail('a permit was granted');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outage = { probeInitialMs: 150, probeMaxMs: 400, probeLeaseMs: 30_000 };

test('probe spacing: none before the first probe, then 1 s, 2 s, 4 s, capped at 5 s; the retry delay is fixed', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((f) => probeDelayMs(DEFAULT_OUTAGE, f)),
    [1_000, 2_000, 4_000, 5_000, 5_000, 5_000],
  );
  assert.equal(probeDelayMs(DEFAULT_OUTAGE, 0), 0);
  // A Xero 5xx or lost answer retries after the same second at any attempt (the mapping has no
  // attempt to grow with), never on the activity's exponential back-off.
  for (const err of [new XeroApiError('server', 503, 'down'), new XeroApiError('network', 0, 'socket hang up')]) {
    const mapped = toActivityFailure(err);
    assert.ok(mapped instanceof ApplicationFailure && !mapped.nonRetryable);
    assert.equal(mapped.type, 'XeroUnavailable');
    assert.equal(mapped.nextRetryDelay, XERO_UNAVAILABLE_RETRY_MS);
  }
  const wait = toActivityFailure(new RateLimitWaitError(2_000, 'unavailable'));
  assert.ok(wait instanceof ApplicationFailure);
  assert.equal(wait.type, 'RateLimitWait');
  assert.equal(wait.nextRetryDelay, 2_000);
});

for (const kind of databaseKinds()) {
  describe(`Xero unavailable for a tenant (${kind})`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(kind);
    });
    after(async () => {
      await database.close();
    });
    // maxWaitMs 0: any wait is handed back, so each answer is read rather than slept through.
    const limiter = (opts: Omit<RateLimiterOptions, 'db'> = {}) =>
      createRateLimiter({ db: database.db, pollMs: 20, maxWaitMs: 0, outage, ...opts });
    const row = (tenantId: string) =>
      database.db.selectFrom('xero_outages').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

    test('one probe at a time across workers, the others handed back with short waits; the spacing backs off to its cap', async () => {
      const tenant = randomUUID();
      const [a, b] = [limiter(), limiter()];
      // Three calls in flight when Xero goes down: they fail together and count as one failure.
      const inFlight = [await a.acquire(tenant), await b.acquire(tenant), await a.acquire(tenant)];
      for (const p of inFlight) await p.release({ unavailable: true });
      assert.equal((await row(tenant))?.failures, 1);
      // The first probe goes at once, alone; every other caller, on any worker, is handed back.
      const probe = await b.acquire(tenant);
      for (const l of [a, b]) {
        const wait = await waitOf(l.acquire(tenant));
        assert.ok(wait <= outage.probeInitialMs, `a short wait while the probe is out: ${wait} ms`);
      }
      // Another tenant is not affected.
      await (await a.acquire(randomUUID())).release();
      let releasedAt = Date.now();
      await probe.release({ unavailable: true });
      // Failed probes space the next: 150, 300, then the 400 ms cap. (Wait plus time taken to ask:
      // a loaded machine shortens the answer, never the spacing.)
      const spacings: Array<{ wait: number; spacing: number }> = [];
      for (let i = 0; i < 4; i++) {
        const wait = await waitOf(a.acquire(tenant));
        spacings.push({ wait, spacing: wait + (Date.now() - releasedAt) });
        await sleep(wait + 5);
        const next = await (i % 2 ? a : b).acquire(tenant);
        releasedAt = Date.now();
        await next.release({ unavailable: true });
      }
      const said = JSON.stringify(spacings);
      for (const [i, expected] of [150, 300, 400, 400].entries()) {
        assert.ok(spacings[i]!.wait <= expected, `wait ${i} within ${expected} ms: ${said}`);
        assert.ok(spacings[i]!.spacing >= expected - 20, `spacing ${i} about ${expected} ms: ${said}`);
      }
      assert.equal((await row(tenant))?.failures, 6, 'the first failure and five failed probes');
    });

    test('the first answer ends it: everyone goes at once', async () => {
      const tenant = randomUUID();
      const [a, b] = [limiter(), limiter()];
      await (await a.acquire(tenant)).release({ unavailable: true });
      const probe = await a.acquire(tenant);
      await assert.rejects(b.acquire(tenant), isUnavailable);
      // Xero answered (even a 429 or a validation error is an answer).
      await probe.release({ headers: { 'X-MinLimit-Remaining': '50' } });
      assert.equal(await row(tenant), undefined);
      const permits = await Promise.all([a, b, a, b, a].map((l) => l.acquire(tenant)));
      assert.equal(permits.length, 5, 'five in flight at once, the concurrency limit');
      await Promise.all(permits.map((p) => p.release()));
    });

    test('a single 503 amid successes: the next call goes at once, and its answer ends the state', async () => {
      const tenant = randomUUID();
      const l = limiter();
      const others: Permit[] = [await l.acquire(tenant), await l.acquire(tenant)];
      await (await l.acquire(tenant)).release({ unavailable: true });
      // Calls started before the 503 say nothing about now: their answers leave the state as it is.
      for (const p of others) await p.release();
      assert.equal((await row(tenant))?.failures, 1);
      const next = await l.acquire(tenant);
      await next.release();
      assert.equal(await row(tenant), undefined);
      await (await l.acquire(tenant)).release();
    });

    test('a probe whose worker died is replaced once its lease passes', async () => {
      const tenant = randomUUID();
      const l = limiter({ outage: { ...outage, probeLeaseMs: 300 } });
      await (await l.acquire(tenant)).release({ unavailable: true });
      await l.acquire(tenant); // never released
      await assert.rejects(l.acquire(tenant), isUnavailable);
      await sleep(350);
      await (await l.acquire(tenant)).release();
      assert.equal(await row(tenant), undefined);
    });

    test('in-process callers are not held through an outage: the wait is handed back even when short', async () => {
      const tenant = randomUUID();
      const l = limiter({ maxWaitMs: 10_000 });
      await (await l.acquire(tenant)).release({ unavailable: true });
      const probe = await l.acquire(tenant);
      const started = Date.now();
      await assert.rejects(l.acquire(tenant), isUnavailable);
      assert.ok(Date.now() - started < 1_000, 'handed back, not slept');
      await probe.release();
    });
  });
}
