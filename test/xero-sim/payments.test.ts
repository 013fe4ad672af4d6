import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreditNote, Invoice } from 'xero-node';
import { rejection, startTestSim, validationMessages } from './helpers';

const { AUTHORISED, PAID, VOIDED } = Invoice.StatusEnum;

describe('payments and credit notes', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;
  const invoice = async (status: Invoice.StatusEnum = AUTHORISED, amount = 100, contact = 'Boom FM') =>
    (
      await api.createInvoices(tenantId, {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { name: contact },
            date: '2025-04-01',
            dueDate: '2025-04-30',
            status,
            lineItems: [{ description: 'Work', quantity: 1, unitAmount: amount, accountCode: '200', taxType: 'NONE' }],
          },
        ],
      })
    ).body.invoices![0]!;
  const pay = (invoiceID: string, amount: number, code = '090') =>
    api.createPayment(tenantId, {
      invoice: { invoiceID },
      account: { code },
      amount,
      date: '2025-04-10',
      reference: 'bank ref',
    });

  it('a full payment makes the invoice PAID, with AmountPaid, AmountDue, FullyPaidOnDate and its Payments', async () => {
    const inv = await invoice();
    const part = (await pay(inv.invoiceID!, 40)).body.payments![0]!;
    assert.equal(part.amount, 40);
    assert.equal(String(part.status), 'AUTHORISED');
    assert.equal(String(part.paymentType), 'ACCRECPAYMENT');
    let read = (await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!;
    assert.deepEqual([read.status, read.amountPaid, read.amountDue], [AUTHORISED, 40, 60]);
    await pay(inv.invoiceID!, 60);
    read = (await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!;
    assert.deepEqual([read.status, read.amountPaid, read.amountDue], [PAID, 100, 0]);
    assert.ok(read.fullyPaidOnDate);
    assert.equal(read.payments!.length, 2);
  });

  it('refuses to overpay', async () => {
    const inv = await invoice();
    const err = await rejection(pay(inv.invoiceID!, 100.01));
    assert.deepEqual(validationMessages(err), ['Payment amount exceeds the amount outstanding on this document']);
  });

  it('refuses payments on drafts and voided invoices', async () => {
    const draft = await invoice(Invoice.StatusEnum.DRAFT);
    assert.deepEqual(validationMessages(await rejection(pay(draft.invoiceID!, 10))), [
      'Payments can only be made against Authorised documents.',
    ]);
    const voided = await invoice();
    await api.updateInvoice(tenantId, voided.invoiceID!, { invoices: [{ status: VOIDED }] });
    assert.deepEqual(validationMessages(await rejection(pay(voided.invoiceID!, 10))), [
      'Payments can only be made against Authorised documents.',
    ]);
  });

  it('takes payments into bank accounts or accounts that enable payments, nothing else', async () => {
    const inv = await invoice();
    assert.deepEqual(validationMessages(await rejection(pay(inv.invoiceID!, 10, '200'))), [
      'Account type is invalid for making a payment to/from',
    ]);
    const ok = await pay(inv.invoiceID!, 10, '855');
    assert.equal(ok.response.status, 200);
  });

  it('deleting a payment (POST {Status: DELETED}) takes a PAID invoice back to AUTHORISED', async () => {
    const inv = await invoice();
    const p = (await pay(inv.invoiceID!, 100)).body.payments![0]!;
    assert.equal((await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!.status, PAID);
    const deleted = (await api.deletePayment(tenantId, p.paymentID!, { status: 'DELETED' })).body.payments![0]!;
    assert.equal(String(deleted.status), 'DELETED');
    const read = (await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!;
    assert.deepEqual([read.status, read.amountDue, read.payments!.length], [AUTHORISED, 100, 0]);
    assert.equal(read.fullyPaidOnDate, undefined);
    assert.match(
      validationMessages(await rejection(api.deletePayment(tenantId, p.paymentID!, { status: 'DELETED' })))[0]!,
      /already been deleted/,
    );
    assert.equal(String((await api.getPayment(tenantId, p.paymentID!)).body.payments![0]!.status), 'DELETED');
  });

  it('batches payments with per-element results under summarizeErrors=false', async () => {
    const inv = await invoice();
    const res = await api.createPayments(
      tenantId,
      {
        payments: [
          { invoice: { invoiceID: inv.invoiceID }, account: { code: '090' }, amount: 30 },
          { invoice: { invoiceID: inv.invoiceID }, account: { code: '090' }, amount: 500 },
        ],
      },
      false,
    );
    assert.equal(res.response.status, 200);
    assert.deepEqual(
      res.body.payments!.map((p) => p.statusAttributeString),
      ['OK', 'ERROR'],
    );
    const list = (await api.getPayments(tenantId, undefined, `Invoice.InvoiceID==Guid("${inv.invoiceID}")`)).body
      .payments!;
    assert.equal(list.length, 1);
  });

  it('allocates an authorised credit note to an invoice of the same contact', async () => {
    const inv = await invoice(AUTHORISED, 100, 'Ridgeway University');
    const cn = (
      await api.createCreditNotes(tenantId, {
        creditNotes: [
          {
            type: CreditNote.TypeEnum.ACCRECCREDIT,
            contact: { contactID: inv.contact!.contactID },
            date: '2025-04-02',
            status: CreditNote.StatusEnum.AUTHORISED,
            lineItems: [{ description: 'Refund', quantity: 1, unitAmount: 30, accountCode: '200', taxType: 'NONE' }],
          },
        ],
      })
    ).body.creditNotes![0]!;
    assert.match(cn.creditNoteNumber!, /^CN-\d{4}$/);
    assert.equal(cn.remainingCredit, 30);
    const tooMuch = await rejection(
      api.createCreditNoteAllocation(tenantId, cn.creditNoteID!, {
        allocations: [{ invoice: { invoiceID: inv.invoiceID }, amount: 31, date: '2025-04-03' }],
      }),
    );
    assert.match(validationMessages(tooMuch)[0]!, /exceeds the remaining credit/);
    const alloc = (
      await api.createCreditNoteAllocation(tenantId, cn.creditNoteID!, {
        allocations: [{ invoice: { invoiceID: inv.invoiceID }, amount: 30, date: '2025-04-03' }],
      })
    ).body.allocations![0]!;
    assert.equal(alloc.amount, 30);
    const read = (await api.getInvoice(tenantId, inv.invoiceID!)).body.invoices![0]!;
    assert.deepEqual([read.amountCredited, read.amountDue], [30, 70]);
    assert.equal(read.creditNotes![0]!.creditNoteID, cn.creditNoteID);
    const cnRead = (await api.getCreditNote(tenantId, cn.creditNoteID!)).body.creditNotes![0]!;
    assert.deepEqual([cnRead.remainingCredit, String(cnRead.status)], [0, 'PAID']);
    const editErr = await rejection(
      api.updateInvoice(tenantId, inv.invoiceID!, {
        invoices: [{ lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200' }] }],
      }),
    );
    assert.deepEqual(validationMessages(editErr), [
      'This document cannot be edited as it has a payment or credit note allocated to it.',
    ]);
  });

  it("refuses allocating a draft credit note or to another contact's invoice", async () => {
    const inv = await invoice(AUTHORISED, 50, 'Boom FM');
    const draft = (
      await api.createCreditNotes(tenantId, {
        creditNotes: [
          {
            type: CreditNote.TypeEnum.ACCRECCREDIT,
            contact: { name: 'PowerDirect' },
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '200' }],
          },
        ],
      })
    ).body.creditNotes![0]!;
    const msgs = validationMessages(
      await rejection(
        api.createCreditNoteAllocation(tenantId, draft.creditNoteID!, {
          allocations: [{ invoice: { invoiceID: inv.invoiceID }, amount: 5, date: '2025-04-03' }],
        }),
      ),
    );
    assert.ok(msgs.some((m) => /authorised credit notes/.test(m)));
    assert.ok(msgs.some((m) => /same contact/.test(m)));
  });
});
