import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../src/config';
import { createHostApp } from '../src/access/api-keys';
import { upsertAccount } from '../src/access/accounts';
import { redeemAdminLink } from '../src/access/admin-links';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { openConfiguredDatabase } from '../src/db/from-config';
import { startEngineProcess } from './support/engine-process';

const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(name: 'admin-link' | 'api-key', args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(tsx, [path.join(root, 'src', 'bin', `${name}.ts`), ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function cliEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extra };
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  return env;
}

test(
  'npm run admin-link while npm start runs: the link comes from the running engine and the server accepts it; the embedded database is never opened twice',
  { timeout: 150_000 },
  async () => {
    const engine = await startEngineProcess();
    try {
      await engine.waitFor(/Press Ctrl-C/);
      const env = cliEnv(engine.dataDir);

      // No argument: the demo account.
      const first = await cli('admin-link', [], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Admin link for "Demo Plumbing Ltd" \(Demo host app\)/);
      const link = new RegExp(`(http://localhost:${engine.port}/admin/enter\\?token=\\S+)`).exec(first.stdout)?.[1];
      assert.ok(link, first.stdout);
      // The server accepts it (a session and the account page), once.
      const enter = await fetch(link.replace('localhost', '127.0.0.1'), { redirect: 'manual' });
      assert.equal(enter.status, 303, await enter.text());
      assert.match(enter.headers.get('location') ?? '', /^\/admin\/accounts\/[0-9a-f-]{36}$/);

      // Named, as the host knows it; an unknown account is refused with exit code 1.
      const named = await cli('admin-link', ['demo', '--host-app', 'Demo host app'], env);
      assert.equal(named.code, 0, named.stderr);
      const unknown = await cli('admin-link', ['nobody'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no account "nobody"/);

      // A used or broken link's page says how to get a new one in the demo.
      const again = await fetch(link.replace('localhost', '127.0.0.1'), { redirect: 'manual' });
      assert.equal(again.status, 410);
      assert.match(await again.text(), /npm run admin-link/);
      const broken = await fetch(`http://127.0.0.1:${engine.port}/admin/enter?token=changed`);
      assert.equal(broken.status, 400);
      assert.match(await broken.text(), /npm run admin-link/);

      // A CLI that would open the embedded database npm start holds refuses, saying what to do.
      const apiKey = await cli('api-key', ['list'], env);
      assert.notEqual(apiKey.code, 0);
      assert.match(apiKey.stderr, /in use by another process \(pid \d+, e\.g\. npm start\)/);
      assert.match(apiKey.stderr, /Stop that process first \(Ctrl-C\), or set DATABASE_URL/);
    } finally {
      await engine.interrupt();
      engine.cleanup();
    }
  },
);

test('admin-link refuses when another process holds the embedded database and hands out no links', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-cli-lock-'));
  const holder = await openConfiguredDatabase(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  try {
    // The lock is this test process's pid: another process, as far as the CLI is concerned.
    const refused = await cli('admin-link', ['demo'], cliEnv(dataDir));
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /embedded database in .+ is in use by another process \(pid \d+\)/);
    assert.match(refused.stderr, /stop that process first/);
    assert.equal(refused.stdout, '');
    const apiKey = await cli('api-key', ['create', '--host-app', 'Quotes Co'], cliEnv(dataDir));
    assert.equal(apiKey.code, 1);
    assert.match(apiKey.stderr, /in use by another process/);
  } finally {
    await holder.close();
  }
  // Released: the CLI opens it (and says the account does not exist).
  const opened = await cli('admin-link', ['demo'], cliEnv(dataDir));
  assert.equal(opened.code, 1);
  assert.match(opened.stderr, /no demo account yet|no account "demo"/);
  // A lock left by a process that no longer runs is taken over.
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.on('exit', r));
  writeFileSync(path.join(dataDir, 'pglite.lock'), `${dead.pid}\n`);
  const taken = await cli('admin-link', ['demo'], cliEnv(dataDir));
  assert.match(taken.stderr, /no demo account yet|no account "demo"/);
  rmSync(dataDir, { recursive: true, force: true });
});

test(
  'with DATABASE_URL (PostgreSQL) admin-link opens the database directly, whatever runs on DATA_DIR',
  { skip: !process.env.DATABASE_URL },
  async () => {
    const url = process.env.DATABASE_URL!;
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const admin = openDatabase({ kind: 'postgres', url, poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    const scoped = openDatabase({ kind: 'postgres', url, poolSize: 2, searchPath: schema });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-cli-pg-'));
    const sleeper = spawn('sleep', ['60']);
    try {
      await migrateToLatest(scoped.db, { schema });
      const app = await createHostApp(scoped.db, { name: 'Quotes Co' });
      const { account } = await upsertAccount(scoped.db, app.id, 'acme-1', { name: 'Acme Ltd', options: {} });
      // An engine file of a live process on DATA_DIR does not matter with DATABASE_URL.
      writeFileSync(
        path.join(dataDir, 'engine.json'),
        JSON.stringify({ pid: sleeper.pid, url: 'http://127.0.0.1:9', token: 'x' }),
      );
      const withSchema = new URL(url);
      withSchema.searchParams.set('options', `-c search_path=${schema}`);
      const result = await cli('admin-link', ['acme-1'], cliEnv(dataDir, { DATABASE_URL: withSchema.toString() }));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Admin link for "Acme Ltd" \(Quotes Co\)/);
      const token = new URL(/(http\S+)/.exec(result.stdout)![1]!).searchParams.get('token')!;
      const secrets = JSON.parse(readFileSync(path.join(dataDir, 'dev-secrets.json'), 'utf8')) as {
        SESSION_SECRET: string;
      };
      assert.deepEqual(await redeemAdminLink(scoped.db, secrets.SESSION_SECRET, token), {
        ok: true,
        accountId: account.id,
      });
    } finally {
      sleeper.kill();
      await scoped.close();
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
