import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { sql } from 'kysely';
import { createHostApp } from '../src/access/api-keys';
import { upsertAccount } from '../src/access/accounts';
import type { DatabaseHandle } from '../src/db/database';
import { createLogger } from '../src/log';
import { createTokenCipher } from '../src/security/token-cipher';
import { NotConnectedError } from '../src/xero/access';
import { XeroApiError } from '../src/xero/errors';
import { createXeroIdentity, InvalidGrantError, SIMULATOR_CLIENT } from '../src/xero/identity';
import { createXeroAccessProvider } from '../src/xero/token-provider';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createTestDatabase } from './support/database';
import { connectAccountForTest, simulatorIdentity } from './support/xero-connect';

/**
 * The token lifecycle against the simulator with Xero's rotation and NO grace period, so a second
 * use of a rotated refresh token fails as it would once Xero's 30-minute grace is over.
 */

let sim: RunningXeroSimulator;
let database: DatabaseHandle;
const key = randomBytes(32);
const cipher = createTokenCipher(key);
const log = createLogger('silent');

before(async () => {
  sim = await startXeroSimulator({ refreshGraceMs: 0 });
  database = await createTestDatabase();
});
after(async () => {
  await database.close();
  await sim.close();
});

async function connectedAccount(): Promise<string> {
  const app = await createHostApp(database.db, { name: 'Host' });
  const { account } = await upsertAccount(database.db, app.id, `acct-${randomBytes(4).toString('hex')}`, {
    name: 'Shop',
    options: {},
  });
  await connectAccountForTest({ db: database.db, cipher, simUrl: sim.url, accountId: account.id });
  return account.id;
}

const tokenCalls = () => sim.sim.requestLog({ pathContains: '/connect/token' }).length;
const row = (accountId: string) =>
  database.db.selectFrom('connections').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
const expireIn = (accountId: string, ms: number) =>
  database.db
    .updateTable('connections')
    .set({ access_token_expires_at: new Date(Date.now() + ms) })
    .where('account_id', '=', accountId)
    .execute();

describe('one function gives a valid access token', () => {
  test('a fresh token is returned as stored, without calling Xero', async () => {
    const accountId = await connectedAccount();
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: simulatorIdentity(sim.url), log });
    const before = tokenCalls();
    const access = await provider.accessFor(accountId);
    assert.equal(access.accessToken, cipher.decrypt((await row(accountId)).access_token_enc));
    assert.equal(tokenCalls(), before);
  });

  test('less than two minutes left: refreshed, and the rotated refresh token stored', async () => {
    const accountId = await connectedAccount();
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: simulatorIdentity(sim.url), log });
    const old = await row(accountId);
    await expireIn(accountId, 100_000);
    const access = await provider.accessFor(accountId);
    const now = await row(accountId);
    assert.notEqual(access.accessToken, cipher.decrypt(old.access_token_enc));
    assert.equal(access.accessToken, cipher.decrypt(now.access_token_enc));
    assert.notEqual(cipher.decrypt(now.refresh_token_enc), cipher.decrypt(old.refresh_token_enc));
    assert.ok(now.access_token_expires_at.getTime() > Date.now() + 25 * 60_000);
    // The old refresh token is spent; the stored one works.
    await assert.rejects(simulatorIdentity(sim.url).refresh(cipher.decrypt(old.refresh_token_enc)), InvalidGrantError);
    await expireIn(accountId, 0);
    await provider.accessFor(accountId);
    assert.equal((await row(accountId)).status, 'active');
  });

  test('after a 401: refreshed once; a token someone already replaced is not refreshed again', async () => {
    const accountId = await connectedAccount();
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: simulatorIdentity(sim.url), log });
    const first = await provider.accessFor(accountId);
    const before = tokenCalls();
    const second = await provider.refreshAfterRejection(accountId, first.accessToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal(tokenCalls(), before + 1);
    const third = await provider.refreshAfterRejection(accountId, first.accessToken);
    assert.equal(third.accessToken, second.accessToken);
    assert.equal(tokenCalls(), before + 1);
  });

  test('many callers in one process at once: one refresh', async () => {
    const accountId = await connectedAccount();
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: simulatorIdentity(sim.url), log });
    await expireIn(accountId, 0);
    const before = tokenCalls();
    const results = await Promise.all(Array.from({ length: 6 }, () => provider.accessFor(accountId)));
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
    assert.equal(tokenCalls(), before + 1);
  });

  test('Xero unreachable during a refresh: a retryable error, the stored tokens untouched', async () => {
    const accountId = await connectedAccount();
    const dead = createXeroIdentity({
      loginUrl: 'http://127.0.0.1:9',
      identityUrl: 'http://127.0.0.1:9',
      apiUrl: 'http://127.0.0.1:9',
      ...SIMULATOR_CLIENT,
      scopes: 'offline_access',
      timeoutMs: 2000,
    });
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: dead, log });
    await expireIn(accountId, 0);
    const before = await row(accountId);
    await assert.rejects(provider.accessFor(accountId), (err: unknown) => err instanceof XeroApiError && err.retryable);
    const after = await row(accountId);
    assert.equal(after.status, 'active');
    assert.equal(after.refresh_token_enc, before.refresh_token_enc);
  });

  test('invalid_grant: the connection needs reconnecting and callers are told so, without more calls to Xero', async () => {
    const accountId = await connectedAccount();
    const provider = createXeroAccessProvider({ db: database.db, cipher, identity: simulatorIdentity(sim.url), log });
    await simulatorIdentity(sim.url).revoke(cipher.decrypt((await row(accountId)).refresh_token_enc));
    await expireIn(accountId, 0);
    await assert.rejects(
      provider.accessFor(accountId),
      (err: unknown) => err instanceof NotConnectedError && err.reason === 'needs_reconnect',
    );
    assert.equal((await row(accountId)).status, 'needs_reconnect');
    const before = tokenCalls();
    await assert.rejects(
      provider.accessFor(accountId),
      (err: unknown) => err instanceof NotConnectedError && err.reason === 'needs_reconnect',
    );
    assert.equal(tokenCalls(), before);
    await assert.rejects(
      provider.accessFor('00000000-0000-0000-0000-000000000000'),
      (err: unknown) => err instanceof NotConnectedError && err.reason === 'not_connected',
    );
  });
});

describe('refreshes serialized across processes', () => {
  const postgres = process.env.DATABASE_URL;
  test(
    'two processes refreshing at once end with one valid token',
    { skip: postgres ? false : 'needs DATABASE_URL (PGlite is single-process)' },
    async () => {
      const accountId = await connectedAccount();
      const searchPath = (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]!.s;
      await expireIn(accountId, 0);
      const before = tokenCalls();
      const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
      const children = [0, 1].map(() =>
        spawn(tsx, [path.join(__dirname, 'fixtures', 'refresh-race-child.ts')], {
          env: {
            ...process.env,
            RACE_SEARCH_PATH: searchPath,
            RACE_SIM_URL: sim.url,
            RACE_KEY_HEX: key.toString('hex'),
            RACE_ACCOUNT_ID: accountId,
            RACE_REFRESH_DELAY_MS: '400',
          },
          stdio: ['pipe', 'pipe', 'inherit'],
        }),
      );
      const lines = children.map((child) => {
        let buffer = '';
        const waiters: Array<(line: string) => void> = [];
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let i;
          while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            waiters.shift()?.(line);
          }
        });
        return () => new Promise<string>((resolve) => waiters.push(resolve));
      });
      try {
        const ready = lines.map((next) => next());
        assert.deepEqual(await Promise.all(ready), ['ready', 'ready']);
        const results = lines.map((next) => next());
        for (const child of children) child.stdin!.write('go\n');
        const answers = (await Promise.all(results)).map(
          (l) => JSON.parse(l) as { ok: boolean; tokenHash?: string; error?: string },
        );
        assert.deepEqual(
          answers.map((a) => a.ok),
          [true, true],
          JSON.stringify(answers),
        );
        assert.equal(answers[0]!.tokenHash, answers[1]!.tokenHash, 'both got the same token');
        assert.equal(tokenCalls(), before + 1, 'exactly one refresh reached Xero');

        const stored = await row(accountId);
        assert.equal(stored.status, 'active');
        assert.equal(
          createHash('sha256').update(cipher.decrypt(stored.access_token_enc)).digest('hex'),
          answers[0]!.tokenHash,
        );
        // The stored refresh token is the live one.
        const next = await simulatorIdentity(sim.url).refresh(cipher.decrypt(stored.refresh_token_enc));
        assert.ok(next.accessToken);
      } finally {
        for (const child of children) child.kill();
        await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
      }
    },
  );
});
