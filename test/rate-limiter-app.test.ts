import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { buildAdminAccess, type AdminAccess } from '../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import type { DatabaseHandle } from '../src/db/database';
import { createLogger } from '../src/log';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { XeroApiError } from '../src/xero/errors';
import { createXeroGateway, type XeroGateway } from '../src/xero/gateway';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { createRateLimiter, RateLimitWaitError, XERO_LIMITS, type RateLimiterOptions } from '../src/xero/rate-limiter';
import { createTestDatabase, databaseKinds } from './support/database';
import { connectAccountForTest } from './support/xero-connect';

/**
 * Xero's app-wide limit (calls per rolling minute across every organisation the app is connected
 * to) is kept by the shared limiter too: the sum over all tenants and all workers stays within it,
 * and Xero's own word about the app (an `appminute` 429, X-AppMinLimit-Remaining) stops every tenant.
 * Each test uses an app key of its own, so budgets spent by one test never hold another.
 */

const isWait = (reason: RateLimitWaitError['reason']) => (err: unknown) =>
  err instanceof RateLimitWaitError && err.reason === reason;

for (const kind of databaseKinds()) {
  describe(`Xero app-wide rate limit on ${kind}`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(kind);
    });
    after(async () => {
      await database.close();
    });
    const limiter = (opts: Omit<RateLimiterOptions, 'db'>) =>
      createRateLimiter({ db: database.db, pollMs: 20, ...opts });

    test('two tenants on two workers never exceed the app budget together', async () => {
      const app = randomUUID();
      const opts = { app, minuteMs: 60_000, maxWaitMs: 50, limits: { concurrent: 20, appPerMinute: 7 } };
      const workers = [limiter(opts), limiter(opts)];
      const tenants = [randomUUID(), randomUUID()];
      // 20 permits asked at once, each tenant well within its own 60 a minute and 5 in flight.
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, async (_, i) => {
          const permit = await workers[i % 2]!.acquire(tenants[Math.floor(i / 2) % 2]!);
          await permit.release();
        }),
      );
      const granted = results.filter((r) => r.status === 'fulfilled').length;
      assert.equal(granted, 7, 'exactly the app budget is granted');
      for (const r of results)
        if (r.status === 'rejected')
          assert.ok(isWait('app_minute')(r.reason), `an app-minute wait: ${String(r.reason)}`);
      const perTenant = await Promise.all(
        tenants.map(
          async (t) =>
            (await database.db.selectFrom('xero_api_calls').select('id').where('tenant_id', '=', t).execute()).length,
        ),
      );
      assert.equal(perTenant[0]! + perTenant[1]!, 7);
      assert.ok(perTenant[0]! > 0 && perTenant[1]! > 0, `both tenants had calls: ${perTenant.join(', ')}`);
    });

    test('waiting callers go as the rolling minute frees up, never more than the budget in any minute', async () => {
      const app = randomUUID();
      const minuteMs = 1_200;
      const opts = { app, limits: { appPerMinute: 5 }, minuteMs, maxWaitMs: 15_000 };
      const workers = [limiter(opts), limiter(opts)];
      const tenants = [randomUUID(), randomUUID()];
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 14 }, async (_, i) => {
          await (await workers[i % 2]!.acquire(tenants[Math.floor(i / 2) % 2]!)).release();
        }),
      );
      // 14 calls at 5 per 1.2 s: the third window at the earliest.
      assert.ok(Date.now() - started >= 2 * minuteMs - 100, `took only ${Date.now() - started} ms`);
      const rows = await database.db
        .selectFrom('xero_api_calls')
        .select(['started_at'])
        .where('tenant_id', 'in', tenants)
        .orderBy('started_at')
        .execute();
      assert.equal(rows.length, 14);
      const times = rows.map((r) => new Date(r.started_at).getTime());
      for (const t of times) {
        const inWindow = times.filter((u) => u > t - minuteMs && u <= t).length;
        assert.ok(inWindow <= 5, `${inWindow} calls in the minute ending at ${t}`);
      }
    });

    test('bulk work leaves a sixth of the app budget to live work', async () => {
      const app = randomUUID();
      const l = limiter({ app, limits: { appPerMinute: 12 }, minuteMs: 60_000, maxWaitMs: 50 });
      const tenants = [randomUUID(), randomUUID()];
      for (let i = 0; i < 10; i++) await (await l.acquire(tenants[i % 2]!, { bulk: true })).release();
      await assert.rejects(l.acquire(tenants[0]!, { bulk: true }), isWait('app_minute'));
      await (await l.acquire(tenants[1]!)).release();
      await (await l.acquire(tenants[0]!)).release();
      await assert.rejects(l.acquire(tenants[1]!), isWait('app_minute'));
    });

    test("an appminute 429 seen by tenant A blocks tenant B's acquire on another worker until Retry-After", async () => {
      const app = randomUUID();
      const a = limiter({ app, maxWaitMs: 100 });
      const b = limiter({ app, maxWaitMs: 5_000 });
      const [tenantA, tenantB] = [randomUUID(), randomUUID()];
      const permit = await a.acquire(tenantA);
      // Xero's header is compared without case.
      await permit.release({ retryAfterSeconds: 1, problem: 'AppMinute' });
      await assert.rejects(a.acquire(tenantB), (err: unknown) => {
        assert.ok(isWait('app_blocked')(err), String(err));
        assert.match((err as Error).message, /whole app/);
        return true;
      });
      const started = Date.now();
      await (await b.acquire(tenantB)).release();
      assert.ok(Date.now() - started >= 700, `B waited for Retry-After, only ${Date.now() - started} ms`);
      // Another app's budget (another Xero app in the same database) is not touched.
      await (await limiter({ app: randomUUID(), maxWaitMs: 0 }).acquire(tenantB)).release();
    });

    test("a minute 429 of tenant A blocks A only; B's calls go on", async () => {
      const app = randomUUID();
      const l = limiter({ app, maxWaitMs: 100 });
      const [tenantA, tenantB] = [randomUUID(), randomUUID()];
      await (await l.acquire(tenantA)).release({ retryAfterSeconds: 30, problem: 'minute' });
      await assert.rejects(l.acquire(tenantA), isWait('blocked'));
      // Not held at all: with no in-process wait allowed, any wait would throw (no timing to flake).
      const never = limiter({ app, maxWaitMs: 0 });
      await (await never.acquire(tenantB)).release();
      await assert.rejects(never.acquire(tenantA), isWait('blocked'));
      const appRow = await database.db
        .selectFrom('xero_app_rate_limits')
        .selectAll()
        .where('app', '=', app)
        .executeTakeFirst();
      assert.equal(appRow, undefined, 'nothing app-wide was recorded');
    });

    test('X-AppMinLimit-Remaining: 0 read by tenant A stops tenant B even when our own count is low', async () => {
      const app = randomUUID();
      const l = limiter({ app, maxWaitMs: 100, minuteMs: 60_000 });
      const [tenantA, tenantB] = [randomUUID(), randomUUID()];
      // Plenty left: nothing is written app-wide, so a release stays as cheap as before.
      await (await l.acquire(tenantA)).release({ headers: { 'X-AppMinLimit-Remaining': '9000' } });
      assert.equal(
        await database.db.selectFrom('xero_app_rate_limits').select('app').where('app', '=', app).executeTakeFirst(),
        undefined,
      );
      await (await l.acquire(tenantB)).release();
      await (
        await l.acquire(tenantA)
      ).release({
        headers: { 'x-minlimit-remaining': '55', 'x-daylimit-remaining': '4000', 'x-appminlimit-remaining': '0' },
      });
      await assert.rejects(l.acquire(tenantB), isWait('app_minute'));
      // The tenant's own headers were still stored from the same release.
      const tenantRow = await database.db
        .selectFrom('xero_rate_limits')
        .select(['min_remaining', 'day_remaining'])
        .where('tenant_id', '=', tenantA)
        .executeTakeFirstOrThrow();
      assert.deepEqual(tenantRow, { min_remaining: 55, day_remaining: 4000 });
    });

    test('a low X-AppMinLimit-Remaining recovers as the calls Xero counted leave the minute, not at its end', async () => {
      const app = randomUUID();
      const minuteMs = 3_000;
      const l = limiter({ app, minuteMs, maxWaitMs: 10_000 });
      const tenants = [randomUUID(), randomUUID()];
      // Two calls, two more a little later, then a pause; then Xero says none are left (the app's
      // other calls in its count having been these four and some that aged out already).
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      for (let i = 0; i < 2; i++) await (await l.acquire(tenants[i % 2]!)).release();
      const firstCalls = Date.now();
      await sleep(700);
      for (let i = 0; i < 2; i++) await (await l.acquire(tenants[i % 2]!)).release();
      await sleep(1_300);
      await (await l.acquire(tenants[0]!)).release({ headers: { 'X-AppMinLimit-Remaining': '0' } });
      const observed = Date.now();
      // The next call of any tenant waits for the first two to age out (about 1 s from here, plus
      // half a second for their way to Xero), not for the observation's whole minute (3 s).
      const blocked = limiter({ app, minuteMs, maxWaitMs: 0 });
      await assert.rejects(blocked.acquire(tenants[1]!), (err: unknown) => {
        assert.ok(isWait('app_minute')(err), String(err));
        const wait = (err as RateLimitWaitError).waitMs;
        assert.ok(wait < minuteMs - 900, `waits ${wait} ms, less than the observation's minute`);
        return true;
      });
      await (await l.acquire(tenants[1]!)).release();
      const went = Date.now();
      assert.ok(went - firstCalls >= minuteMs - 150, `not before the first calls aged out: ${went - firstCalls} ms`);
      assert.ok(went - observed < minuteMs - 700, `well before the observation's minute ended: ${went - observed} ms`);
      // Two aged out, so two go; the third waits for the next two to age out.
      await (await l.acquire(tenants[0]!)).release();
      await assert.rejects(blocked.acquire(tenants[1]!), isWait('app_minute'));
    });

    test('a low X-AppMinLimit-Remaining lets through only what Xero said is left', async () => {
      const app = randomUUID();
      const l = limiter({ app, maxWaitMs: 100, minuteMs: 60_000 });
      const tenants = [randomUUID(), randomUUID()];
      // Xero has counted the call that carried the header; three more may go, from any tenant.
      await (await l.acquire(tenants[0]!)).release({ headers: { 'X-AppMinLimit-Remaining': '3' } });
      await (await l.acquire(tenants[1]!)).release();
      await (await l.acquire(tenants[0]!)).release();
      await (await l.acquire(tenants[1]!)).release();
      await assert.rejects(l.acquire(tenants[0]!), isWait('app_minute'));
    });
  });
}

describe('the app-wide limit through the real gateway against the Xero simulator', () => {
  const SIM_MINUTE_MS = 3_000;
  let database: DatabaseHandle;
  let sim: RunningXeroSimulator;
  let access: AdminAccess;
  const accounts: Array<{ accountId: string; tenantId: string }> = [];

  before(async () => {
    database = await createTestDatabase();
    const { db } = database;
    sim = await startXeroSimulator({ minuteMs: SIM_MINUTE_MS });
    access = buildAdminAccess({
      db,
      log: createLogger('silent'),
      secrets: { tokenEncryptionKey: randomBytes(32), sessionSecret: randomBytes(32).toString('base64url') },
      publicUrl: 'http://127.0.0.1:1',
      identity: {
        loginUrl: sim.url,
        identityUrl: sim.url,
        apiUrl: sim.url,
        ...SIMULATOR_CLIENT,
        scopes: DEFAULT_XERO_SCOPES,
      },
    });
    const hostApp = await db
      .insertInto('host_apps')
      .values({ name: 'Quotes Co' })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const org of sim.sim.organisations().slice(0, 2)) {
      const account = await db
        .insertInto('accounts')
        .values({ host_app_id: hostApp.id, external_id: `acct-${org.tenantId}`, name: org.name, options: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const { tenantId } = await connectAccountForTest({
        db,
        cipher: access.cipher,
        simUrl: sim.url,
        accountId: account.id,
        tenantName: org.name,
      });
      accounts.push({ accountId: account.id, tenantId });
    }
    assert.notEqual(accounts[0]!.tenantId, accounts[1]!.tenantId);
  });
  after(async () => {
    await sim?.close();
    await database?.close();
  });

  const gatewayFor = (app: string) =>
    createXeroGateway({
      access: access.xeroAccess,
      limiter: createRateLimiter({ db: database.db, app, minuteMs: SIM_MINUTE_MS, pollMs: 20 }),
      apiUrl: sim.url,
      batchWindowMs: 0,
    });
  const readOrganisation = (gateway: XeroGateway, accountId: string) =>
    gateway.call(accountId, (api, t) => api.getOrganisations(t));

  test("Xero's X-AppMinLimit-Remaining holds both organisations: no 429 although our own app budget is far off", async () => {
    sim.sim.setLimits({ ...sim.sim.limits(), appPerMinute: 4 });
    sim.sim.clearRequestLog();
    const gateway = gatewayFor(randomUUID());
    const started = Date.now();
    for (let i = 0; i < 6; i++) await readOrganisation(gateway, accounts[i % 2]!.accountId);
    const calls = sim.sim.requestLog().filter((c) => c.path.includes('Organisation'));
    assert.deepEqual(
      calls.map((c) => c.status),
      [200, 200, 200, 200, 200, 200],
      'every call was admitted',
    );
    assert.deepEqual(new Set(calls.map((c) => c.tenantId)).size, 2);
    assert.ok(Date.now() - started >= SIM_MINUTE_MS - 200, `the fifth call waited, ${Date.now() - started} ms`);
  });

  test('an appminute 429 answered to one organisation pauses the other until Retry-After', async () => {
    sim.sim.setLimits({ ...sim.sim.limits(), appPerMinute: 3 });
    sim.sim.clearRequestLog();
    const [a, b] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
    // Another install of the same Xero app, whose limiter this engine cannot see, spends the app's minute.
    const other = createXeroGateway({
      access: access.xeroAccess,
      limiter: { limits: XERO_LIMITS, acquire: async () => ({ release: async () => undefined }) },
      apiUrl: sim.url,
      batchWindowMs: 0,
    });
    for (let i = 0; i < 3; i++) await readOrganisation(other, a.accountId);
    const engine = gatewayFor(randomUUID());
    await assert.rejects(readOrganisation(engine, a.accountId), (err: unknown) => {
      assert.ok(err instanceof XeroApiError && err.kind === 'rate_limited', String(err));
      assert.equal(err.rateLimitProblem, 'appminute');
      return true;
    });
    await readOrganisation(engine, b.accountId);
    const log = sim.sim.requestLog();
    const refused = log.filter((c) => c.status === 429);
    assert.equal(refused.length, 1, `one 429 only: ${log.map((c) => `${c.tenantId} ${c.status}`).join(', ')}`);
    assert.equal(refused[0]!.tenantId, a.tenantId);
    const bCall = log.find((c) => c.tenantId === b.tenantId);
    assert.equal(bCall?.status, 200);
    const waited = Date.parse(bCall!.at) - Date.parse(refused[0]!.at);
    assert.ok(waited >= 900, `B waited for Retry-After (at least a second), not ${waited} ms`);
  });
});
