import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invoice } from 'xero-node';
import { rawApi, rejection, startTestSim } from './helpers';

describe('faults, inspection and the /__sim control API', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId, url } = sim;
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/__sim${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
    return { status: res.status, json, text };
  };

  it('a "next N calls" fault answers 500/503 with Xero\'s error body, then stops', async () => {
    const { json: rule } = await control('POST', '/faults', {
      method: 'GET',
      path: '/Accounts',
      status: 503,
      times: 2,
    });
    assert.match(rule.id, /^[0-9a-f-]{36}$/);
    assert.equal((await rejection(api.getAccounts(tenantId))).response.statusCode, 503);
    assert.equal((await rawApi(sim, 'GET', '/Accounts')).status, 503);
    assert.equal((await rawApi(sim, 'GET', '/Accounts')).status, 200);
    assert.equal((await rawApi(sim, 'GET', '/Organisation')).status, 200, 'other paths untouched');
    sim.sim.addFault({ path: '/Contacts*', status: 500, times: 1 });
    const err = await rawApi(sim, 'GET', '/Contacts');
    assert.equal(err.status, 500);
    assert.match(err.json.Detail, /An error occurred in Xero/);
    assert.deepEqual((await control('GET', '/faults')).json, []);
  });

  it('a rate fault fails about that fraction of calls, reproducibly', async () => {
    sim.sim.addFault({ path: '/Organisation', status: 500, rate: 0.3 });
    let failed = 0;
    for (let i = 0; i < 100; i++) if ((await rawApi(sim, 'GET', '/Organisation')).status === 500) failed++;
    sim.sim.clearFaults();
    assert.ok(failed > 15 && failed < 45, `failed ${failed} of 100`);
  });

  it('adds latency', async () => {
    sim.sim.addFault({ path: '/BrandingThemes', latencyMs: 150, times: 1 });
    const started = Date.now();
    await api.getBrandingThemes(tenantId);
    assert.ok(Date.now() - started >= 140);
  });

  it('drop-after-commit: the invoice is written, the client gets no answer', async () => {
    sim.sim.addFault({ method: 'PUT', path: '/Invoices', dropAfterCommit: true, times: 1 });
    const err = await rejection(
      api.createInvoices(tenantId, {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { name: 'Boom FM' },
            invoiceNumber: 'DROP-1',
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200' }],
          },
        ],
      }),
    );
    assert.equal(err.response.statusCode, 0);
    const found = (await api.getInvoices(tenantId, undefined, undefined, undefined, undefined, ['DROP-1'])).body
      .invoices!;
    assert.equal(found.length, 1);
    const logged = sim.sim.requestLog({ method: 'PUT', pathContains: '/Invoices' }).at(-1)!;
    assert.equal(logged.dropped, true);
    assert.equal(logged.status, 200);
  });

  it('logs every request with method, path, status, tenant, idempotency key and time', async () => {
    await api.createContacts(tenantId, { contacts: [{ name: 'Logged Ltd' }] }, false, 'log-key');
    const { json } = await control('GET', `/requests?path=/Contacts&method=PUT`);
    const entry = json.at(-1);
    assert.equal(entry.method, 'PUT');
    assert.match(entry.path, /^\/api\.xro\/2\.0\/Contacts\?summarizeErrors=false$/);
    assert.equal(entry.status, 200);
    assert.equal(entry.tenantId, tenantId);
    assert.equal(entry.idempotencyKey, 'log-key');
    assert.ok(!Number.isNaN(Date.parse(entry.at)));
    assert.equal(entry.clientId, 'xero-sim-client');
  });

  it('reads documents and attachment bytes, issues tokens, sets lock dates, and resets', async () => {
    const orgs = (await control('GET', '/organisations')).json;
    assert.deepEqual(
      orgs.map((o: { name: string }) => o.name),
      ['Demo Company (NZ)', 'Acme Plumbing Ltd'],
    );
    const inv = (
      await api.createInvoices(tenantId, {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { name: 'Boom FM' },
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200' }],
          },
        ],
      })
    ).body.invoices![0]!;
    await api.createInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'note.txt',
      Buffer.from('hello bytes'),
      undefined,
      undefined,
      { headers: { 'Content-Type': 'text/plain' } },
    );
    const docs = (await control('GET', `/organisations/${tenantId}/invoices`)).json;
    assert.ok(
      docs.some(
        (d: { InvoiceID: string; LineItems: unknown[] }) => d.InvoiceID === inv.invoiceID && d.LineItems.length === 1,
      ),
    );
    const meta = (await control('GET', `/organisations/${tenantId}/documents/${inv.invoiceID}/attachments`)).json;
    assert.deepEqual(
      meta.map((m: { fileName: string; size: number }) => [m.fileName, m.size]),
      [['note.txt', 11]],
    );
    const bytes = await control('GET', `/organisations/${tenantId}/documents/${inv.invoiceID}/attachments/note.txt`);
    assert.equal(bytes.text, 'hello bytes');
    const tokens = (await control('POST', '/tokens', { tenantIds: [tenantId] })).json;
    assert.equal((await rawApi({ url, tokens, tenantId }, 'GET', '/Organisation')).status, 200);
    assert.equal(
      (await control('PATCH', `/organisations/${tenantId}`, { periodLockDate: '2024-12-31' })).json.periodLockDate,
      '2024-12-31',
    );
    assert.equal((await control('POST', '/expire-access-tokens')).status, 204);
    assert.equal((await rawApi({ url, tokens, tenantId }, 'GET', '/Organisation')).status, 401);
    assert.equal(
      (await control('POST', '/faults', { path: '/x' })).status,
      400,
      'a fault without an effect is refused',
    );
    assert.equal((await control('POST', '/reset')).status, 204);
    assert.equal(sim.sim.invoices(tenantId).length, 0);
    assert.equal(sim.sim.organisations()[0]!.periodLockDate, undefined);
    assert.equal((await rawApi(sim, 'GET', '/Organisation')).status, 401, 'reset forgets tokens');
    assert.ok((await control('GET', '')).json.endpoints['POST /__sim/faults']);
  });
});
