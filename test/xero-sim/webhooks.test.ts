import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Invoice } from 'xero-node';
import { startTestSim } from './helpers';

const KEY = 'webhook-key-for-tests';

interface Received {
  signatureOk: boolean;
  body: {
    events: Array<Record<string, string>>;
    firstEventSequence: number;
    lastEventSequence: number;
    entropy: string;
  };
}

/** A receiver that answers as Xero requires: 200 when the signature matches, 401 when not. */
async function receiver(opts: { failFirst?: number; ignoreSignature?: boolean } = {}) {
  const received: Received[] = [];
  let failures = opts.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac('sha256', KEY).update(raw).digest();
      const given = Buffer.from(String(req.headers['x-xero-signature'] ?? ''), 'base64');
      const signatureOk = given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ signatureOk, body: JSON.parse(raw.toString()) });
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
        return;
      }
      res.writeHead(signatureOk || opts.ignoreSignature ? 200 : 401).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/xero`, received };
}

describe('webhooks', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;

  it('sends signed, batched INVOICE and CONTACT events for creates and updates', async () => {
    const r = await receiver();
    sim.sim.setWebhook({ url: r.url, key: KEY, batchMs: 50 });
    const c = (await api.createContacts(tenantId, { contacts: [{ name: 'Hooked Ltd' }] })).body.contacts![0]!;
    const inv = (
      await api.createInvoices(tenantId, {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { contactID: c.contactID },
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '200' }],
          },
        ],
      })
    ).body.invoices![0]!;
    await api.updateInvoice(tenantId, inv.invoiceID!, { invoices: [{ reference: 'changed' }] });
    await sim.sim.flushWebhooks();
    // Batches travel concurrently and may arrive out of order: receivers order them by sequence.
    r.received.sort((a, b) => a.body.firstEventSequence - b.body.firstEventSequence);
    const events = r.received.flatMap((x) => x.body.events);
    assert.ok(r.received.every((x) => x.signatureOk));
    assert.deepEqual(
      events.map((e) => [e.eventCategory, e.eventType, e.resourceId]),
      [
        ['CONTACT', 'CREATE', c.contactID],
        ['INVOICE', 'CREATE', inv.invoiceID],
        ['INVOICE', 'UPDATE', inv.invoiceID],
      ],
    );
    const e = events[1]!;
    assert.equal(e.tenantId, tenantId);
    assert.equal(e.tenantType, 'ORGANISATION');
    assert.equal(e.resourceUrl, `${sim.url}/api.xro/2.0/Invoices/${inv.invoiceID}`);
    assert.ok(!Number.isNaN(Date.parse(`${e.eventDateUtc}Z`)));
    assert.ok(!('Status' in e), 'INVOICE events carry no status');
    const first = r.received[0]!.body;
    assert.equal(first.firstEventSequence, 1);
    assert.ok(first.lastEventSequence >= first.firstEventSequence);
    assert.match(first.entropy, /^[0-9A-F]{20}$/);
  });

  it('retries a failed delivery', async () => {
    const r = await receiver({ failFirst: 2 });
    sim.sim.setWebhook({ url: r.url, key: KEY, batchMs: 10, retries: 3, retryDelayMs: 10 });
    await api.createContacts(tenantId, { contacts: [{ name: 'Retry Me Ltd' }] });
    await sim.sim.flushWebhooks();
    assert.equal(r.received.length, 3);
    const attempts = sim.sim.webhookDeliveries().filter((d) => d.body.includes(r.received[0]!.body.entropy));
    assert.deepEqual(
      attempts.map((a) => a.status),
      [500, 500, 200],
    );
  });

  it('the intent-to-receive check passes a receiver that verifies signatures and fails one that does not', async () => {
    const good = await receiver();
    sim.sim.setWebhook({ url: good.url, key: KEY });
    const ok = await sim.sim.checkWebhookIntent();
    assert.equal(ok.ok, true);
    assert.deepEqual([ok.correctlySigned.status, ok.incorrectlySigned.status], [200, 401]);
    assert.deepEqual(
      good.received.map((x) => [x.signatureOk, x.body.events.length]),
      [
        [true, 0],
        [false, 0],
      ],
    );
    const lax = await receiver({ ignoreSignature: true });
    sim.sim.setWebhook({ url: lax.url, key: KEY });
    const bad = await sim.sim.checkWebhookIntent();
    assert.equal(bad.ok, false);
    assert.equal(bad.incorrectlySigned.status, 200);
    sim.sim.clearWebhook();
  });
});
