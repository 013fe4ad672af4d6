import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { findTemporalCli } from '../src/temporal/find-cli';

describe('loadConfig', () => {
  test('embedded defaults with nothing set', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.PORT, 3000);
    assert.equal(cfg.DATABASE_URL, undefined);
    assert.equal(cfg.TEMPORAL_ADDRESS, undefined);
    assert.equal(cfg.TEMPORAL_UI_PORT, 8233);
    assert.match(cfg.XERO_SCOPES, /accounting\.invoices/);
    assert.equal(cfg.XERO_API_URL, 'https://api.xero.com');
  });

  const bad: Array<[Record<string, string>, string, RegExp]> = [
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL', /PostgreSQL connection URL/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', /PostgreSQL/],
    [{ PORT: 'eighty' }, 'PORT', /number/],
    [{ PORT: '70000' }, 'PORT', /65535/],
    [{ TEMPORAL_ADDRESS: 'http://x' }, 'TEMPORAL_ADDRESS', /host:port/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /info/],
    [{ XERO_API_URL: 'ftp://x' }, 'XERO_API_URL', /http/],
    [{ TOKEN_ENCRYPTION_KEY: 'short' }, 'TOKEN_ENCRYPTION_KEY', /32 bytes/],
    [{ XERO_CLIENT_ID: 'abc' }, 'XERO_CLIENT_SECRET', /both/],
  ];
  for (const [env, name, reason] of bad) {
    test(`refuses ${JSON.stringify(env)} naming ${name}`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, new RegExp(name));
          assert.match(err.message, reason);
          return true;
        },
      );
    });
  }

  test('never echoes a secret value', () => {
    assert.throws(
      () => loadConfig({ SESSION_SECRET: 'tooshort-but-secret' }),
      (err: Error) => !err.message.includes('tooshort-but-secret'),
    );
  });
});

describe('npm start with a bad DATABASE_URL', () => {
  test('exits quickly, naming DATABASE_URL', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'main.ts')], {
      env: { ...process.env, DATABASE_URL: 'nonsense', TEMPORAL_ADDRESS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /DATABASE_URL/);
    assert.ok(Date.now() - started < 15_000, 'took too long to refuse');
  });
});

describe('findTemporalCli', () => {
  test('TEMPORAL_CLI_PATH wins, and must be executable', () => {
    assert.equal(findTemporalCli(process.execPath, ''), process.execPath);
    assert.throws(() => findTemporalCli('/nonexistent/temporal', ''), /TEMPORAL_CLI_PATH/);
  });
  test('then PATH, then nothing (the SDK download)', () => {
    const dir = path.join(__dirname, 'fixtures', 'fake-bin');
    assert.equal(findTemporalCli(undefined, `/nonexistent${path.delimiter}${dir}`), path.join(dir, 'temporal'));
    assert.equal(findTemporalCli(undefined, '/nonexistent'), undefined);
  });
});
