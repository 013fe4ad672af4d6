import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invoice, type Invoices } from 'xero-node';
import { rawApi, rejection, startTestSim, validationMessages } from './helpers';

describe('Idempotency-Key', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 }, idempotencyWindowMs: 60_000 });
  const { api, tenantId } = sim;
  let n = 0;
  const invoices = (number = `IDEM-${++n}`): Invoices => ({
    invoices: [
      {
        type: Invoice.TypeEnum.ACCREC,
        contact: { name: 'Boom FM' },
        date: '2025-06-01',
        dueDate: '2025-06-30',
        invoiceNumber: number,
        lineItems: [{ description: 'x', quantity: 1, unitAmount: 10, accountCode: '200' }],
      },
    ],
  });
  const count = (number: string) => sim.sim.invoices(tenantId).filter((i) => i.InvoiceNumber === number).length;

  it('a repeat returns the first answer and creates nothing', async () => {
    const body = invoices();
    const number = body.invoices![0]!.invoiceNumber!;
    const first = await api.createInvoices(tenantId, body, false, undefined, 'key-1');
    const second = await api.createInvoices(tenantId, body, false, undefined, 'key-1');
    assert.equal(second.response.status, 200);
    assert.equal(second.body.invoices![0]!.invoiceID, first.body.invoices![0]!.invoiceID);
    assert.deepEqual(second.response.data, first.response.data);
    assert.equal(count(number), 1);
    assert.equal(
      sim.sim
        .requestLog({ pathContains: '/Invoices' })
        .filter((e) => e.idempotencyKey === 'key-1' && e.idempotentReplay).length,
      1,
    );
  });

  it('replays errors too', async () => {
    const bad = invoices();
    bad.invoices![0]!.lineItems![0]!.accountCode = '999';
    const e1 = await rejection(api.createInvoices(tenantId, bad, undefined, undefined, 'key-err'));
    const e2 = await rejection(api.createInvoices(tenantId, bad, undefined, undefined, 'key-err'));
    assert.deepEqual(validationMessages(e2), validationMessages(e1));
    assert.deepEqual(e2.response.body, e1.response.body);
  });

  it('the same key with another body is a 400', async () => {
    await api.createInvoices(tenantId, invoices(), false, undefined, 'key-2');
    const err = await rejection(api.createInvoices(tenantId, invoices(), false, undefined, 'key-2'));
    assert.equal(err.response.statusCode, 400);
    assert.match(JSON.stringify(err.response.body), /Idempotency-Key/);
  });

  it('refuses keys longer than 128 characters', async () => {
    const ok = await api.createInvoices(tenantId, invoices(), false, undefined, 'k'.repeat(128));
    assert.equal(ok.response.status, 200);
    const err = await rejection(api.createInvoices(tenantId, invoices(), false, undefined, 'k'.repeat(129)));
    assert.equal(err.response.statusCode, 400);
  });

  it('keys belong to one tenant', async () => {
    const a = await api.createInvoices(tenantId, invoices('SCOPE-1'), false, undefined, 'key-3');
    const b = await api.createInvoices(sim.otherTenantId, invoices('SCOPE-1'), false, undefined, 'key-3');
    assert.notEqual(a.body.invoices![0]!.invoiceID, b.body.invoices![0]!.invoiceID);
  });

  it('keys expire after the window: the same write then creates again (or, for a sales number, is refused)', async () => {
    const body = invoices();
    const number = body.invoices![0]!.invoiceNumber!;
    await api.createInvoices(tenantId, body, false, undefined, 'key-4');
    sim.sim.advanceTime(61_000);
    const res = await api.createInvoices(tenantId, body, false, undefined, 'key-4');
    assert.equal(res.body.invoices![0]!.statusAttributeString, 'ERROR');
    assert.deepEqual(
      res.body.invoices![0]!.validationErrors!.map((v) => v.message),
      ['Invoice # must be unique.'],
    );
    assert.equal(count(number), 1);
  });

  it('after a drop-after-commit, the retry with the same key gets the stored answer and nothing is created twice', async () => {
    const body = invoices();
    const number = body.invoices![0]!.invoiceNumber!;
    sim.sim.addFault({ method: 'PUT', path: '/Invoices', dropAfterCommit: true, times: 1 });
    const lost = await rejection(api.createInvoices(tenantId, body, false, undefined, 'key-5'));
    assert.equal(lost.response.statusCode, 0, 'no answer reached the client');
    assert.equal(count(number), 1, 'the write happened');
    const retry = await api.createInvoices(tenantId, body, false, undefined, 'key-5');
    assert.equal(retry.body.invoices![0]!.invoiceNumber, number);
    assert.equal(count(number), 1);
  });

  it('a key is not kept for a Xero-side failure (5xx), so the retry really runs', async () => {
    const body = invoices();
    sim.sim.addFault({ method: 'PUT', path: '/Invoices', status: 503, times: 1 });
    const err = await rejection(api.createInvoices(tenantId, body, false, undefined, 'key-6'));
    assert.equal(err.response.statusCode, 503);
    const retry = await api.createInvoices(tenantId, body, false, undefined, 'key-6');
    assert.equal(retry.body.invoices![0]!.statusAttributeString, 'OK');
  });

  it('works on attachments (raw bodies) as well', async () => {
    const inv = (await api.createInvoices(tenantId, invoices(), false)).body.invoices![0]!;
    const put = (text: string) =>
      rawApi(sim, 'PUT', `/Invoices/${inv.invoiceID}/Attachments/a.txt`, {
        body: text,
        headers: { 'content-type': 'text/plain', 'idempotency-key': 'att-1' },
      });
    const a = await put('hello');
    const b = await put('hello');
    assert.equal(a.json.Attachments[0].AttachmentID, b.json.Attachments[0].AttachmentID);
    assert.equal((await put('other')).status, 400);
  });
});
