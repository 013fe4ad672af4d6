import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invoice, LineAmountTypes, type Invoices } from 'xero-node';
import { rawApi, rejection, startTestSim, validationMessages } from './helpers';

const ACCREC = Invoice.TypeEnum.ACCREC;
const ACCPAY = Invoice.TypeEnum.ACCPAY;
const { AUTHORISED, DRAFT, SUBMITTED, DELETED, VOIDED } = Invoice.StatusEnum;

describe('invoices and bills', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;
  let n = 0;
  const num = () => `T-${++n}`;

  const sale = (overrides: Partial<Invoice> = {}): Invoice => ({
    type: ACCREC,
    contact: { name: 'Ridgeway University' },
    date: '2025-03-01',
    dueDate: '2025-03-31',
    invoiceNumber: num(),
    lineItems: [{ description: 'Consulting', quantity: 1, unitAmount: 100, accountCode: '200' }],
    ...overrides,
  });
  const create = async (inv: Invoice, unitdp?: number) =>
    (await api.createInvoices(tenantId, { invoices: [inv] }, false, unitdp)).body.invoices![0]!;

  it("computes Exclusive totals with 15% GST and answers in Xero's date format", async () => {
    const inv = await create(
      sale({
        lineItems: [
          { description: 'A', quantity: 3, unitAmount: 19.99, accountCode: '200' },
          { description: 'B', quantity: 1, unitAmount: 0.05, accountCode: '200' },
        ],
      }),
    );
    assert.equal(inv.subTotal, 60.02);
    assert.equal(inv.totalTax, 9.01); // per line: 59.97 → 9.00 (8.9955), 0.05 → 0.01 (0.0075)
    assert.equal(inv.total, 69.03);
    assert.equal(inv.amountDue, 69.03);
    assert.equal(inv.lineItems![0]!.taxType, 'OUTPUT2', "tax type defaults to the account's");
    const raw = await rawApi(sim, 'GET', `/Invoices/${inv.invoiceID}`);
    const body = raw.json.Invoices[0];
    assert.equal(body.Date, '/Date(1740787200000+0000)/');
    assert.equal(body.DateString, '2025-03-01T00:00:00');
    assert.equal(body.DueDateString, '2025-03-31T00:00:00');
    assert.match(body.UpdatedDateUTC, /^\/Date\(\d+\+0000\)\/$/);
    assert.match(body.UpdatedDateUTCString, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(raw.json.Status, 'OK');
    assert.match(raw.json.Id, /^[0-9a-f-]{36}$/);
  });

  it('accepts the /Date()/ form on input too', async () => {
    const inv = await create(sale({ date: '/Date(1739059200000+0000)/', dueDate: '2025-02-28' }));
    assert.equal(inv.date?.toString(), new Date(1739059200000).toString());
  });

  it('computes Inclusive and NoTax totals, discounts, and 2-dp rounding', async () => {
    const inc = await create(
      sale({
        lineAmountTypes: LineAmountTypes.Inclusive,
        lineItems: [{ description: 'Inc', quantity: 1, unitAmount: 115, accountCode: '200' }],
      }),
    );
    assert.deepEqual([inc.subTotal, inc.totalTax, inc.total], [100, 15, 115]);
    const none = await create(
      sale({
        lineAmountTypes: LineAmountTypes.NoTax,
        lineItems: [{ description: 'No tax', quantity: 2, unitAmount: 50, accountCode: '200' }],
      }),
    );
    assert.deepEqual([none.subTotal, none.totalTax, none.total], [100, 0, 100]);
    const disc = await create(
      sale({
        lineItems: [{ description: 'Disc', quantity: 3, unitAmount: 33.33, discountRate: 10, accountCode: '200' }],
      }),
    );
    assert.equal(disc.lineItems![0]!.lineAmount, 89.99); // 99.99 × 0.9 = 89.991
    assert.equal(disc.totalTax, 13.5);
    assert.equal(disc.total, 103.49);
    assert.equal(disc.totalDiscount, 10);
    assert.equal(disc.isDiscounted, true);
  });

  it('keeps four decimals of unit amount only with unitdp=4', async () => {
    const two = await create(
      sale({ lineItems: [{ description: 'u', quantity: 100, unitAmount: 1.23456, accountCode: '200' }] }),
    );
    assert.equal(two.lineItems![0]!.unitAmount, 1.23);
    assert.equal(two.subTotal, 123);
    const four = await create(
      sale({ lineItems: [{ description: 'u', quantity: 100, unitAmount: 1.23456, accountCode: '200' }] }),
      4,
    );
    assert.equal(four.lineItems![0]!.unitAmount, 1.2346);
    assert.equal(four.subTotal, 123.46);
    const read2 = (await api.getInvoice(tenantId, four.invoiceID!)).body.invoices![0]!;
    assert.equal(read2.lineItems![0]!.unitAmount, 1.23);
    const read4 = (await api.getInvoice(tenantId, four.invoiceID!, 4)).body.invoices![0]!;
    assert.equal(read4.lineItems![0]!.unitAmount, 1.2346);
  });

  it('numbers sales invoices uniquely ("Invoice # must be unique.") and generates numbers when none is given', async () => {
    const number = num();
    await create(sale({ invoiceNumber: number }));
    const err = await rejection(api.createInvoices(tenantId, { invoices: [sale({ invoiceNumber: number })] }));
    assert.deepEqual(validationMessages(err), ['Invoice # must be unique.']);
    const auto = await create(sale({ invoiceNumber: undefined }));
    assert.match(auto.invoiceNumber!, /^INV-\d{4}$/);
  });

  it('lets bills share a supplier number and drops Reference from bills', async () => {
    const bill = (): Invoice => ({
      type: ACCPAY,
      contact: { name: 'City Agency' },
      date: '2025-03-02',
      dueDate: '2025-04-01',
      invoiceNumber: 'SUP-77',
      reference: 'ignored',
      lineItems: [{ description: 'Parts', quantity: 1, unitAmount: 10, accountCode: '310' }],
    });
    const a = await create(bill());
    const b = await create(bill());
    assert.notEqual(a.invoiceID, b.invoiceID);
    assert.equal(a.reference, undefined);
    assert.equal(b.lineItems![0]!.taxType, 'INPUT2');
    const s = await create(sale({ reference: 'JOB-1' }));
    assert.equal(s.reference, 'JOB-1');
  });

  it('refuses unknown, archived and bank account codes, accepts other income', async () => {
    for (const [code, message] of [
      ['999', "Account code '999' is not a valid code for this document."],
      ['205', "The account code '205' has been archived, or deleted. Each line item must reference a valid account."],
      ['090', "Account code '090' is not a valid code for this document."],
    ]) {
      const err = await rejection(
        api.createInvoices(tenantId, {
          invoices: [sale({ lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: code }] })],
        }),
      );
      assert.deepEqual(validationMessages(err), [message]);
    }
    const ok = await create(
      sale({ lineItems: [{ description: 'interest', quantity: 1, unitAmount: 5, accountCode: '270' }] }),
    );
    assert.equal(ok.total, 5);
  });

  it('refuses deleted, unknown and wrong-side tax types', async () => {
    for (const taxType of ['TAX001', 'NOPE', 'INPUT2']) {
      const err = await rejection(
        api.createInvoices(tenantId, {
          invoices: [
            sale({ lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '200', taxType }] }),
          ],
        }),
      );
      assert.deepEqual(validationMessages(err), [
        `The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`,
      ]);
    }
  });

  it('takes tracking options of active categories only, at most two per line', async () => {
    const ok = await create(
      sale({
        lineItems: [
          {
            description: 't',
            quantity: 1,
            unitAmount: 1,
            accountCode: '200',
            tracking: [
              { name: 'Region', option: 'North' },
              { name: 'Cost Centre', option: 'Installation' },
            ],
          },
        ],
      }),
    );
    const tracking = ok.lineItems![0]!.tracking!;
    assert.deepEqual(
      tracking.map((t) => [t.name, t.option]),
      [
        ['Region', 'North'],
        ['Cost Centre', 'Installation'],
      ],
    );
    assert.match(tracking[0]!.trackingOptionID!, /^[0-9a-f-]{36}$/);
    const bad = async (tr: Array<{ name: string; option: string }>) =>
      validationMessages(
        await rejection(
          api.createInvoices(tenantId, {
            invoices: [
              sale({ lineItems: [{ description: 't', quantity: 1, unitAmount: 1, accountCode: '200', tracking: tr }] }),
            ],
          }),
        ),
      );
    assert.match((await bad([{ name: 'Region', option: 'West' }]))[0]!, /tracking option 'West'/);
    assert.match((await bad([{ name: 'Old Projects', option: 'Alpha' }]))[0]!, /tracking category 'Old Projects'/);
    assert.match((await bad([{ name: 'Nope', option: 'North' }]))[0]!, /tracking category 'Nope'/);
    assert.match(
      (
        await bad([
          { name: 'Region', option: 'North' },
          { name: 'Cost Centre', option: 'Installation' },
          { name: 'Region', option: 'South' },
        ])
      )[0]!,
      /maximum of 2/,
    );
  });

  it('follows the status rules', async () => {
    const upd = (id: string, status: Invoice.StatusEnum) => api.updateInvoice(tenantId, id, { invoices: [{ status }] });
    const d = await create(sale());
    assert.equal(d.status, DRAFT);
    assert.equal((await upd(d.invoiceID!, SUBMITTED)).body.invoices![0]!.status, SUBMITTED);
    assert.equal((await upd(d.invoiceID!, DRAFT)).body.invoices![0]!.status, DRAFT);
    assert.equal((await upd(d.invoiceID!, AUTHORISED)).body.invoices![0]!.status, AUTHORISED);
    assert.deepEqual(validationMessages(await rejection(upd(d.invoiceID!, DELETED))), [
      'Invoice not of valid status for modification',
    ]);
    assert.deepEqual(validationMessages(await rejection(upd(d.invoiceID!, DRAFT))), [
      'Invoice not of valid status for modification',
    ]);
    assert.equal((await upd(d.invoiceID!, VOIDED)).body.invoices![0]!.status, VOIDED);
    assert.deepEqual(validationMessages(await rejection(upd(d.invoiceID!, AUTHORISED))), [
      'Invoice not of valid status for modification',
    ]);
    const d2 = await create(sale());
    assert.equal((await upd(d2.invoiceID!, DELETED)).body.invoices![0]!.status, DELETED);
    const paidOnCreate = await rejection(
      api.createInvoices(tenantId, { invoices: [sale({ status: Invoice.StatusEnum.PAID })] }),
    );
    assert.deepEqual(validationMessages(paidOnCreate), ['Invoice not of valid status for creation']);
    const noDue = await rejection(
      api.createInvoices(tenantId, { invoices: [sale({ status: AUTHORISED, dueDate: undefined })] }),
    );
    assert.match(validationMessages(noDue)[0]!, /Due Date/);
  });

  it('updates lines by LineItemID: kept lines change, new lines are added, omitted lines are deleted', async () => {
    const inv = await create(
      sale({
        lineItems: [
          { description: 'one', quantity: 1, unitAmount: 10, accountCode: '200' },
          { description: 'two', quantity: 1, unitAmount: 20, accountCode: '200' },
        ],
      }),
    );
    const [one, two] = inv.lineItems!;
    const updated = (
      await api.updateInvoice(tenantId, inv.invoiceID!, {
        invoices: [
          {
            lineItems: [
              { lineItemID: one!.lineItemID, quantity: 2 },
              { description: 'three', quantity: 1, unitAmount: 5, accountCode: '260' },
            ],
          },
        ],
      })
    ).body.invoices![0]!;
    assert.equal(updated.lineItems!.length, 2);
    assert.equal(updated.lineItems![0]!.lineItemID, one!.lineItemID);
    assert.equal(updated.lineItems![0]!.description, 'one');
    assert.equal(updated.lineItems![0]!.lineAmount, 20);
    assert.ok(!updated.lineItems!.some((l) => l.lineItemID === two!.lineItemID));
    assert.equal(updated.subTotal, 25);
    // POST /Invoices by number updates the same invoice.
    const byNumber = (
      await api.updateOrCreateInvoices(
        tenantId,
        { invoices: [{ type: ACCREC, invoiceNumber: inv.invoiceNumber, url: 'https://host.example/orders/1' }] },
        false,
      )
    ).body.invoices![0]!;
    assert.equal(byNumber.invoiceID, inv.invoiceID);
    assert.equal(byNumber.url, 'https://host.example/orders/1');
  });

  it('refuses to edit an invoice with a payment allocated', async () => {
    const inv = await create(sale({ status: AUTHORISED }));
    await api.createPayment(tenantId, {
      invoice: { invoiceID: inv.invoiceID },
      account: { code: '090' },
      amount: 10,
      date: '2025-03-05',
    });
    const err = await rejection(
      api.updateInvoice(tenantId, inv.invoiceID!, {
        invoices: [{ lineItems: [{ description: 'changed', quantity: 1, unitAmount: 100, accountCode: '200' }] }],
      }),
    );
    assert.deepEqual(validationMessages(err), [
      'This document cannot be edited as it has a payment or credit note allocated to it.',
    ]);
    const voidErr = await rejection(api.updateInvoice(tenantId, inv.invoiceID!, { invoices: [{ status: VOIDED }] }));
    assert.match(validationMessages(voidErr)[0]!, /cannot be voided/);
  });

  it('refuses documents dated on or before a lock date', async () => {
    sim.sim.setLockDates(sim.otherTenantId, { periodLockDate: '2025-01-31' });
    const org = (await api.getOrganisations(sim.otherTenantId)).body.organisations![0]!;
    assert.ok(org.periodLockDate);
    const err = await rejection(api.createInvoices(sim.otherTenantId, { invoices: [sale({ date: '2025-01-31' })] }));
    assert.match(validationMessages(err)[0]!, /lock date of 31 Jan 2025/);
    const ok = await api.createInvoices(sim.otherTenantId, { invoices: [sale({ date: '2025-02-01' })] });
    assert.equal(ok.response.status, 200);
    sim.sim.setLockDates(sim.otherTenantId, { periodLockDate: null });
  });

  it('without summarizeErrors=false, one bad element fails the batch with 400 — yet the good ones are created (the trap)', async () => {
    const good1 = num();
    const good2 = num();
    const batch: Invoices = {
      invoices: [
        sale({ invoiceNumber: good1 }),
        sale({
          invoiceNumber: num(),
          lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '999' }],
        }),
        sale({ invoiceNumber: good2 }),
      ],
    };
    const err = await rejection(api.createInvoices(tenantId, batch));
    assert.equal(err.response.statusCode, 400);
    const body = err.response.body as { Elements: Array<{ InvoiceNumber: string }> };
    assert.equal(body.Elements.length, 1, 'only the bad element is reported');
    const created = (await api.getInvoices(tenantId, undefined, undefined, undefined, undefined, [good1, good2])).body
      .invoices!;
    assert.equal(created.length, 2, 'the good elements were created anyway');
  });

  it('with summarizeErrors=false answers 200 with HasErrors / StatusAttributeString / ValidationErrors per element', async () => {
    const number = num();
    const res = await api.createInvoices(
      tenantId,
      { invoices: [sale({ invoiceNumber: number }), sale({ invoiceNumber: number })] },
      false,
    );
    assert.equal(res.response.status, 200);
    const [a, b] = res.body.invoices!;
    assert.equal(a!.hasErrors, false);
    assert.equal(a!.statusAttributeString, 'OK');
    assert.equal(b!.hasErrors, true);
    assert.equal(b!.statusAttributeString, 'ERROR');
    assert.deepEqual(
      b!.validationErrors!.map((v) => v.message),
      ['Invoice # must be unique.'],
    );
  });

  it('finds invoices by id, by number, and by list filters; lists carry lines only when paged', async () => {
    const number = num();
    const inv = await create(sale({ invoiceNumber: number, status: AUTHORISED }));
    assert.equal((await api.getInvoice(tenantId, number)).body.invoices![0]!.invoiceID, inv.invoiceID);
    const unpaged = (await api.getInvoices(tenantId, undefined, undefined, undefined, [inv.invoiceID!])).body.invoices!;
    assert.equal(unpaged[0]!.lineItems!.length, 0);
    const paged = (
      await api.getInvoices(
        tenantId,
        undefined,
        undefined,
        undefined,
        [inv.invoiceID!],
        undefined,
        undefined,
        undefined,
        1,
      )
    ).body;
    assert.equal(paged.invoices![0]!.lineItems!.length, 1);
    assert.deepEqual({ ...paged.pagination }, { page: 1, pageSize: 100, pageCount: 1, itemCount: 1 });
    const byStatus = (
      await api.getInvoices(tenantId, undefined, undefined, undefined, undefined, undefined, undefined, ['AUTHORISED'])
    ).body.invoices!;
    assert.ok(byStatus.every((i) => i.status === AUTHORISED) && byStatus.some((i) => i.invoiceID === inv.invoiceID));
    const byContact = (
      await api.getInvoices(tenantId, undefined, undefined, undefined, undefined, undefined, [inv.contact!.contactID!])
    ).body.invoices!;
    assert.ok(byContact.every((i) => i.contact!.contactID === inv.contact!.contactID));
    const where = (await api.getInvoices(tenantId, undefined, `Type=="ACCREC" AND InvoiceNumber=="${number}"`)).body
      .invoices!;
    assert.deepEqual(
      where.map((i) => i.invoiceID),
      [inv.invoiceID],
    );
    const missing = await rejection(api.getInvoice(tenantId, '00000000-0000-0000-0000-000000000000'));
    assert.equal(missing.response.statusCode, 404);
    assert.equal(missing.response.body, "The resource you're looking for cannot be found");
  });

  it('creates the contact named on an invoice when none is active with that name, and marks customers', async () => {
    const inv = await create(sale({ contact: { name: 'Brand New Customer Ltd' } }));
    const contact = (await api.getContact(tenantId, inv.contact!.contactID!)).body.contacts![0]!;
    assert.equal(contact.name, 'Brand New Customer Ltd');
    assert.equal(contact.isCustomer, true);
    const again = await create(sale({ contact: { name: 'brand new customer ltd' } }));
    assert.equal(again.contact!.contactID, inv.contact!.contactID);
  });

  it('gives the online invoice only for approved sales invoices, and a PDF on Accept: application/pdf', async () => {
    const draft = await create(sale());
    assert.match(
      validationMessages(await rejection(api.getOnlineInvoice(tenantId, draft.invoiceID!)))[0]!,
      /not available for draft/,
    );
    const bill = await create({
      type: ACCPAY,
      contact: { name: 'PowerDirect' },
      date: '2025-03-01',
      dueDate: '2025-03-20',
      status: AUTHORISED,
      lineItems: [{ description: 'power', quantity: 1, unitAmount: 80, accountCode: '445' }],
    });
    assert.match(
      validationMessages(await rejection(api.getOnlineInvoice(tenantId, bill.invoiceID!)))[0]!,
      /only available for sales invoices/,
    );
    const approved = await create(sale({ status: AUTHORISED }));
    const online = (await api.getOnlineInvoice(tenantId, approved.invoiceID!)).body.onlineInvoices![0]!;
    assert.match(online.onlineInvoiceUrl!, /^http:\/\/127\.0\.0\.1:\d+\/in\/[0-9a-f]{32}$/);
    assert.equal((await fetch(online.onlineInvoiceUrl!)).status, 200);
    const pdf = await rawApi(sim, 'GET', `/Invoices/${approved.invoiceID}`, { headers: { accept: 'application/pdf' } });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.ok(pdf.text.startsWith('%PDF-1.4'));
  });

  it('refuses a body of the wrong JSON type as PostDataInvalidException', async () => {
    const res = await rawApi(sim, 'PUT', '/Invoices', {
      body: { Invoices: [{ Type: 'ACCREC', LineItems: [{ Quantity: 'lots' }] }] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.Type, 'PostDataInvalidException');
    const bad = await rawApi(sim, 'PUT', '/Invoices', { body: '{not json' });
    assert.equal(bad.status, 400);
  });
});
