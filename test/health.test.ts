/**
 * Liveness and readiness for orchestration: the web process (/livez, /readyz, 503 once shutdown
 * begins), the worker's ops server (ready only while the worker runs), and `npm run worker`
 * (src/bin/worker.ts) as its own process: its ops server probes and serves the Temporal SDK
 * runtime's metrics next to the engine's — in a process of its own because Runtime.install can
 * happen once per process, and this one's runtime (test/support/temporal.ts) has no exporter.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { createApp } from '../web/app';
import { listen, type RunningWebServer } from '../web/server';
import { createLogger } from '../src/log';
import { migrateToLatest, openDatabase, pingDatabase, type DatabaseHandle } from '../src/db/database';
import { shutdownState } from '../src/metrics/probes';
import { startOpsServer } from '../src/metrics/ops-server';
import { testTemporal, type TestTemporal } from './support/temporal';
import { createTestDatabase } from './support/database';
import { eventually } from './support/orders';
import { freePort } from './support/free-port';
import { metricSum } from './support/metrics-text';

let temporal: TestTemporal;
let database: DatabaseHandle;
const log = createLogger('silent');

before(async () => {
  temporal = await testTemporal();
  database = await createTestDatabase();
});
after(async () => {
  await database?.close();
  await temporal?.close();
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('web process', () => {
  let web: RunningWebServer;
  const shutdown = shutdownState();
  before(async () => {
    web = await listen(createApp({ db: database.db, temporal: temporal.client, log, shutdown }), 0, '127.0.0.1');
  });
  after(async () => web?.close());

  test('/livez answers without looking at anything; /readyz checks the database and Temporal', async () => {
    const live = await get(`${web.url}/livez`);
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body), { status: 'ok' });
    const ready = await get(`${web.url}/readyz`);
    assert.equal(ready.status, 200, ready.body);
    const body = JSON.parse(ready.body) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.database?.ok, true);
    assert.equal(body.checks.temporal?.ok, true);
    // The old combined check stays for whoever uses it.
    assert.equal((await get(`${web.url}/healthz`)).status, 200);
  });

  test('once shutdown begins, /readyz answers 503 (load balancers drain) while /livez stays 200', async () => {
    shutdown.begin();
    const ready = await get(`${web.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((JSON.parse(ready.body) as { status: string }).status, 'shutting_down');
    assert.equal((await get(`${web.url}/livez`)).status, 200);
  });

  test('a database that does not answer makes /readyz 503 within its deadline, naming the check', async () => {
    const broken = openDatabase({ kind: 'postgres', url: 'postgres://nobody:nothing@127.0.0.1:1/none', poolSize: 1 });
    const app = await listen(createApp({ db: broken.db, temporal: temporal.client, log }), 0, '127.0.0.1');
    try {
      const started = Date.now();
      const ready = await get(`${app.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.ok(Date.now() - started < 5_000);
      const body = JSON.parse(ready.body) as { checks: Record<string, { ok: boolean; error?: string }> };
      assert.equal(body.checks.database?.ok, false);
      assert.doesNotMatch(ready.body, /nothing/, 'no connection secrets in the answer');
      assert.equal((await get(`${app.url}/livez`)).status, 200);
    } finally {
      await app.close();
      await broken.close().catch(() => undefined);
    }
  });
});

describe('worker ops server', () => {
  test('/readyz is 200 while the worker runs and 503 once it is stopped or shutting down', async () => {
    const { worker, stop } = await temporal.startWorker({
      db: database.db,
      databaseKind: database.kind,
      temporalClient: temporal.client,
    } as Parameters<TestTemporal['startWorker']>[0]);
    const shutdown = shutdownState();
    const ops = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      log,
      worker: () => worker,
      database: () => pingDatabase(database.db),
      temporal: () => temporal.nativeConnection.workflowService.getSystemInfo({}),
      shutdown,
    });
    try {
      assert.equal((await get(`${ops.url}/livez`)).status, 200);
      const ready = await eventually(async () => {
        const r = await get(`${ops.url}/readyz`);
        return r.status === 200 ? r : undefined;
      }, 15_000);
      assert.equal(
        (JSON.parse(ready.body) as { checks: { worker: { state: string } } }).checks.worker.state,
        'RUNNING',
      );
      await stop();
      const stopped = await get(`${ops.url}/readyz`);
      assert.equal(stopped.status, 503);
      assert.equal(
        (JSON.parse(stopped.body) as { checks: { worker: { state: string } } }).checks.worker.state,
        'STOPPED',
      );
      shutdown.begin();
      assert.equal(JSON.parse((await get(`${ops.url}/readyz`)).body).status, 'shutting_down');
      assert.equal((await get(`${ops.url}/nothing`)).status, 404);
    } finally {
      await ops.close();
    }
  });
});

describe('npm run worker (src/bin/worker.ts)', () => {
  const url = process.env.DATABASE_URL;
  let child: ChildProcess | undefined;
  let output = '';
  let schema: string | undefined;
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (schema && url) {
      const admin = openDatabase({ kind: 'postgres', url, poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db).catch(() => undefined);
      await admin.close();
    }
  });

  test(
    'its ops server: live, ready once polling, /metrics with the SDK runtime metrics and the engine’s, token enforced, 503 on SIGTERM',
    {
      skip: url ? false : 'needs DATABASE_URL (the standalone worker refuses PGlite it cannot share)',
      timeout: 180_000,
    },
    async () => {
      // A schema of its own, migrated here, so the worker's own migration run finds it up to date.
      schema = `test_${randomBytes(6).toString('hex')}`;
      const admin = openDatabase({ kind: 'postgres', url: url!, poolSize: 1 });
      await sql`create schema ${sql.id(schema)}`.execute(admin.db);
      await admin.close();
      const scoped = openDatabase({ kind: 'postgres', url: url!, poolSize: 1, searchPath: schema });
      await migrateToLatest(scoped.db, { schema });
      await scoped.close();
      const databaseUrl = new URL(url!);
      databaseUrl.searchParams.set('options', `-c search_path=${schema}`);

      const port = await freePort();
      const token = `t-${randomBytes(16).toString('hex')}`;
      child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'bin', 'worker.ts')], {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl.toString(),
          TEMPORAL_TASK_QUEUE: `ops-${randomUUID()}`,
          TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
          SESSION_SECRET: randomBytes(32).toString('hex'),
          WORKER_OPS_HOST: '127.0.0.1',
          WORKER_OPS_PORT: String(port),
          METRICS_TOKEN: token,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      const base = `http://127.0.0.1:${port}`;
      const alive = () => {
        if (child?.exitCode !== null) throw new Error(`worker exited: ${output}`);
      };

      // Live as soon as it listens, ready once the worker polls (after bundling the workflows).
      await eventually(
        async () => {
          alive();
          return (await get(`${base}/livez`).catch(() => ({ status: 0 }))).status === 200;
        },
        60_000,
        'ops server up',
      );
      await eventually(
        async () => {
          alive();
          return (await get(`${base}/readyz`)).status === 200;
        },
        150_000,
        'worker ready',
      );

      assert.equal((await get(`${base}/metrics`)).status, 401);
      const text = await eventually(
        async () => {
          const res = await get(`${base}/metrics`, { authorization: `Bearer ${token}` });
          assert.equal(res.status, 200);
          // The SDK's pollers report within a moment of starting.
          return /^temporal_\w+/m.test(res.body) ? res.body : undefined;
        },
        30_000,
        'SDK runtime metrics',
      );
      assert.equal(metricSum(text, 'xero_sync_temporal_runtime_metrics_up'), 1);
      assert.match(text, /^temporal_num_pollers\b|^temporal_worker_task_slots_available\b/m);
      assert.ok(metricSum(text, 'process_resident_memory_bytes') > 0);
      assert.equal(metricSum(text, 'xero_sync_metrics_database_up'), 1);
      assert.equal(metricSum(text, 'xero_sync_outbox_pending'), 0);

      child.kill('SIGTERM');
      // While the worker stops (its polls end, the webhook loop finishes), readiness answers 503 and
      // liveness 200; then the server closes. Never "ready" again after the first 503.
      const seen: number[] = [];
      while (child.exitCode === null) {
        const res = await get(`${base}/readyz`).catch(() => undefined);
        if (!res) break;
        seen.push(res.status);
        await new Promise((r) => setTimeout(r, 10));
      }
      // A quiet worker may stop before one probe gets through (the in-process test above shows the
      // 503 itself); what must never happen is "ready" again once it said 503.
      const firstUnready = seen.indexOf(503);
      if (firstUnready >= 0) {
        assert.ok(
          seen.slice(firstUnready).every((s) => s === 503),
          seen.join(','),
        );
      }
      const code = await new Promise<number | null>((resolve) =>
        child!.exitCode !== null ? resolve(child!.exitCode) : child!.once('exit', (c) => resolve(c)),
      );
      assert.equal(code, 0, output);
    },
  );
});
