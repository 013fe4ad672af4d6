import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invoice } from 'xero-node';
import { rawApi, rejection, startTestSim, validationMessages } from './helpers';

describe('attachments', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;
  const pdf = (text: string) => Buffer.from(`%PDF-1.4\n${text}\n%%EOF\n`);
  const asPdf = { headers: { 'Content-Type': 'application/pdf' } };
  const invoice = async (type = Invoice.TypeEnum.ACCREC) =>
    (
      await api.createInvoices(tenantId, {
        invoices: [
          {
            type,
            contact: { name: 'Boom FM' },
            date: '2025-05-01',
            dueDate: '2025-05-31',
            lineItems: [
              {
                description: 'x',
                quantity: 1,
                unitAmount: 10,
                accountCode: type === Invoice.TypeEnum.ACCREC ? '200' : '429',
              },
            ],
          },
        ],
      })
    ).body.invoices![0]!;

  it('uploads by file name with the given Content-Type, lists it, and gives the same bytes back', async () => {
    const inv = await invoice();
    const bytes = pdf('order 1001');
    const up = (
      await api.createInvoiceAttachmentByFileName(
        tenantId,
        inv.invoiceID!,
        'order-1001.pdf',
        bytes,
        true,
        undefined,
        asPdf,
      )
    ).body.attachments![0]!;
    assert.equal(up.fileName, 'order-1001.pdf');
    assert.equal(up.mimeType, 'application/pdf');
    assert.equal(up.contentLength, bytes.length);
    assert.equal(up.includeOnline, true);
    const list = (await api.getInvoiceAttachments(tenantId, inv.invoiceID!)).body.attachments!;
    assert.deepEqual(
      list.map((a) => a.fileName),
      ['order-1001.pdf'],
    );
    const back = await rawApi(sim, 'GET', `/Invoices/${inv.invoiceID}/Attachments/order-1001.pdf`, {
      headers: { accept: 'application/pdf' },
    });
    assert.equal(back.headers.get('content-type'), 'application/pdf');
    assert.equal(back.text, bytes.toString());
    const stored = sim.sim.attachments(tenantId, inv.invoiceID!);
    assert.deepEqual(stored[0]!.bytes, bytes);
    assert.equal((await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!.hasAttachments, true);
  });

  it('replaces an attachment uploaded again under the same name (PUT or POST)', async () => {
    const inv = await invoice();
    await api.createInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'order.pdf',
      pdf('v1'),
      undefined,
      undefined,
      asPdf,
    );
    await api.updateInvoiceAttachmentByFileName(tenantId, inv.invoiceID!, 'order.pdf', pdf('v2'), undefined, asPdf);
    const stored = sim.sim.attachments(tenantId, inv.invoiceID!);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.bytes.toString(), pdf('v2').toString());
  });

  it('allows at most 10 attachments per document', async () => {
    const inv = await invoice();
    for (let i = 1; i <= 10; i++)
      await api.createInvoiceAttachmentByFileName(
        tenantId,
        inv.invoiceID!,
        `f${i}.pdf`,
        pdf(String(i)),
        undefined,
        undefined,
        asPdf,
      );
    const err = await rejection(
      api.createInvoiceAttachmentByFileName(
        tenantId,
        inv.invoiceID!,
        'f11.pdf',
        pdf('11'),
        undefined,
        undefined,
        asPdf,
      ),
    );
    assert.match(validationMessages(err)[0]!, /at most 10 attachments/);
    const replace = await api.createInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'f3.pdf',
      pdf('3b'),
      undefined,
      undefined,
      asPdf,
    );
    assert.equal(replace.response.status, 200, 'replacing does not count as an 11th');
  });

  it('refuses files over 10 MB', async () => {
    const inv = await invoice();
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    const err = await rejection(
      api.createInvoiceAttachmentByFileName(tenantId, inv.invoiceID!, 'big.bin', big, undefined, undefined, {
        headers: { 'Content-Type': 'application/octet-stream' },
      }),
    );
    assert.equal(err.response.statusCode, 413);
    const exact = Buffer.alloc(10 * 1024 * 1024, 1);
    const ok = await api.createInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'exact.bin',
      exact,
      undefined,
      undefined,
      { headers: { 'Content-Type': 'application/octet-stream' } },
    );
    assert.equal(ok.response.status, 200);
  });

  it('IncludeOnline only takes on sales documents', async () => {
    const bill = await invoice(Invoice.TypeEnum.ACCPAY);
    const up = (
      await api.createInvoiceAttachmentByFileName(
        tenantId,
        bill.invoiceID!,
        'bill.pdf',
        pdf('bill'),
        true,
        undefined,
        asPdf,
      )
    ).body.attachments![0]!;
    assert.equal(up.includeOnline, undefined);
  });
});
