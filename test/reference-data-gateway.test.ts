import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { buildAdminAccess, type AdminAccess } from '../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import type { DatabaseHandle } from '../src/db/database';
import { createLogger } from '../src/log';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { XeroApiError } from '../src/xero/errors';
import { createXeroGateway } from '../src/xero/gateway';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { XERO_LIMITS } from '../src/xero/rate-limiter';
import { createTestDatabase, databaseKinds } from './support/database';
import { connectAccountForTest } from './support/xero-connect';

/**
 * The Setup page's lists are Xero calls like any other: each takes a permit from the per-tenant
 * limiter that the workers share (a row in xero_api_calls), waits while the tenant's budget is
 * spent, and honours a 429's Retry-After, so an admin opening Setup never pushes the organisation
 * over Xero's limits.
 */

const SIM_MINUTE_MS = 3_000;

for (const kind of databaseKinds()) {
  describe(`Setup reference data through the gateway (${kind})`, () => {
    let database: DatabaseHandle;
    let sim: RunningXeroSimulator;
    let access: AdminAccess;
    let onSimMinute: AdminAccess;
    let accountId: string;
    let tenantId: string;

    before(async () => {
      database = await createTestDatabase(kind);
      const { db } = database;
      // A short simulated minute, so a 429's Retry-After is a second or two.
      sim = await startXeroSimulator({ minuteMs: SIM_MINUTE_MS });
      const wiring = {
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
      };
      access = buildAdminAccess(wiring);
      // The same, with the limiter's minute the simulator's: Xero's remaining counts (X-AppMinLimit-
      // Remaining) recover on the clock the limiter expects, as they do with Xero's real minute.
      onSimMinute = buildAdminAccess({ ...wiring, limiter: { minuteMs: SIM_MINUTE_MS } });
      const hostApp = await db
        .insertInto('host_apps')
        .values({ name: 'Quotes Co' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const account = await db
        .insertInto('accounts')
        .values({ host_app_id: hostApp.id, external_id: 'acct-ref', name: 'Acme Plumbing', options: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow();
      accountId = account.id;
      ({ tenantId } = await connectAccountForTest({ db, cipher: access.cipher, simUrl: sim.url, accountId }));
    });
    after(async () => {
      await sim?.close();
      await database?.close();
    });

    const permits = async () =>
      (
        await database.db
          .selectFrom('xero_api_calls')
          .select(['started_at', 'finished_at'])
          .where('tenant_id', '=', tenantId)
          .execute()
      ).length;
    const accountingCalls = () => sim.sim.requestLog({ tenantId });
    const reset = async () => {
      access.referenceData.invalidate(accountId);
      onSimMinute.referenceData.invalidate(accountId);
      sim.sim.clearRequestLog();
      await sql`delete from xero_api_calls`.execute(database.db);
      await sql`delete from xero_rate_limits`.execute(database.db);
      await sql`delete from xero_app_calls`.execute(database.db);
      await sql`delete from xero_app_rate_limits`.execute(database.db);
    };

    test('every Xero call of a read takes a permit, released when Xero answered; a cached read takes none', async () => {
      await reset();
      const ref = await access.referenceData.read(accountId);
      assert.ok(ref.accounts.length > 0 && ref.taxRates.length > 0, 'the lists were read');
      const calls = accountingCalls();
      assert.equal(calls.length, 5, 'organisation, accounts, tax rates, tracking categories, branding themes');
      assert.equal(await permits(), calls.length, 'one permit per call');
      const open = await database.db
        .selectFrom('xero_api_calls')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('finished_at', 'is', null)
        .execute();
      assert.deepEqual(open, [], 'every permit released');

      await access.referenceData.read(accountId);
      assert.equal(accountingCalls().length, 5, 'the second read came from the cache');
    });

    test("the tenant's budget spent by the workers: the read does not call Xero and says why", async () => {
      await reset();
      // The minute's 60 calls already made by order sync (the limiter's own record of them).
      await sql`
        insert into xero_api_calls (tenant_id, started_at, finished_at, lease_expires_at)
        select ${tenantId}, clock_timestamp(), clock_timestamp(), clock_timestamp() + interval '2 minutes'
        from generate_series(1, 60)`.execute(database.db);
      await assert.rejects(access.referenceData.read(accountId), (err: unknown) => {
        assert.ok(err instanceof XeroApiError, `a XeroApiError, which the pages explain: ${String(err)}`);
        assert.equal(err.kind, 'rate_limited');
        assert.match(err.message, /minute limit/);
        return true;
      });
      assert.deepEqual(accountingCalls(), [], 'Xero was not called');
    });

    test("a 429 from Xero is honoured: every worker's limiter is told, and the call is made again after Retry-After", async () => {
      await reset();
      // Xero's app-wide minute allows 3 calls, and another install of the same Xero app (whose
      // limiter this engine cannot see) has just spent them: the engine's first call is refused.
      const limits = sim.sim.limits();
      sim.sim.setLimits({ appPerMinute: 3 });
      const other = createXeroGateway({
        access: access.xeroAccess,
        limiter: { limits: XERO_LIMITS, acquire: async () => ({ release: async () => undefined }) },
        apiUrl: sim.url,
        batchWindowMs: 0,
      });
      for (let i = 0; i < 3; i++) await other.call(accountId, (api, t) => api.getOrganisations(t));
      sim.sim.clearRequestLog();
      try {
        const ref = await onSimMinute.referenceData.read(accountId);
        assert.ok(ref.accounts.length > 0 && ref.brandingThemes.length > 0, 'the read completed');
      } finally {
        sim.sim.setLimits(limits);
      }
      const calls = accountingCalls();
      const refused = calls.filter((c) => c.status === 429);
      assert.equal(refused.length, 1, `one 429: ${calls.map((c) => `${c.path} ${c.status}`).join(', ')}`);
      const at = calls.indexOf(refused[0]!);
      const again = calls[at + 1]!;
      assert.equal(again.path, refused[0]!.path, 'the refused call was made again');
      assert.equal(again.status, 200);
      const waited = Date.parse(again.at) - Date.parse(refused[0]!.at);
      assert.ok(waited >= 900, `waited for Retry-After (at least a second), not ${waited} ms`);
      const block = await database.db
        .selectFrom('xero_rate_limits')
        .select(['blocked_until', 'block_reason'])
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      assert.ok(block?.blocked_until, 'the block is shared through the database with the workers');
      assert.equal(await permits(), calls.length, 'the refused call took a permit too');
    });
  });
}
