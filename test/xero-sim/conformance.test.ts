import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CreditNote, Invoice } from 'xero-node';
import { startXeroSimulator } from '../../src/xero-sim/server';
import type { RecordedResponse } from '../../src/xero-sim/store';
import { accountingApi, connectViaConsent, rejection } from './helpers';
import { conformanceFailures } from './openapi-conformance';

/**
 * One pass over every accounting endpoint the simulator serves, success and validation answers,
 * checked against Xero's OpenAPI description (every other test file checks its own answers the
 * same way when it ends). And proof the check bites: a renamed field or a wrong type fails.
 */
describe("conformance with Xero's OpenAPI description", async () => {
  const running = await startXeroSimulator({ recordResponses: true, limits: { perMinute: 100_000 } });
  after(() => running.close());
  const [org, other] = running.sim.organisations();
  const tenantId = org!.tenantId;
  const tokens = await connectViaConsent(running.url, [tenantId, other!.tenantId]);
  const api = accountingApi(running.url, tokens.access_token);

  it('every answer of a representative session conforms, covering each endpoint', async () => {
    await api.getOrganisations(tenantId);
    const accounts = (await api.getAccounts(tenantId)).body.accounts!;
    await api.getAccount(tenantId, accounts[0]!.accountID!);
    await api.getTaxRates(tenantId);
    await api.getTaxRateByTaxType(tenantId, 'OUTPUT2');
    const cats = (await api.getTrackingCategories(tenantId, undefined, undefined, true)).body.trackingCategories!;
    await api.getTrackingCategory(tenantId, cats[0]!.trackingCategoryID!);
    await api.getBrandingThemes(tenantId);
    await api.getItems(tenantId);
    await api.getItem(tenantId, 'DEV-HOUR');
    const contact = (
      await api.createContacts(tenantId, {
        contacts: [
          {
            name: 'Conformance Ltd',
            contactNumber: 'CONF-1',
            addresses: [{ addressType: 'STREET' as never, city: 'Auckland' }],
          },
        ],
      })
    ).body.contacts![0]!;
    await api.updateOrCreateContacts(tenantId, { contacts: [{ name: 'Boom FM' }, { name: 'Conf Two' }] }, false);
    await rejection(api.createContacts(tenantId, { contacts: [{ name: 'Boom FM' }] }));
    await api.getContacts(tenantId, undefined, undefined, undefined, undefined, 1, undefined, undefined, undefined, 2);
    await api.getContacts(tenantId, undefined, undefined, undefined, undefined, undefined, undefined, true);
    await api.getContact(tenantId, contact.contactID!);
    await api.getContactByContactNumber(tenantId, 'CONF-1');
    await api.updateContact(tenantId, contact.contactID!, { contacts: [{ emailAddress: 'c@conf.example' }] });

    const line = {
      description: 'Line',
      quantity: 2,
      unitAmount: 12.5,
      accountCode: '200',
      discountRate: 5,
      tracking: [{ name: 'Region', option: 'South' }],
      itemCode: 'DEV-HOUR',
    };
    const inv = (
      await api.createInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCREC,
              contact: { contactID: contact.contactID },
              date: '2025-07-01',
              dueDate: '2025-07-31',
              reference: 'R',
              url: 'https://host.example/o/1',
              status: Invoice.StatusEnum.AUTHORISED,
              lineItems: [line],
            },
          ],
        },
        false,
        4,
      )
    ).body.invoices![0]!;
    await api.createInvoices(
      tenantId,
      {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { name: 'X' },
            invoiceNumber: inv.invoiceNumber,
            lineItems: [line],
          },
        ],
      },
      false,
    );
    await rejection(
      api.createInvoices(tenantId, {
        invoices: [
          { type: Invoice.TypeEnum.ACCREC, contact: { name: 'X' }, lineItems: [{ ...line, accountCode: '999' }] },
        ],
      }),
    );
    const bill = (
      await api.updateOrCreateInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCPAY,
              contact: { name: 'City Agency' },
              date: '2025-07-02',
              dueDate: '2025-07-20',
              status: Invoice.StatusEnum.AUTHORISED,
              lineItems: [{ description: 'b', quantity: 1, unitAmount: 9, accountCode: '310' }],
            },
          ],
        },
        false,
      )
    ).body.invoices![0]!;
    await api.getInvoices(tenantId);
    await api.getInvoices(
      tenantId,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      ['AUTHORISED'],
      1,
    );
    await api.getInvoices(
      tenantId,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      true,
    );
    await api.getOnlineInvoice(tenantId, inv.invoiceID!);
    await rejection(api.getOnlineInvoice(tenantId, bill.invoiceID!));
    await api.createInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'order.pdf',
      Buffer.from('%PDF-1.4 x'),
      true,
      undefined,
      { headers: { 'Content-Type': 'application/pdf' } },
    );
    await api.updateInvoiceAttachmentByFileName(
      tenantId,
      inv.invoiceID!,
      'order.pdf',
      Buffer.from('%PDF-1.4 y'),
      undefined,
      { headers: { 'Content-Type': 'application/pdf' } },
    );
    await api.getInvoiceAttachments(tenantId, inv.invoiceID!);
    await api.getInvoice(tenantId, inv.invoiceID!);

    const payment = (
      await api.createPayment(tenantId, {
        invoice: { invoiceID: inv.invoiceID },
        account: { code: '090' },
        amount: 5,
        date: '2025-07-05',
      })
    ).body.payments![0]!;
    await api.createPayments(
      tenantId,
      {
        payments: [
          { invoice: { invoiceID: bill.invoiceID }, account: { code: '090' }, amount: 9 },
          { invoice: { invoiceID: bill.invoiceID }, account: { code: '090' }, amount: 1 },
        ],
      },
      false,
    );
    await rejection(
      api.createPayment(tenantId, { invoice: { invoiceID: inv.invoiceID }, account: { code: '090' }, amount: 10_000 }),
    );
    await api.getPayments(tenantId);
    await api.getPayment(tenantId, payment.paymentID!);
    await api.getInvoice(tenantId, inv.invoiceID!);
    await api.deletePayment(tenantId, payment.paymentID!, { status: 'DELETED' });

    const cn = (
      await api.createCreditNotes(
        tenantId,
        {
          creditNotes: [
            {
              type: CreditNote.TypeEnum.ACCRECCREDIT,
              contact: { contactID: contact.contactID },
              date: '2025-07-03',
              status: CreditNote.StatusEnum.AUTHORISED,
              lineItems: [{ description: 'c', quantity: 1, unitAmount: 3, accountCode: '200' }],
            },
          ],
        },
        false,
      )
    ).body.creditNotes![0]!;
    await api.updateOrCreateCreditNotes(
      tenantId,
      {
        creditNotes: [
          {
            type: CreditNote.TypeEnum.ACCPAYCREDIT,
            contact: { name: 'City Agency' },
            lineItems: [{ description: 'd', quantity: 1, unitAmount: 2, accountCode: '310' }],
          },
        ],
      },
      false,
    );
    await api.createCreditNoteAllocation(tenantId, cn.creditNoteID!, {
      allocations: [{ invoice: { invoiceID: inv.invoiceID }, amount: 1, date: '2025-07-04' }],
    });
    await api.getCreditNotes(tenantId);
    await api.getCreditNote(tenantId, cn.creditNoteID!);
    await api.getInvoice(tenantId, inv.invoiceID!);

    const recorded = running.sim.recordedResponses();
    const { checked, failures } = await conformanceFailures(recorded);
    assert.deepEqual(failures, []);
    assert.ok(checked >= 40, `checked ${checked} answers`);
    const statuses = new Set(recorded.map((r) => r.status));
    assert.ok(statuses.has(200) && statuses.has(400));
  });

  it('the check fails a renamed field, a wrong type, and a missing required field', async () => {
    const recorded = running.sim.recordedResponses();
    const pick = (path: string) =>
      structuredClone(
        recorded.find((r) => r.method === 'GET' && r.path === path && r.status === 200)!,
      ) as RecordedResponse & { body: any };
    const renamed = pick('/Organisation');
    renamed.body.Organisations[0].ShortKode = renamed.body.Organisations[0].ShortCode;
    delete renamed.body.Organisations[0].ShortCode;
    const wrongType = pick('/Invoices');
    wrongType.body.Invoices[0].Total = String(wrongType.body.Invoices[0].Total);
    const invoiceRead = recorded.find(
      (r) =>
        r.method === 'GET' &&
        /^\/Invoices\/[0-9a-f-]{36}$/.test(r.path) &&
        r.status === 200 &&
        r.contentType.includes('json'),
    )!;
    const misspeltLine = structuredClone(invoiceRead) as RecordedResponse & { body: any };
    misspeltLine.body.Invoices[0].LineItems[0].LineAmmount = 1;
    const { failures } = await conformanceFailures([renamed, wrongType, misspeltLine]);
    assert.equal(failures.length, 3, JSON.stringify(failures));
    assert.match(failures[0]!.errors, /ShortKode/);
    assert.match(failures[1]!.errors, /Total must be number/);
    assert.match(failures[2]!.errors, /LineAmmount/);
  });
});
