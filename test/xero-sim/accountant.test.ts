import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOCATED_MESSAGE } from '../../src/xero-sim/invoices';
import { NOT_AUTHORISED_MESSAGE, OVERPAY_MESSAGE } from '../../src/xero-sim/payments';
import { rawApi, startTestSim, webhookReceiver } from './helpers';

/**
 * The accountant at work in the simulated Xero (the `/__sim` control API): each action's effect as
 * the accounting API then reads it, Xero's refusals in Xero's words, and the webhook events each
 * raises — received and checked against the signature as the engine's `/webhooks/xero` would.
 */

const KEY = 'accountant-webhook-key';
let counter = 0;

describe('the accountant in Xero', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000, concurrent: 50 } });
  const receiver = await webhookReceiver(KEY);
  sim.sim.setWebhook({ url: receiver.url, key: KEY, batchMs: 10 });

  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}/__sim/organisations/${sim.tenantId}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };

  /** What webhook events an action raised: everything received after `fn` ran and the queue was flushed. */
  const eventsOf = async (fn: () => Promise<unknown>) => {
    await sim.sim.flushWebhooks();
    const before = receiver.events().length;
    await fn();
    await sim.sim.flushWebhooks();
    assert.ok(
      receiver.received.every((r) => r.signatureOk),
      'every delivery signed with the key',
    );
    return receiver
      .events()
      .slice(before)
      .map((e) => [e.eventCategory, e.eventType, e.resourceId]);
  };

  const invoice = async (
    overrides: Record<string, unknown> = {},
    lines: Array<Record<string, unknown>> = [
      { Description: 'Labour', Quantity: 2, UnitAmount: 50, AccountCode: '200' },
    ],
  ) => {
    counter += 1;
    const res = await rawApi(sim, 'PUT', '/Invoices', {
      body: {
        Invoices: [
          {
            Type: 'ACCREC',
            Contact: { Name: `Customer ${counter}` },
            Date: '2026-11-02',
            DueDate: '2026-12-02',
            Status: 'AUTHORISED',
            LineItems: lines,
            ...overrides,
          },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    return res.json.Invoices[0] as Record<string, any>;
  };

  const read = async (invoiceId: string) =>
    (await rawApi(sim, 'GET', `/Invoices/${invoiceId}`)).json.Invoices[0] as Record<string, any>;

  it('voids an approved invoice: VOIDED, nothing due, newer UpdatedDateUTC, one INVOICE UPDATE', async () => {
    const inv = await invoice();
    sim.sim.advanceTime(2000);
    let answer: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      answer = await control('POST', `/invoices/${inv.InvoiceID}/void`);
    });
    assert.equal(answer!.status, 200);
    assert.equal(answer!.json.Status, 'VOIDED');
    const after = await read(inv.InvoiceID);
    assert.equal(after.Status, 'VOIDED');
    assert.equal(after.AmountDue, 0);
    assert.ok(after.UpdatedDateUTCString > inv.UpdatedDateUTCString, 'UpdatedDateUTC moved');
    assert.deepEqual(events, [['INVOICE', 'UPDATE', inv.InvoiceID]]);
    const event = receiver.events().at(-1)!;
    assert.equal(event.tenantId, sim.tenantId);
    assert.equal(event.resourceUrl, `${sim.url}/api.xro/2.0/Invoices/${inv.InvoiceID}`);
  });

  it("refuses to void a paid invoice or a draft, in Xero's words, and sends nothing", async () => {
    const paid = await invoice();
    assert.equal((await control('POST', `/invoices/${paid.InvoiceID}/payments`, { amount: 10 })).status, 200);
    const draft = await invoice({ Status: 'DRAFT' });
    let refusedPaid: { status: number; json: any } | undefined;
    let refusedDraft: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      refusedPaid = await control('POST', `/invoices/${paid.InvoiceID}/void`);
      refusedDraft = await control('POST', `/invoices/${draft.InvoiceID}/void`);
    });
    assert.equal(refusedPaid!.status, 400);
    assert.deepEqual(refusedPaid!.json.messages, [
      'This document cannot be voided as it has a payment or credit note allocated to it.',
    ]);
    assert.equal(refusedDraft!.status, 400);
    assert.deepEqual(refusedDraft!.json.messages, ['Invoice not of valid status for modification']);
    assert.deepEqual(events, []);
    assert.equal((await read(paid.InvoiceID)).Status, 'AUTHORISED');
    assert.equal((await read(draft.InvoiceID)).Status, 'DRAFT');
  });

  it('deletes a draft but not an approved invoice', async () => {
    const draft = await invoice({ Status: 'DRAFT' });
    const approved = await invoice();
    const events = await eventsOf(async () => {
      assert.equal((await control('POST', `/invoices/${draft.InvoiceID}/delete`)).json.Status, 'DELETED');
      const refused = await control('POST', `/invoices/${approved.InvoiceID}/delete`);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.json.messages, ['Invoice not of valid status for modification']);
    });
    assert.deepEqual(events, [['INVOICE', 'UPDATE', draft.InvoiceID]]);
    assert.equal((await read(draft.InvoiceID)).Status, 'DELETED');
    assert.equal((await read(approved.InvoiceID)).Status, 'AUTHORISED');
  });

  it('edits lines, reference and dates: kept lines keep their ids, totals recomputed', async () => {
    const inv = await invoice({ Reference: 'JOB-1' }, [
      { Description: 'Labour', Quantity: 2, UnitAmount: 50, AccountCode: '200' },
      { Description: 'Call-out', Quantity: 1, UnitAmount: 30, AccountCode: '200' },
    ]);
    const [labour] = inv.LineItems as Array<{ LineItemID: string }>;
    sim.sim.advanceTime(2000);
    let answer: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      answer = await control('PATCH', `/invoices/${inv.InvoiceID}`, {
        lines: [
          { lineItemId: labour!.LineItemID, unitAmount: 60 },
          {
            description: 'Parts',
            quantity: 3,
            unitAmount: 10.125,
            accountCode: '260',
            tracking: [{ name: 'Region', option: 'North' }],
          },
        ],
        reference: 'JOB-1 (corrected)',
        date: '2026-11-03',
        dueDate: '2026-12-20',
      });
    });
    assert.equal(answer!.status, 200, JSON.stringify(answer!.json));
    assert.deepEqual(events, [['INVOICE', 'UPDATE', inv.InvoiceID]]);
    const after = await read(inv.InvoiceID);
    assert.equal(after.Reference, 'JOB-1 (corrected)');
    assert.equal(after.DateString, '2026-11-03T00:00:00');
    assert.equal(after.DueDateString, '2026-12-20T00:00:00');
    assert.equal(after.LineItems.length, 2, 'the call-out line, left out, is gone');
    assert.equal(after.LineItems[0].LineItemID, labour!.LineItemID);
    assert.equal(after.LineItems[0].LineAmount, 120);
    assert.equal(after.LineItems[0].Description, 'Labour', 'fields not sent are kept');
    assert.deepEqual(
      after.LineItems[1].Tracking.map((t: any) => [t.Name, t.Option]),
      [['Region', 'North']],
    );
    // 2 × 60 + 3 × 10.125 (= 30.375 → 30.38) exclusive, 15% GST on each line.
    assert.equal(after.SubTotal, 150.38);
    assert.equal(after.TotalTax, 22.56);
    assert.equal(after.Total, 172.94);
    assert.equal(after.AmountDue, 172.94);
    assert.ok(after.UpdatedDateUTCString > inv.UpdatedDateUTCString);
  });

  it('edits a bill (tax type, account) and refuses an unknown account code', async () => {
    const bill = await invoice({ Type: 'ACCPAY', InvoiceNumber: 'SUP-77' }, [
      { Description: 'Pipes', Quantity: 1, UnitAmount: 100, AccountCode: '310' },
    ]);
    const lineId = bill.LineItems[0].LineItemID as string;
    const ok = await control('PATCH', `/invoices/${bill.InvoiceID}`, {
      lines: [{ lineItemId: lineId, accountCode: '429', taxType: 'NONE' }],
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.LineItems[0].AccountCode, '429');
    assert.equal(ok.json.Total, 100);
    const refused = await control('PATCH', `/invoices/${bill.InvoiceID}`, {
      lines: [{ lineItemId: lineId, accountCode: '999' }],
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json.messages, ["Account code '999' is not a valid code for this document."]);
    assert.equal((await read(bill.InvoiceID)).LineItems[0].AccountCode, '429');
  });

  it('refuses to edit an invoice with a payment allocated, until the payment is removed', async () => {
    const inv = await invoice();
    const paid = await control('POST', `/invoices/${inv.InvoiceID}/payments`, { amount: 20 });
    let refused: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      refused = await control('PATCH', `/invoices/${inv.InvoiceID}`, { reference: 'changed' });
    });
    assert.equal(refused!.status, 400);
    assert.deepEqual(refused!.json.messages, [ALLOCATED_MESSAGE]);
    assert.deepEqual(events, []);
    assert.equal((await control('DELETE', `/payments/${paid.json.payment.PaymentID}`)).status, 200);
    const now = await control('PATCH', `/invoices/${inv.InvoiceID}`, { reference: 'changed' });
    assert.equal(now.status, 200);
    assert.equal(now.json.Reference, 'changed');
  });

  it('records payments: AmountPaid/AmountDue follow, PAID when settled, each one an INVOICE UPDATE', async () => {
    const inv = await invoice(); // 100 + 15 GST = 115
    let first: { status: number; json: any } | undefined;
    let second: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      first = await control('POST', `/invoices/${inv.InvoiceID}/payments`, {
        amount: 15,
        date: '2026-11-05',
        accountCode: '091',
        reference: 'deposit',
      });
      second = await control('POST', `/invoices/${inv.InvoiceID}/payments`, {});
    });
    assert.equal(first!.status, 200, JSON.stringify(first!.json));
    assert.equal(first!.json.invoice.Status, 'AUTHORISED');
    assert.equal(first!.json.invoice.AmountDue, 100);
    assert.equal(second!.json.payment.Amount, 100, 'the default amount is what is due');
    assert.equal(second!.json.payment.Account.Code, '090', 'the default account is the first bank account');
    assert.deepEqual(events, [
      ['INVOICE', 'UPDATE', inv.InvoiceID],
      ['INVOICE', 'UPDATE', inv.InvoiceID],
    ]);
    const after = await read(inv.InvoiceID);
    assert.equal(after.Status, 'PAID');
    assert.equal(after.AmountPaid, 115);
    assert.equal(after.AmountDue, 0);
    const deposit = after.Payments.find((p: any) => p.PaymentID === first!.json.payment.PaymentID);
    assert.equal(deposit.Amount, 15);
    assert.equal(deposit.Reference, 'deposit');
    assert.equal(deposit.Date, '/Date(1793836800000+0000)/');
    assert.equal(deposit.CurrencyRate, 1);
    const listed = (await rawApi(sim, 'GET', `/Payments/${first!.json.payment.PaymentID}`)).json.Payments[0];
    assert.equal(listed.Account.Code, '091');
    assert.equal(listed.Invoice.InvoiceID, inv.InvoiceID);
  });

  it("refuses overpayment, a non-bank account and a draft, in Xero's words", async () => {
    const inv = await invoice();
    const draft = await invoice({ Status: 'DRAFT' });
    const events = await eventsOf(async () => {
      const over = await control('POST', `/invoices/${inv.InvoiceID}/payments`, { amount: 115.01 });
      assert.equal(over.status, 400);
      assert.deepEqual(over.json.messages, [OVERPAY_MESSAGE]);
      const sales = await control('POST', `/invoices/${inv.InvoiceID}/payments`, { amount: 5, accountCode: '200' });
      assert.deepEqual(sales.json.messages, ['Account type is invalid for making a payment to/from']);
      const onDraft = await control('POST', `/invoices/${draft.InvoiceID}/payments`, { amount: 5 });
      assert.deepEqual(onDraft.json.messages, [NOT_AUTHORISED_MESSAGE]);
    });
    assert.deepEqual(events, []);
    assert.equal((await read(inv.InvoiceID)).AmountPaid, 0);
  });

  it('removing a payment takes a PAID invoice back to AUTHORISED and leaves the payment DELETED', async () => {
    const inv = await invoice();
    const paid = await control('POST', `/invoices/${inv.InvoiceID}/payments`, {});
    assert.equal(paid.json.invoice.Status, 'PAID');
    sim.sim.advanceTime(2000);
    let removed: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      removed = await control('DELETE', `/payments/${paid.json.payment.PaymentID}`);
    });
    assert.equal(removed!.status, 200);
    assert.equal(removed!.json.payment.Status, 'DELETED');
    assert.deepEqual(events, [['INVOICE', 'UPDATE', inv.InvoiceID]]);
    const after = await read(inv.InvoiceID);
    assert.equal(after.Status, 'AUTHORISED');
    assert.equal(after.AmountDue, 115);
    assert.deepEqual(after.Payments, []);
    const again = await control('DELETE', `/payments/${paid.json.payment.PaymentID}`);
    assert.equal(again.status, 400);
    assert.deepEqual(again.json.messages, ['This payment has already been deleted.']);
  });

  it('payments written and deleted through the accounting API raise INVOICE UPDATE too', async () => {
    const inv = await invoice();
    let paymentId = '';
    const events = await eventsOf(async () => {
      const put = await rawApi(sim, 'PUT', '/Payments', {
        body: { Payments: [{ Invoice: { InvoiceID: inv.InvoiceID }, Account: { Code: '090' }, Amount: 40 }] },
      });
      assert.equal(put.status, 200, put.text);
      paymentId = put.json.Payments[0].PaymentID;
      const del = await rawApi(sim, 'POST', `/Payments/${paymentId}`, { body: { Status: 'DELETED' } });
      assert.equal(del.status, 200, del.text);
    });
    assert.deepEqual(events, [
      ['INVOICE', 'UPDATE', inv.InvoiceID],
      ['INVOICE', 'UPDATE', inv.InvoiceID],
    ]);
  });

  it('voids and edits credit notes; an allocated one cannot be voided', async () => {
    const inv = await invoice();
    const contactId = inv.Contact.ContactID as string;
    const put = await rawApi(sim, 'PUT', '/CreditNotes', {
      body: {
        CreditNotes: [
          {
            Type: 'ACCRECCREDIT',
            Contact: { ContactID: contactId },
            Date: '2026-11-04',
            Status: 'AUTHORISED',
            LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: 20, AccountCode: '200' }],
          },
          {
            Type: 'ACCRECCREDIT',
            Contact: { ContactID: contactId },
            Date: '2026-11-04',
            Status: 'AUTHORISED',
            LineItems: [{ Description: 'Goodwill', Quantity: 1, UnitAmount: 10, AccountCode: '200' }],
          },
        ],
      },
    });
    assert.equal(put.status, 200, put.text);
    const [free, allocated] = put.json.CreditNotes as Array<Record<string, any>>;
    const alloc = await rawApi(sim, 'PUT', `/CreditNotes/${allocated!.CreditNoteID}/Allocations`, {
      body: { Allocations: [{ Invoice: { InvoiceID: inv.InvoiceID }, Amount: 5, Date: '2026-11-04' }] },
    });
    assert.equal(alloc.status, 200, alloc.text);

    const events = await eventsOf(async () => {
      const edited = await control('PATCH', `/credit-notes/${free!.CreditNoteID}`, {
        lines: [{ lineItemId: free!.LineItems[0].LineItemID, unitAmount: 25 }],
        reference: 'RMA-9',
      });
      assert.equal(edited.status, 200, JSON.stringify(edited.json));
      assert.equal(edited.json.Total, 28.75);
      assert.equal(edited.json.Reference, 'RMA-9');
      const voided = await control('POST', `/credit-notes/${free!.CreditNoteID}/void`);
      assert.equal(voided.json.Status, 'VOIDED');
      const refused = await control('POST', `/credit-notes/${allocated!.CreditNoteID}/void`);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.json.messages, ['This document cannot be voided as it has been allocated.']);
    });
    assert.deepEqual(events, [
      ['CREDITNOTE', 'UPDATE', free!.CreditNoteID],
      ['CREDITNOTE', 'UPDATE', free!.CreditNoteID],
    ]);
    const read = (await rawApi(sim, 'GET', `/CreditNotes/${free!.CreditNoteID}`)).json.CreditNotes[0];
    assert.equal(read.Status, 'VOIDED');
    const dueDate = await control('PATCH', `/credit-notes/${free!.CreditNoteID}`, { dueDate: '2026-12-01' });
    assert.equal(dueDate.status, 400, 'credit notes have no due date');
  });

  it('edits a contact (name, e-mail, phones); a name taken by another active contact is refused', async () => {
    const a = await invoice();
    const b = await invoice();
    const contactId = a.Contact.ContactID as string;
    let edited: { status: number; json: any } | undefined;
    let clash: { status: number; json: any } | undefined;
    const events = await eventsOf(async () => {
      edited = await control('PATCH', `/contacts/${contactId}`, {
        name: 'Renamed Customer Ltd',
        emailAddress: 'accounts@renamed.example',
        phones: [{ phoneType: 'MOBILE', phoneNumber: '021 555 0101' }],
      });
      clash = await control('PATCH', `/contacts/${contactId}`, { name: b.Contact.Name.toUpperCase() });
    });
    assert.equal(edited!.status, 200, JSON.stringify(edited!.json));
    assert.deepEqual(events, [['CONTACT', 'UPDATE', contactId]]);
    assert.equal(clash!.status, 400);
    assert.deepEqual(clash!.json.messages, [
      `The contact name ${b.Contact.Name.toUpperCase()} is already assigned to another contact. The contact name must be unique across all active contacts.`,
    ]);
    const contact = (await rawApi(sim, 'GET', `/Contacts/${contactId}`)).json.Contacts[0];
    assert.equal(contact.Name, 'Renamed Customer Ltd');
    assert.equal(contact.EmailAddress, 'accounts@renamed.example');
    assert.equal(contact.Phones.find((p: any) => p.PhoneType === 'MOBILE').PhoneNumber, '021 555 0101');
    assert.equal((await read(a.InvoiceID)).Contact.Name, 'Renamed Customer Ltd');
  });

  it('answers 404 for a document that is not there and 400 for a body it does not understand', async () => {
    const missing = await control('POST', '/invoices/00000000-0000-0000-0000-000000000000/void');
    assert.equal(missing.status, 404);
    const inv = await invoice();
    const byNumber = await control('PATCH', `/invoices/${encodeURIComponent(inv.InvoiceNumber)}`, { reference: 'N' });
    assert.equal(byNumber.status, 200, 'a sales invoice is also found by its number');
    assert.equal(byNumber.json.InvoiceID, inv.InvoiceID);
    const typo = await control('PATCH', `/invoices/${inv.InvoiceID}`, { referance: 'x' });
    assert.equal(typo.status, 400);
    assert.match(typo.json.error, /referance/);
    const listed = (await fetch(`${sim.url}/__sim`).then((r) => r.json())) as { endpoints: Record<string, string> };
    assert.ok('PATCH /__sim/organisations/:tenantId/invoices/:invoiceId' in listed.endpoints);
  });
});
