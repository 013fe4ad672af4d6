/**
 * The engine's Temporal connection over real TLS: `temporal server start-dev` has no TLS options,
 * so a TLS-terminating HTTP/2 proxy (test/support/tls-proxy.ts) stands in front of the run's dev
 * server, with certificates made by openssl for this run. Each case goes through `openTemporal`,
 * the path `npm start`, the worker and the web server take.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { loadConfig } from '../src/config';
import { createLogger, REDACT_PATHS, type Logger } from '../src/log';
import { openTemporal, type TemporalHandle } from '../src/temporal/connection';
import { startDevServer, type RunningDevServer } from '../src/temporal/dev-server';
import { findTemporalCli } from '../src/temporal/find-cli';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { WORKFLOWS_PATH } from '../src/worker';
import { freePort } from './support/free-port';
import { makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from './support/tls-proxy';

const API_KEY = 'xs-test-api-key-9f8e7d6c5b4a';

describe('Temporal over TLS, mTLS and API keys (through a TLS proxy)', () => {
  let dir: string;
  let certs: TestCertificates;
  let devServer: RunningDevServer | undefined;
  let target: string;
  const proxies: TlsProxy[] = [];
  const quiet = createLogger('silent');

  before(async () => {
    installTemporalRuntime(quiet);
    dir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-tls-'));
    certs = makeCertificates(dir);
    target = process.env.TEMPORAL_ADDRESS ?? '';
    if (!target) {
      devServer = await startDevServer({ port: await freePort(), namespace: 'default', log: quiet });
      target = devServer.address;
    }
  });

  after(async () => {
    for (const proxy of proxies) await proxy.close();
    await devServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function proxy(opts: { requireClientCert?: boolean; apiKey?: string } = {}): Promise<TlsProxy> {
    const started = await startTlsProxy({ target, certs, ...opts });
    proxies.push(started);
    return started;
  }

  /** openTemporal with exactly these variables (no HOME: no profile file from the machine). */
  function open(env: Record<string, string>, log: Logger = quiet): Promise<TemporalHandle> {
    const full = { LOG_LEVEL: 'silent', ...env };
    return openTemporal(loadConfig(full), log, { devServerStore: 'memory', env: full, waitForServerMs: 2_000 });
  }

  // `localhost`, not 127.0.0.1: the server certificate names both, but a TLS client may not send an
  // IP address as the server name (node warns).
  const at = (p: TlsProxy) => p.address.replace('127.0.0.1', 'localhost');

  test('TLS with the server CA: the client, the search-attribute set-up and a worker all connect', async () => {
    const p = await proxy();
    const temporal = await open({ TEMPORAL_ADDRESS: at(p), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath });
    try {
      const info = await temporal.client.workflowService.getSystemInfo({});
      assert.ok(info.capabilities, 'the client answers through TLS');
      const forwardedBeforeWorker = p.forwarded();
      assert.ok(forwardedBeforeWorker >= 3, 'client, worker connection and search attributes went through the proxy');

      const taskQueue = `tls-${Date.now()}`;
      const bundle = process.env.TEST_WORKFLOW_BUNDLE;
      const worker = await Worker.create({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
        activities: {},
      });
      const running = worker.run();
      try {
        // The worker's long polls reach the server through TLS: the server lists it as a poller.
        const deadline = Date.now() + 10_000;
        let pollers = 0;
        while (pollers === 0 && Date.now() < deadline) {
          const described = await temporal.client.workflowService.describeTaskQueue({
            namespace: temporal.namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          });
          pollers = described.pollers?.length ?? 0;
          if (pollers === 0) await new Promise((r) => setTimeout(r, 200));
        }
        assert.ok(pollers > 0, 'the worker polls through the TLS connection');
      } finally {
        worker.shutdown();
        await running;
      }
    } finally {
      await temporal.close();
    }
  });

  test('a CA that did not sign the server certificate is refused, naming the variable', async () => {
    const p = await proxy();
    const started = Date.now();
    await assert.rejects(
      open({ TEMPORAL_ADDRESS: at(p), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaPath }),
      /not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH.*UnknownIssuer/s,
    );
    // A certificate problem is not waited out like a server that is still starting.
    assert.ok(Date.now() - started < 2_000, 'refused at once');
    await assert.rejects(open({ TEMPORAL_ADDRESS: at(p), TEMPORAL_TLS: 'true' }), /CA this machine trusts/);
  });

  test('TLS towards a plain gRPC port says the server does not speak TLS', async () => {
    await assert.rejects(
      open({ TEMPORAL_ADDRESS: target, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath }),
      /does not speak TLS.*TEMPORAL_TLS=false/,
    );
  });

  test('mTLS: the client certificate gets in; none, or one from another CA, is refused clearly', async () => {
    const p = await proxy({ requireClientCert: true });
    const base = { TEMPORAL_ADDRESS: at(p), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath };
    const temporal = await open({
      ...base,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
    });
    try {
      await temporal.client.workflowService.getSystemInfo({});
      await temporal.nativeConnection.workflowService.getSystemInfo({});
    } finally {
      await temporal.close();
    }
    await assert.rejects(
      open(base),
      /asks for a client certificate \(mTLS\): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    await assert.rejects(
      open({
        ...base,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.strangerCertPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.strangerKeyPath,
      }),
      /does not accept the client certificate/,
    );
  });

  test('a profile written by `temporal config set` connects with mTLS (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE)', async (t) => {
    const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
    if (!cli) return t.skip('no temporal CLI');
    const p = await proxy({ requireClientCert: true });
    const file = path.join(dir, 'temporal.toml');
    const set = (prop: string, value: string) =>
      execFileSync(cli, ['config', 'set', '--profile', 'prod', '--prop', prop, '--value', value], {
        env: { ...process.env, TEMPORAL_CONFIG_FILE: file },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    set('address', at(p));
    set('namespace', 'default');
    set('tls.server_ca_cert_path', certs.caPath);
    set('tls.client_cert_path', certs.clientCertPath);
    set('tls.client_key_path', certs.clientKeyPath);
    const temporal = await open({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    try {
      assert.equal(temporal.address, at(p));
      await temporal.client.workflowService.getSystemInfo({});
    } finally {
      await temporal.close();
    }
  });

  test('the API key travels as `authorization: Bearer …` on every call, and never into a log', async () => {
    const p = await proxy({ apiKey: API_KEY });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const temporal = await open(
      { TEMPORAL_ADDRESS: at(p), TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath },
      log,
    );
    try {
      await temporal.client.workflowService.getSystemInfo({});
      await temporal.nativeConnection.workflowService.getSystemInfo({});
    } finally {
      await temporal.close();
    }
    assert.ok(p.authorizations.length >= 4, `calls seen: ${p.authorizations.length}`);
    for (const header of p.authorizations) assert.equal(header, `Bearer ${API_KEY}`);
    assert.ok(
      lines.some((l) => l.includes('connecting to Temporal')),
      'the connection is logged',
    );
    assert.ok(!lines.join('').includes(API_KEY), 'the API key is not logged');

    const wrong = 'xs-wrong-key-0000';
    await assert.rejects(
      open({ TEMPORAL_ADDRESS: at(p), TEMPORAL_API_KEY: wrong, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath }),
      (err: Error) => {
        assert.match(err.message, /refused the API key \(TEMPORAL_API_KEY\)/);
        assert.ok(!err.message.includes(wrong), 'the key is not in the error');
        return true;
      },
    );
    await assert.rejects(
      open({ TEMPORAL_ADDRESS: at(p), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath }),
      /wants credentials: set TEMPORAL_API_KEY/,
    );
  });
});
