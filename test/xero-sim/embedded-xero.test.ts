import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { DEMO_WEBHOOK_BATCH_MS, embeddedXero, engineWebhookUrl } from '../../src/process/embedded-xero';
import { DEV_SECRETS_FILE, devSecrets, devWebhookKey } from '../../src/security/secrets';
import { webhookReceiver } from './helpers';

/**
 * `npm start` with the embedded simulator: its webhooks go to the engine's `/webhooks/xero`, signed
 * with the key the engine is handed back (`XERO_WEBHOOK_KEY`, else one generated once and kept with
 * the other development secrets).
 */

const log = createLogger('silent');

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xero-sim-embedded-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const secretsIn = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, DEV_SECRETS_FILE), 'utf8')) as Record<string, string>;

describe('the embedded simulator and its webhooks', () => {
  it('posts to PUBLIC_URL, else to the address the web server listens on', () => {
    assert.equal(
      engineWebhookUrl({ PUBLIC_URL: 'https://sync.example.com/', HOST: '0.0.0.0', PORT: 3000 }),
      'https://sync.example.com/webhooks/xero',
    );
    assert.equal(
      engineWebhookUrl({ PUBLIC_URL: undefined, HOST: '0.0.0.0', PORT: 3100 }),
      'http://127.0.0.1:3100/webhooks/xero',
    );
    assert.equal(
      engineWebhookUrl({ PUBLIC_URL: undefined, HOST: '::1', PORT: 3000 }),
      'http://[::1]:3000/webhooks/xero',
    );
  });

  it("signs an accountant's change with the key it returns, kept in dev-secrets.json across restarts", async () => {
    const dataDir = tempDir();
    // The key is only known once the simulator has started: the receiver learns it afterwards.
    let key = '';
    const receiver = await webhookReceiver(() => key);
    const port = Number(new URL(receiver.url).port);
    const cfg = loadConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), XERO_SIM_PORT: '0' });

    const first = await embeddedXero(cfg, log);
    try {
      assert.ok(first.simulator && first.webhookKey);
      key = first.webhookKey;
      assert.equal(first.cfg.XERO_WEBHOOK_KEY, first.webhookKey, 'the engine verifies with the same key');
      assert.equal(first.webhookUrl, `http://127.0.0.1:${port}/webhooks/xero`);
      assert.equal(secretsIn(dataDir).XERO_WEBHOOK_KEY, first.webhookKey);
      assert.equal(statSync(path.join(dataDir, DEV_SECRETS_FILE)).mode & 0o777, 0o600);

      const sim = first.simulator.sim;
      const tenantId = sim.organisations()[0]!.tenantId;
      const contact = sim.contacts(tenantId).find((c) => c.ContactStatus === 'ACTIVE')!;
      const started = Date.now();
      sim.editContact(tenantId, String(contact.ContactID), { emailAddress: 'changed@example.com' });
      for (let waited = 0; receiver.received.length === 0 && waited < 5000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(receiver.received.length, 1, 'delivered after the batching delay');
      assert.ok(Date.now() - started >= DEMO_WEBHOOK_BATCH_MS - 50, 'batched, not sent at once');
      assert.equal(receiver.received[0]!.signatureOk, true);
      assert.deepEqual(
        receiver.events().map((e) => [e.eventCategory, e.eventType, e.resourceId, e.tenantId]),
        [['CONTACT', 'UPDATE', contact.ContactID, tenantId]],
      );
    } finally {
      await first.simulator?.close();
    }

    const second = await embeddedXero(cfg, log);
    await second.simulator?.close();
    assert.equal(second.webhookKey, first.webhookKey, 'a restart keeps the key');
  });

  it('uses XERO_WEBHOOK_KEY when set, and leaves the secrets file alone', async () => {
    const dataDir = tempDir();
    const cfg = loadConfig({ DATA_DIR: dataDir, XERO_SIM_PORT: '0', XERO_WEBHOOK_KEY: 'key-from-the-environment' });
    const running = await embeddedXero(cfg, log);
    await running.simulator?.close();
    assert.equal(running.webhookKey, 'key-from-the-environment');
    assert.equal(running.cfg.XERO_WEBHOOK_KEY, 'key-from-the-environment');
    assert.throws(() => statSync(path.join(dataDir, DEV_SECRETS_FILE)), /ENOENT/);
  });

  it('with real Xero, returns XERO_WEBHOOK_KEY and starts no simulator', async () => {
    const cfg = loadConfig({
      DATA_DIR: tempDir(),
      XERO_CLIENT_ID: 'real-app',
      XERO_CLIENT_SECRET: 'real-secret',
      XERO_WEBHOOK_KEY: 'from-xero',
    });
    const real = await embeddedXero(cfg, log);
    assert.equal(real.simulator, undefined);
    assert.equal(real.webhookKey, 'from-xero');
  });

  it('the webhook key and the other development secrets share one file, whichever comes first', () => {
    const dataDir = tempDir();
    const cfg = loadConfig({ DATA_DIR: dataDir });
    const key = devWebhookKey(cfg, log);
    assert.deepEqual(Object.keys(secretsIn(dataDir)), ['XERO_WEBHOOK_KEY']);
    const secrets = devSecrets(cfg, log);
    const stored = secretsIn(dataDir);
    assert.equal(stored.XERO_WEBHOOK_KEY, key, 'adding the engine secrets keeps the webhook key');
    assert.equal(stored.SESSION_SECRET, secrets.sessionSecret);
    assert.equal(devWebhookKey(cfg, log), key);
    assert.equal(devSecrets(cfg, log).sessionSecret, secrets.sessionSecret, 'and the engine secrets stay');
  });
});
