import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../src/config';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/temporal/dev-server';

// Docker cannot run here, so the compose file is checked by reading it: services, ports, wiring.
const root = path.join(__dirname, '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
      container_name?: string;
      hostname?: string;
      stop_grace_period?: string;
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};
const svc = (name: string) => {
  const s = compose.services[name];
  assert.ok(s, `service ${name} missing`);
  return s;
};

describe('docker-compose.yml', () => {
  test('has postgres, temporal, temporal-ui, worker and web', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'migrate',
      'postgres',
      'temporal',
      'temporal-ui',
      'web',
      'worker',
    ]);
    assert.match(svc('postgres').image ?? '', /^postgres:\d+/);
    assert.match(svc('temporal').image ?? '', /^temporalio\/auto-setup:/);
    assert.match(svc('temporal-ui').image ?? '', /^temporalio\/ui:/);
  });

  test('temporal runs on the postgres service with the same credentials', () => {
    const t = svc('temporal').environment ?? {};
    const p = svc('postgres').environment ?? {};
    assert.equal(t.DB, 'postgres12');
    assert.equal(t.POSTGRES_SEEDS, 'postgres');
    assert.equal(t.POSTGRES_USER, p.POSTGRES_USER);
    assert.equal(t.POSTGRES_PWD, p.POSTGRES_PASSWORD);
    assert.equal(svc('temporal-ui').environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  test('worker and web are built from the Dockerfile, wired to postgres and temporal', () => {
    for (const name of ['worker', 'web', 'migrate']) {
      const s = svc(name);
      assert.ok(s.build, `${name} is not built`);
      const env = s.environment ?? {};
      assert.match(env.DATABASE_URL ?? '', /@postgres:5432\/xero_sync$/);
      assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    }
    // Start order: postgres healthy → migrations done → worker/web, which also wait for Temporal.
    assert.equal(svc('migrate').depends_on?.postgres?.condition, 'service_healthy');
    assert.equal(svc('temporal').depends_on?.postgres?.condition, 'service_healthy');
    for (const name of ['worker', 'web']) {
      assert.equal(svc(name).depends_on?.migrate?.condition, 'service_completed_successfully');
      assert.equal(svc(name).depends_on?.temporal?.condition, 'service_healthy');
    }
    assert.deepEqual(svc('worker').command, ['npm', 'run', 'worker']);
    assert.deepEqual(svc('web').command, ['npm', 'run', 'web']);
    assert.deepEqual(svc('migrate').command, ['npm', 'run', 'migrate']);
    assert.equal(svc('web').environment?.HOST, '0.0.0.0');
    assert.equal(svc('web').environment?.PORT, '3000');
  });

  test('publishes the web (3000), Temporal gRPC (7233) and UI (8080) ports', () => {
    assert.ok(svc('web').ports?.includes('3000:3000'));
    assert.ok(svc('temporal').ports?.includes('7233:7233'));
    assert.ok(svc('temporal-ui').ports?.includes('8080:8080'));
  });

  test('every engine variable it sets is one the config knows, and secrets come from .env', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of ['worker', 'web', 'migrate']) {
      for (const key of Object.keys(svc(name).environment ?? {}))
        assert.ok(known.has(key), `${name}: unknown variable ${key}`);
    }
    const raw = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    for (const secret of ['XERO_CLIENT_SECRET', 'TOKEN_ENCRYPTION_KEY', 'SESSION_SECRET', 'POSTGRES_PASSWORD']) {
      assert.match(raw, new RegExp(`\\$\\{${secret}:\\?`), `${secret} must be required from the environment`);
    }
  });

  test("temporal reads the repo's dynamic config, which turns on task-queue priority and fairness", () => {
    const t = svc('temporal');
    const file = t.environment?.DYNAMIC_CONFIG_FILE_PATH;
    assert.ok(file, 'DYNAMIC_CONFIG_FILE_PATH is not set');
    const mount = (t.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === file);
    assert.ok(mount, `nothing is mounted at ${file}`);
    assert.equal(mount[0], './deploy/temporal/dynamicconfig.yaml');
    assert.ok(mount.slice(2).includes('ro'), 'mounted read-only');

    const dynamic = parse(readFileSync(path.join(root, mount[0]), 'utf8')) as Record<
      string,
      Array<{ value: unknown; constraints?: Record<string, unknown> }>
    >;
    // The same keys, and values, as the dev server is started with; global (no constraints).
    for (const key of ['matching.useNewMatcher', 'matching.enableFairness']) {
      assert.equal(DEV_SERVER_DYNAMIC_CONFIG[key], true, `dev server: ${key}`);
      assert.deepEqual(dynamic[key], [{ value: true, constraints: {} }], `docker compose: ${key}`);
    }
  });

  test('the npm scripts the services run exist, and the Dockerfile copies the code they need', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const script of ['worker', 'web', 'migrate']) assert.ok(pkg.scripts[script], `npm script ${script} missing`);
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    for (const dir of ['src', 'workflows', 'activities', 'web']) assert.match(dockerfile, new RegExp(`COPY ${dir} `));
  });

  test('`--scale worker=3` works: the worker has no fixed name, host port or volume of its own', () => {
    const w = svc('worker') as ReturnType<typeof svc> & Record<string, unknown>;
    // Compose refuses to scale a service with a container_name, and a published host port would collide.
    assert.equal(w.container_name, undefined, 'container_name');
    assert.equal(w.hostname, undefined, 'hostname: every replica would claim the same one');
    for (const p of w.ports ?? []) assert.doesNotMatch(String(p), /:/, `host port ${p} would collide between replicas`);
    assert.deepEqual(w.volumes ?? [], [], 'state shared between workers lives in PostgreSQL, not a volume');
    // Nothing depends on one particular worker container.
    for (const [name, s] of Object.entries(compose.services))
      assert.equal(s.depends_on?.worker, undefined, `${name} depends on the worker`);
  });

  test('the worker is given time for its ordered shutdown (every step of src/bin/worker.ts) before SIGKILL', () => {
    const startup = readFileSync(path.join(root, 'src', 'process', 'startup.ts'), 'utf8');
    const stepMs = Number(/SHUTDOWN_STEP_TIMEOUT_MS = ([\d_]+)/.exec(startup)?.[1]?.replace(/_/g, ''));
    const steps =
      readFileSync(path.join(root, 'src', 'bin', 'worker.ts'), 'utf8').match(/\{\s*name: '[^']+',\s*run:/g)?.length ??
      0;
    assert.ok(stepMs > 0 && steps >= 3, 'shutdown steps not found');
    const grace = /^(\d+)s$/.exec(svc('worker').stop_grace_period ?? '');
    assert.ok(grace, 'stop_grace_period in seconds');
    assert.ok(Number(grace[1]) * 1000 >= steps * stepMs, `${grace[1]} s < ${steps} steps × ${stepMs / 1000} s`);
  });
});
