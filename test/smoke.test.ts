import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApp } from '../web/app';
import { listen } from '../web/server';
import { createLogger } from '../src/log';
import { SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { databaseKinds, createTestDatabase } from './support/database';
import { testTemporal, type TestTemporal } from './support/temporal';

let temporal: TestTemporal;

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal.close();
});

for (const kind of databaseKinds()) {
  describe(`smoke on ${kind}`, () => {
    test('a real workflow runs a real activity that reaches the database', async () => {
      const database = await createTestDatabase(kind);
      try {
        const { taskQueue } = await temporal.startWorker({ db: database.db, databaseKind: database.kind });
        const result = await temporal.client.workflow.execute('diagnosticsWorkflow', {
          taskQueue,
          workflowId: `smoke-${randomUUID()}`,
          workflowExecutionTimeout: '30s',
        });
        assert.equal(result.database, kind);
        assert.equal(result.databaseReachable, true);
        assert.equal(result.workerPid, process.pid);
      } finally {
        await database.close();
      }
    });

    test('database round trip through the migrated schema', async () => {
      const database = await createTestDatabase(kind);
      try {
        const app = await database.db
          .insertInto('host_apps')
          .values({ name: 'Quotes Co' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await database.db
          .insertInto('accounts')
          .values({
            host_app_id: app.id,
            external_id: 'acct-1',
            name: 'Plumbing Ltd',
            options: JSON.stringify({ region: 'NZ' }),
          })
          .execute();
        const row = await database.db
          .selectFrom('accounts')
          .selectAll()
          .where('external_id', '=', 'acct-1')
          .executeTakeFirstOrThrow();
        assert.equal(row.name, 'Plumbing Ltd');
        assert.deepEqual(row.options, { region: 'NZ' });
        assert.ok(row.created_at instanceof Date);
        // The (host app, external id) pair is unique: a second insert must be refused.
        await assert.rejects(
          database.db
            .insertInto('accounts')
            .values({ host_app_id: app.id, external_id: 'acct-1', name: 'Dup', options: '{}' })
            .execute(),
        );
      } finally {
        await database.close();
      }
    });
  });
}

describe('the server registers the engine search attributes', () => {
  test('every custom search attribute exists in the namespace', async () => {
    const { customAttributes } = await temporal.client.connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    for (const key of SEARCH_ATTRIBUTES)
      assert.ok(customAttributes && key.name in customAttributes, `${key.name} missing`);
  });
});

describe('GET /healthz', () => {
  test('200 with both checks up, 503 naming the database when it is down', async () => {
    const database = await createTestDatabase();
    const web = await listen(
      createApp({ db: database.db, temporal: temporal.client, log: createLogger('silent') }),
      0,
      '127.0.0.1',
    );
    try {
      const up = await fetch(`${web.url}/healthz`);
      assert.equal(up.status, 200);
      const body = (await up.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
      assert.equal(body.checks.database.ok, true);
      assert.equal(body.checks.temporal.ok, true);

      await database.close();
      const down = await fetch(`${web.url}/healthz`);
      assert.equal(down.status, 503);
      const downBody = (await down.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
      assert.equal(downBody.checks.database.ok, false);
      assert.equal(downBody.checks.temporal.ok, true);
    } finally {
      await web.close();
    }
  });
});
