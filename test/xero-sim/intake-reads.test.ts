import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawApi, startTestSim } from './helpers';

/**
 * The reads the engine's intake of Xero's changes relies on (issue 13): invoices by IDs, changes
 * since a moment (`If-Modified-Since`, to the second) page by page with full details, credit notes
 * (which have no `IDs` parameter), payments and contacts — answered as Xero answers them.
 */

describe('reads for the intake of changes made in Xero', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000, concurrent: 50 } });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}/__sim/organisations/${sim.tenantId}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as any;
  };

  const customer = (await rawApi(sim, 'PUT', '/Contacts', { body: { Contacts: [{ Name: 'Intake Customer' }] } })).json
    .Contacts[0] as { ContactID: string };

  const createInvoices = async (count: number, prefix: string) => {
    const res = await rawApi(sim, 'PUT', '/Invoices?summarizeErrors=false', {
      body: {
        Invoices: Array.from({ length: count }, (_, i) => ({
          Type: 'ACCREC',
          Contact: { ContactID: customer.ContactID },
          InvoiceNumber: `${prefix}-${i + 1}`,
          Date: '2026-11-02',
          DueDate: '2026-12-02',
          Status: 'AUTHORISED',
          LineItems: [
            { Description: `Line of ${prefix}-${i + 1}`, Quantity: 1, UnitAmount: 10 + i, AccountCode: '200' },
          ],
        })),
      },
    });
    assert.equal(res.status, 200, res.text);
    return res.json.Invoices as Array<Record<string, any>>;
  };

  // 120 invoices, created together (one UpdatedDateUTC second), then the clock moves on.
  const batch = await createInvoices(120, 'BULK');
  sim.sim.advanceTime(5000);

  it('GET /Invoices?IDs=… (50 ids) answers those invoices, lines only when paged', async () => {
    const wanted = batch.slice(10, 60).map((i) => i.InvoiceID as string);
    const unpaged = await rawApi(sim, 'GET', `/Invoices?IDs=${wanted.join(',')}`);
    assert.equal(unpaged.status, 200);
    assert.deepEqual(
      new Set(unpaged.json.Invoices.map((i: any) => i.InvoiceID)),
      new Set(wanted),
      'exactly the ids asked for',
    );
    assert.ok(
      unpaged.json.Invoices.every((i: any) => i.LineItems.length === 0),
      'a list without page= carries no lines',
    );
    const paged = await rawApi(sim, 'GET', `/Invoices?IDs=${wanted.join(',')}&page=1`);
    assert.equal(paged.json.Invoices.length, 50);
    assert.ok(paged.json.Invoices.every((i: any) => i.LineItems.length === 1 && i.LineItems[0].LineItemID));
    const upper = await rawApi(sim, 'GET', `/Invoices?IDs=${wanted[0]!.toUpperCase()}&page=1`);
    assert.equal(upper.json.Invoices.length, 1, 'ids match without case');
  });

  it('GET /Invoices with If-Modified-Since (to the second) and page=: 100 a page, full details', async () => {
    const changed = await createInvoices(3, 'LATE');
    const since = changed[0]!.UpdatedDateUTCString as string; // e.g. 2026-12-01T03:30:12Z
    const first = await rawApi(sim, 'GET', '/Invoices?page=1', { headers: { 'If-Modified-Since': since } });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.json.Invoices.map((i: any) => i.InvoiceNumber),
      ['LATE-1', 'LATE-2', 'LATE-3'],
      'only what changed in or after that second',
    );
    assert.deepEqual(first.json.pagination, { page: 1, pageSize: 100, pageCount: 1, itemCount: 3 });
    // Later in the same second still includes them: the header is read to the second.
    const sameSecond = new Date(Date.parse(since) + 999).toISOString();
    const again = await rawApi(sim, 'GET', '/Invoices?page=1', { headers: { 'If-Modified-Since': sameSecond } });
    assert.equal(again.json.Invoices.length, 3);
    const nextSecond = new Date(Date.parse(since) + 1000).toISOString();
    const none = await rawApi(sim, 'GET', '/Invoices?page=1', { headers: { 'If-Modified-Since': nextSecond } });
    assert.deepEqual(none.json.Invoices, []);

    // The whole organisation, paged: 100 per page, then the rest; every invoice with its lines.
    const all = await rawApi(sim, 'GET', '/Invoices?page=1', {
      headers: { 'If-Modified-Since': '2000-01-01T00:00:00' },
    });
    assert.equal(all.json.Invoices.length, 100);
    assert.ok(all.json.Invoices.every((i: any) => i.LineItems.length === 1));
    assert.equal(all.json.pagination.pageCount, 2);
    const page2 = await rawApi(sim, 'GET', '/Invoices?page=2', {
      headers: { 'If-Modified-Since': '2000-01-01T00:00:00' },
    });
    assert.equal(page2.json.Invoices.length, all.json.pagination.itemCount - 100);
    const page3 = await rawApi(sim, 'GET', '/Invoices?page=3');
    assert.deepEqual(page3.json.Invoices, [], 'past the last page: an empty list, the end of the loop');

    // xero-node sends a Date as ISO with milliseconds.
    const viaNode = await sim.api.getInvoices(
      sim.tenantId,
      new Date(Date.parse(since)),
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      1,
    );
    assert.equal(viaNode.body.invoices!.length, 3);
  });

  it('an invoice paid (or its payment removed) in Xero reads as changed, with its Payments', async () => {
    const [inv] = await createInvoices(1, 'PAYME');
    sim.sim.advanceTime(3000);
    const paid = await control('POST', `/invoices/${inv!.InvoiceID}/payments`, {
      amount: 4,
      date: '2026-11-20',
      reference: 'bank feed',
    });
    const since = paid.invoice.UpdatedDateUTCString as string;
    const read = await rawApi(sim, 'GET', '/Invoices?page=1', { headers: { 'If-Modified-Since': since } });
    assert.deepEqual(
      read.json.Invoices.map((i: any) => i.InvoiceID),
      [inv!.InvoiceID],
    );
    const got = read.json.Invoices[0];
    assert.equal(got.AmountPaid, 4);
    assert.equal(got.AmountDue, 7.5); // 10 + 15% GST − 4
    assert.match(got.UpdatedDateUTC, /^\/Date\(\d+\+0000\)\/$/);
    assert.deepEqual(Object.keys(got.Payments[0]).sort(), [
      'Amount',
      'CurrencyRate',
      'Date',
      'HasAccount',
      'HasValidationErrors',
      'PaymentID',
      'Reference',
    ]);
    assert.deepEqual(
      [got.Payments[0].PaymentID, got.Payments[0].Amount, got.Payments[0].Reference, got.Payments[0].CurrencyRate],
      [paid.payment.PaymentID, 4, 'bank feed', 1],
    );
    assert.equal(got.Payments[0].Account, undefined, "Xero's invoice does not say which account: GET /Payments does");

    sim.sim.advanceTime(3000);
    const removed = await control('DELETE', `/payments/${paid.payment.PaymentID}`);
    const after = await rawApi(sim, 'GET', '/Invoices?page=1', {
      headers: { 'If-Modified-Since': removed.invoice.UpdatedDateUTCString },
    });
    assert.deepEqual(after.json.Invoices[0].Payments, [], 'a deleted payment leaves the invoice');
    assert.equal(after.json.Invoices[0].AmountDue, 11.5);
  });

  it("a payment on a foreign-currency invoice carries the day's rate of that currency", async () => {
    sim.sim.enableCurrency(sim.tenantId, 'AUD', 0.9);
    const res = await rawApi(sim, 'PUT', '/Invoices', {
      body: {
        Invoices: [
          {
            Type: 'ACCREC',
            Contact: { ContactID: customer.ContactID },
            CurrencyCode: 'AUD',
            Date: '2026-11-02',
            DueDate: '2026-12-02',
            Status: 'AUTHORISED',
            LineItems: [{ Description: 'Export', Quantity: 1, UnitAmount: 100, AccountCode: '200' }],
          },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    const inv = res.json.Invoices[0];
    await control('POST', `/invoices/${inv.InvoiceID}/payments`, { amount: 50 });
    const read = await rawApi(sim, 'GET', `/Invoices?IDs=${inv.InvoiceID}&page=1`);
    assert.equal(read.json.Invoices[0].Payments[0].CurrencyRate, 0.9);
  });

  it('GET /Payments: If-Modified-Since, where, page; account, invoice, status (deleted ones included)', async () => {
    const [a, b] = await createInvoices(2, 'PAYLIST');
    sim.sim.advanceTime(3000);
    const kept = await control('POST', `/invoices/${a!.InvoiceID}/payments`, { amount: 2, accountCode: '091' });
    const gone = await control('POST', `/invoices/${b!.InvoiceID}/payments`, { amount: 3 });
    await control('DELETE', `/payments/${gone.payment.PaymentID}`);
    const since = kept.payment.UpdatedDateUTCString as string;

    const changed = await rawApi(sim, 'GET', '/Payments?page=1', { headers: { 'If-Modified-Since': since } });
    assert.equal(changed.status, 200);
    const byId = new Map<string, any>(changed.json.Payments.map((p: any) => [p.PaymentID, p]));
    assert.deepEqual([...byId.keys()].sort(), [kept.payment.PaymentID, gone.payment.PaymentID].sort());
    const p = byId.get(kept.payment.PaymentID);
    assert.equal(p.Status, 'AUTHORISED');
    assert.equal(p.Account.Code, '091');
    assert.match(p.Account.AccountID, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      [p.Invoice.InvoiceID, p.Invoice.InvoiceNumber, p.Invoice.Type],
      [a!.InvoiceID, 'PAYLIST-1', 'ACCREC'],
    );
    assert.match(p.UpdatedDateUTC, /^\/Date\(\d+\+0000\)\/$/);
    assert.equal(byId.get(gone.payment.PaymentID).Status, 'DELETED');
    assert.deepEqual(changed.json.pagination.itemCount, 2);

    const ofInvoice = await rawApi(
      sim,
      'GET',
      `/Payments?where=${encodeURIComponent(`Invoice.InvoiceID==Guid("${a!.InvoiceID}")`)}`,
    );
    assert.deepEqual(
      ofInvoice.json.Payments.map((x: any) => x.PaymentID),
      [kept.payment.PaymentID],
    );
    const deleted = await rawApi(sim, 'GET', `/Payments?where=${encodeURIComponent('Status=="DELETED"')}`);
    assert.ok(deleted.json.Payments.some((x: any) => x.PaymentID === gone.payment.PaymentID));
    assert.ok(deleted.json.Payments.every((x: any) => x.Status === 'DELETED'));
  });

  it('GET /CreditNotes has no IDs parameter (ignored, as Xero ignores it): where=CreditNoteID==Guid(…) instead', async () => {
    const put = await rawApi(sim, 'PUT', '/CreditNotes', {
      body: {
        CreditNotes: ['one', 'two', 'three'].map((d) => ({
          Type: 'ACCRECCREDIT',
          Contact: { ContactID: customer.ContactID },
          Date: '2026-11-04',
          Status: 'AUTHORISED',
          LineItems: [{ Description: d, Quantity: 1, UnitAmount: 5, AccountCode: '200' }],
        })),
      },
    });
    assert.equal(put.status, 200, put.text);
    const [one, two] = put.json.CreditNotes as Array<{ CreditNoteID: string; UpdatedDateUTCString: string }>;
    const ignored = await rawApi(sim, 'GET', `/CreditNotes?IDs=${one!.CreditNoteID}`);
    assert.equal(ignored.json.CreditNotes.length, 3, 'IDs filters nothing on credit notes');
    assert.ok(
      ignored.json.CreditNotes.every((c: any) => c.LineItems.length === 0),
      'a list without page= carries no lines',
    );
    const where = `CreditNoteID==Guid("${one!.CreditNoteID}") OR CreditNoteID==Guid("${two!.CreditNoteID}")`;
    const found = await rawApi(sim, 'GET', `/CreditNotes?page=1&where=${encodeURIComponent(where)}`);
    assert.deepEqual(
      found.json.CreditNotes.map((c: any) => c.CreditNoteID).sort(),
      [one!.CreditNoteID, two!.CreditNoteID].sort(),
    );
    assert.ok(found.json.CreditNotes.every((c: any) => c.LineItems.length === 1));

    sim.sim.advanceTime(3000);
    const edited = await control('PATCH', `/credit-notes/${two!.CreditNoteID}`, { reference: 'edited in Xero' });
    const changed = await rawApi(sim, 'GET', '/CreditNotes?page=1', {
      headers: { 'If-Modified-Since': edited.UpdatedDateUTCString },
    });
    assert.deepEqual(
      changed.json.CreditNotes.map((c: any) => [c.CreditNoteID, c.Reference]),
      [[two!.CreditNoteID, 'edited in Xero']],
    );
    assert.equal(changed.json.pagination.pageSize, 100);
  });

  it('order=InvoiceID ASC with pageSize walks every invoice exactly once', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const res = await rawApi(
        sim,
        'GET',
        `/Invoices?page=${page}&pageSize=40&order=${encodeURIComponent('InvoiceID ASC')}`,
      );
      assert.equal(res.json.pagination.pageSize, 40);
      seen.push(...res.json.Invoices.map((i: any) => i.InvoiceID as string));
      if (res.json.Invoices.length < 40) break;
    }
    assert.equal(new Set(seen).size, seen.length, 'no invoice twice');
    assert.deepEqual(seen, [...seen].sort(), 'in id order');
    assert.equal(seen.length, sim.sim.invoices(sim.tenantId).length);
  });

  it('a where clause of 50 ids joined by OR reads payments by id', async () => {
    const invoices = await createInvoices(50, 'MANYPAY');
    const ids: string[] = [];
    for (const inv of invoices)
      ids.push((await control('POST', `/invoices/${inv.InvoiceID}/payments`, { amount: 1 })).payment.PaymentID);
    const where = ids.map((id) => `PaymentID==Guid("${id}")`).join(' OR ');
    const res = await rawApi(sim, 'GET', `/Payments?page=1&pageSize=50&where=${encodeURIComponent(where)}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.Payments.map((p: any) => p.PaymentID).sort(), [...ids].sort());
    assert.ok(res.json.Payments.every((p: any) => p.Account.Code === '090'));
  });

  it('GET /Contacts?IDs=… and If-Modified-Since', async () => {
    const made = (
      await rawApi(sim, 'PUT', '/Contacts', { body: { Contacts: [{ Name: 'Reader One' }, { Name: 'Reader Two' }] } })
    ).json.Contacts as Array<{ ContactID: string }>;
    const byIds = await rawApi(sim, 'GET', `/Contacts?IDs=${made.map((c) => c.ContactID).join(',')}`);
    assert.deepEqual(byIds.json.Contacts.map((c: any) => c.Name).sort(), ['Reader One', 'Reader Two']);
    sim.sim.advanceTime(3000);
    const edited = await control('PATCH', `/contacts/${made[1]!.ContactID}`, { emailAddress: 'two@example.com' });
    const since = new Date(Number(/\d+/.exec(edited.UpdatedDateUTC)![0])).toISOString();
    const changed = await rawApi(sim, 'GET', '/Contacts', { headers: { 'If-Modified-Since': since } });
    assert.deepEqual(
      changed.json.Contacts.map((c: any) => [c.ContactID, c.EmailAddress]),
      [[made[1]!.ContactID, 'two@example.com']],
    );
  });
});
