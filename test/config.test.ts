import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, loadConfig } from '../src/config';
import { defaultConfigFilePath, resolveTemporalConnection } from '../src/temporal/connection-options';
import { makeCertificates, type TestCertificates } from './support/tls-proxy';
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

describe('Temporal connection settings: TEMPORAL_* variables and env-config profiles', () => {
  let dir: string;
  let certs: TestCertificates;
  const read = (p: string) => readFileSync(p, 'utf8');

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-temporal-cfg-'));
    certs = makeCertificates(path.join(dir, 'pki'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Refused by loadConfig (start-up), with every pattern in the message. */
  function refused(env: Record<string, string>, ...patterns: RegExp[]): string {
    let message = '';
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        message = err.message;
        for (const p of patterns) assert.match(err.message, p);
        return true;
      },
    );
    return message;
  }

  function writeToml(name: string, text: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  test('nothing set: no address (npm start runs its own dev server), namespace "default", no TLS', () => {
    const s = resolveTemporalConnection({});
    assert.equal(s.address, undefined);
    assert.equal(s.namespace, 'default');
    assert.deepEqual(s.tls, { enabled: false, serverCa: false, clientCert: false });
    assert.equal(s.apiKey, false);
    assert.deepEqual(s.sources, []);
    loadConfig({});
  });

  test('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE; empty values count as unset', () => {
    const s = resolveTemporalConnection({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'xero',
      TEMPORAL_API_KEY: '',
    });
    assert.equal(s.address, 'temporal:7233');
    assert.equal(s.namespace, 'xero');
    assert.equal(s.connectionOptions().tls, undefined);
    assert.equal(s.connectionOptions().apiKey, undefined);
    assert.deepEqual(s.sources, ['environment']);
  });

  test('TEMPORAL_API_KEY turns TLS on (system CAs), as Temporal Cloud needs; TEMPORAL_TLS=false turns it off with a warning', () => {
    const env = { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-123' };
    const cloud = resolveTemporalConnection(env);
    assert.equal(cloud.connectionOptions().apiKey, 'key-123');
    assert.equal(cloud.connectionOptions().tls, true);
    assert.equal(cloud.tls.enabled, true);
    assert.deepEqual(cloud.warnings, []);
    const plain = resolveTemporalConnection({ ...env, TEMPORAL_TLS: 'false' });
    assert.equal(plain.connectionOptions().tls, false);
    assert.match(plain.warnings.join(), /unencrypted/);
  });

  test('the API key and key material never show when the settings are logged or inspected', () => {
    const s = resolveTemporalConnection({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_API_KEY: 'very-secret-key',
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_DATA: read(certs.clientKeyPath),
    });
    const keyBody = read(certs.clientKeyPath).split('\n')[1]!;
    for (const shown of [JSON.stringify(s), inspect(s, { depth: 10 }), JSON.stringify({ temporal: s })]) {
      assert.ok(!shown.includes('very-secret-key'), shown);
      assert.ok(!shown.includes(keyBody), shown);
    }
    assert.equal(JSON.parse(JSON.stringify(s)).apiKey, true);
  });

  test('TEMPORAL_TLS=true alone: TLS with the system CAs', () => {
    const s = resolveTemporalConnection({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'true' });
    assert.equal(s.tls.enabled, true);
    assert.deepEqual(s.connectionOptions().tls, {
      serverNameOverride: undefined,
      serverRootCACertificate: undefined,
      clientCertPair: undefined,
    });
    assert.equal(resolveTemporalConnection({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: '1' }).tls.enabled, true);
  });

  test('server CA by path or inline data, server name, client certificate and key (mTLS) by path or data', () => {
    const byPath = resolveTemporalConnection({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
    });
    const tls = byPath.connectionOptions().tls as TLSConfig;
    assert.equal(Buffer.from(tls.serverRootCACertificate!).toString(), read(certs.caPath));
    assert.equal(tls.serverNameOverride, 'temporal.test');
    assert.equal(Buffer.from(tls.clientCertPair!.crt).toString(), read(certs.clientCertPath));
    assert.equal(Buffer.from(tls.clientCertPair!.key).toString(), read(certs.clientKeyPath));
    assert.deepEqual(byPath.tls, { enabled: true, serverCa: true, clientCert: true, serverName: 'temporal.test' });

    const byData = resolveTemporalConnection({
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: read(certs.caPath),
      TEMPORAL_TLS_CLIENT_CERT_DATA: read(certs.clientCertPath),
      TEMPORAL_TLS_CLIENT_KEY_DATA: read(certs.clientKeyPath),
    });
    const dataTls = byData.connectionOptions().tls as TLSConfig;
    assert.equal(Buffer.from(dataTls.serverRootCACertificate!).toString().trim(), read(certs.caPath).trim());
    assert.equal(Buffer.from(dataTls.clientCertPair!.key).toString().trim(), read(certs.clientKeyPath).trim());
  });

  test('TEMPORAL_GRPC_META_* become gRPC headers', () => {
    const s = resolveTemporalConnection({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_GRPC_META_TENANT: 'a1' });
    assert.deepEqual(s.connectionOptions().metadata, { tenant: 'a1' });
  });

  const base = { TEMPORAL_ADDRESS: 'temporal:7233' };
  test('a client certificate without its key, or a key without its certificate, is refused naming both', () => {
    refused(
      { ...base, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath },
      /TEMPORAL_TLS_CLIENT_CERT_PATH is set but no client key/,
      /TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    refused(
      { ...base, TEMPORAL_TLS_CLIENT_KEY_DATA: read(certs.clientKeyPath) },
      /TEMPORAL_TLS_CLIENT_KEY_DATA is set but no client certificate/,
    );
  });

  test('an unreadable path names the variable and the path', () => {
    const missing = path.join(dir, 'nope', 'ca.pem');
    refused(
      { ...base, TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read the server CA certificate at/,
      new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      /no such file/,
    );
    refused(
      { ...base, TEMPORAL_TLS_CLIENT_CERT_PATH: dir, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath },
      /TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read .* \(it is a directory\)/,
    );
  });

  test('PEM that is not PEM, or does not parse, is refused; a key must belong to the certificate', () => {
    refused(
      { ...base, TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'hello' },
      /TEMPORAL_TLS_SERVER_CA_CERT_DATA: the server CA certificate is not PEM/,
    );
    refused(
      { ...base, TEMPORAL_TLS_SERVER_CA_CERT_DATA: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' },
      /TEMPORAL_TLS_SERVER_CA_CERT_DATA: the server CA certificate does not parse/,
    );
    const message = refused(
      {
        ...base,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
        TEMPORAL_TLS_CLIENT_KEY_DATA: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----',
      },
      /TEMPORAL_TLS_CLIENT_KEY_DATA: the client private key does not parse/,
    );
    assert.ok(!message.includes('c2VjcmV0LWJ5dGVz'), 'key material is not echoed');
    refused(
      { ...base, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.caPath },
      /TEMPORAL_TLS_CLIENT_KEY_PATH: the client private key is not PEM/,
    );
    refused(
      {
        ...base,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKeyPath,
      },
      /TEMPORAL_TLS_CLIENT_KEY_PATH is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
  });

  test('a path and inline data for the same item are refused naming both', () => {
    refused(
      { ...base, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath, TEMPORAL_TLS_SERVER_CA_CERT_DATA: read(certs.caPath) },
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_CA_CERT_DATA both give the server CA certificate/,
    );
  });

  test('TEMPORAL_TLS and TEMPORAL_TLS_DISABLE_HOST_VERIFICATION take only what the SDK reads the same way', () => {
    refused({ ...base, TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS: expected true or false/);
    refused(
      { ...base, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' },
      /not supported by Temporal's TypeScript SDK.*TEMPORAL_TLS_SERVER_NAME/,
    );
    loadConfig({ ...base, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'false' });
  });

  test('an API key or TLS without an address is refused: the dev server npm start runs has neither', () => {
    refused({ TEMPORAL_API_KEY: 'k' }, /TEMPORAL_API_KEY given but no Temporal address/, /dev server/);
    refused({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath }, /TLS settings given but no Temporal address/);
    loadConfig({ TEMPORAL_TLS: 'false' });
  });

  test('a profile file (TEMPORAL_CONFIG_FILE): address, namespace, API key and TLS; the environment wins', () => {
    const file = writeToml(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "default.example:7233"',
        '',
        '[profile.prod]',
        'address = "prod.example:7233"',
        'namespace = "xero-prod"',
        'api_key = "from-profile"',
        '[profile.prod.tls]',
        `server_ca_cert_path = "${certs.caPath}"`,
        'server_name = "temporal.test"',
        `client_cert_path = "${certs.clientCertPath}"`,
        `client_key_path = "${certs.clientKeyPath}"`,
        '',
      ].join('\n'),
    );
    const dflt = resolveTemporalConnection({ TEMPORAL_CONFIG_FILE: file });
    assert.equal(dflt.address, 'default.example:7233');
    assert.deepEqual(dflt.sources, [`profile "default" in ${file}`]);

    const prod = resolveTemporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    assert.equal(prod.address, 'prod.example:7233');
    assert.equal(prod.namespace, 'xero-prod');
    assert.equal(prod.connectionOptions().apiKey, 'from-profile');
    assert.deepEqual(prod.tls, { enabled: true, serverCa: true, clientCert: true, serverName: 'temporal.test' });

    const overridden = resolveTemporalConnection({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_ADDRESS: 'env.example:7233',
      TEMPORAL_NAMESPACE: 'from-env',
      TEMPORAL_API_KEY: 'from-env-key',
    });
    assert.equal(overridden.address, 'env.example:7233');
    assert.equal(overridden.namespace, 'from-env');
    assert.equal(overridden.connectionOptions().apiKey, 'from-env-key');
    assert.deepEqual(overridden.sources, ['environment', `profile "prod" in ${file}`]);
  });

  test('the default profile file: $XDG_CONFIG_HOME or ~/.config /temporalio/temporal.toml; absent is fine', () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.config', 'temporalio'), { recursive: true });
    assert.equal(resolveTemporalConnection({ HOME: path.join(dir, 'nobody') }).address, undefined);
    writeFileSync(
      path.join(home, '.config', 'temporalio', 'temporal.toml'),
      '[profile.default]\naddress = "home.example:7233"\n',
    );
    assert.equal(resolveTemporalConnection({ HOME: home }).address, 'home.example:7233');
    assert.equal(
      defaultConfigFilePath({ XDG_CONFIG_HOME: '/xdg', HOME: home }, 'linux'),
      '/xdg/temporalio/temporal.toml',
    );
    assert.equal(
      defaultConfigFilePath({ HOME: '/Users/a' }, 'darwin'),
      '/Users/a/Library/Application Support/temporalio/temporal.toml',
    );
  });

  test('profile errors: missing file, unknown profile, bad TOML, bad address, path and data across file and environment', () => {
    refused(
      { TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') },
      /TEMPORAL_CONFIG_FILE \(.*missing\.toml\): cannot read it \(no such file\)/,
    );
    const file = writeToml(
      'two.toml',
      '[profile.a]\naddress = "a.example:7233"\n[profile.b]\naddress = "b.example:7233"\n',
    );
    refused(
      { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' },
      /TEMPORAL_PROFILE: no profile "prod" in .*two\.toml \(it has: a, b\)/,
    );
    refused({ TEMPORAL_PROFILE: 'prod' }, /TEMPORAL_PROFILE: profile "prod" asked for, but there is no config file/);
    refused(
      { TEMPORAL_CONFIG_FILE: writeToml('bad.toml', '[profile.default\naddress = 1') },
      /bad\.toml\): not a valid Temporal config file/,
    );
    refused(
      { TEMPORAL_CONFIG_FILE: writeToml('addr.toml', '[profile.default]\naddress = "http://x"\n') },
      /address of profile "default" in .*addr\.toml: expected host:port/,
    );
    const withPath = writeToml(
      'ca.toml',
      `[profile.default]\naddress = "x.example:7233"\n[profile.default.tls]\nserver_ca_cert_path = "${certs.caPath}"\n`,
    );
    refused(
      { TEMPORAL_CONFIG_FILE: withPath, TEMPORAL_TLS_SERVER_CA_CERT_DATA: read(certs.caPath) },
      /tls\.server_ca_cert_path of profile "default" in .*ca\.toml and TEMPORAL_TLS_SERVER_CA_CERT_DATA both give the server CA certificate/,
    );
    const missingCa = writeToml(
      'ca2.toml',
      `[profile.default]\naddress = "x.example:7233"\n[profile.default.tls]\nserver_ca_cert_path = "${path.join(dir, 'none.pem')}"\n`,
    );
    refused(
      { TEMPORAL_CONFIG_FILE: missingCa },
      /tls\.server_ca_cert_path of profile "default" in .*ca2\.toml: cannot read the server CA certificate at .*none\.pem/,
    );
  });
});
