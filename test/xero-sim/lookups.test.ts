import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreditNote, Invoice } from 'xero-node';
import { rawApi, rejection, startTestSim, validationMessages } from './helpers';

/**
 * How Xero finds things again by a value: list parameters split at commas, `where` literals with no
 * escape, unknown fields refused, methods on null fields failing the request, searchTerm on invoices.
 * A client that looks a value up wrongly must fail here as it would against Xero.
 */

describe('look-ups by list, where and searchTerm', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;
  const where = (collection: string, clause: string) =>
    rawApi(sim, 'GET', `/${collection}?where=${encodeURIComponent(clause)}`);
  const numbers = (invoices: Invoice[] | undefined) => (invoices ?? []).map((i) => i.invoiceNumber).sort();

  const sale = (invoiceNumber: string, reference?: string): Invoice => ({
    type: Invoice.TypeEnum.ACCREC,
    contact: { name: 'Lookup Customer Ltd' },
    date: '2026-03-02',
    dueDate: '2026-03-30',
    invoiceNumber,
    reference,
    lineItems: [{ description: 'Work', quantity: 1, unitAmount: 10, accountCode: '200' }],
  });
  const created = (
    await api.createInvoices(
      tenantId,
      {
        invoices: [
          sale('Cs3-1038,116'),
          sale('Cs3-1038'),
          sale('116'),
          sale('Q"7"', 'PO-Alpha'),
          sale('Q7'),
          sale('A\\B', 'po-beta'),
        ],
      },
      false,
    )
  ).body.invoices!;
  assert.ok(created.every((i) => !i.hasErrors));
  const byNumber = new Map(created.map((i) => [i.invoiceNumber!, i]));

  it('InvoiceNumbers= splits at every comma: a number with a comma finds its neighbours, never itself', async () => {
    const listed = (await api.getInvoices(tenantId, undefined, undefined, undefined, undefined, ['Cs3-1038,116'])).body;
    assert.deepEqual(numbers(listed.invoices), ['116', 'Cs3-1038']);
    const raw = await rawApi(sim, 'GET', `/Invoices?InvoiceNumbers=${encodeURIComponent('Cs3-1038,116')}`);
    assert.deepEqual(raw.json.Invoices.map((i: any) => i.InvoiceNumber).sort(), ['116', 'Cs3-1038']);
  });

  it('IDs= and ContactIDs= are comma-separated lists too', async () => {
    const a = byNumber.get('Cs3-1038')!;
    const b = byNumber.get('116')!;
    const ids = await rawApi(sim, 'GET', `/Invoices?IDs=${a.invoiceID},${b.invoiceID}`);
    assert.deepEqual(ids.json.Invoices.map((i: any) => i.InvoiceNumber).sort(), ['116', 'Cs3-1038']);
    const boom = (await api.createContacts(tenantId, { contacts: [{ name: 'List Two Ltd' }] })).body.contacts![0]!;
    const contacts = await rawApi(sim, 'GET', `/Contacts?IDs=${a.contact!.contactID},${boom.contactID}`);
    assert.deepEqual(contacts.json.Contacts.map((c: any) => c.Name).sort(), ['List Two Ltd', 'Lookup Customer Ltd']);
    const byContact = await rawApi(sim, 'GET', `/Invoices?ContactIDs=${boom.contactID},${a.contact!.contactID}`);
    assert.equal(byContact.json.Invoices.length, created.length);
  });

  it('where=InvoiceNumber=="…" finds a number with a comma, and only it', async () => {
    const found = (await api.getInvoices(tenantId, undefined, 'InvoiceNumber=="Cs3-1038,116"')).body.invoices;
    assert.deepEqual(numbers(found), ['Cs3-1038,116']);
  });

  it('a backslash is an ordinary character in a where literal, not an escape', async () => {
    const found = await where('Invoices', 'InvoiceNumber=="A\\B"');
    assert.equal(found.status, 200);
    assert.deepEqual(
      found.json.Invoices.map((i: any) => i.InvoiceNumber),
      ['A\\B'],
    );
  });

  it('a backslash-quote inside a literal is a 400 QueryParseException "Syntax error", on every collection', async () => {
    for (const [collection, clause] of [
      ['Invoices', 'InvoiceNumber=="Q\\"7\\""'],
      ['Contacts', 'Name=="Tui \\"Builders\\""'],
      ['Invoices', 'InvoiceNumber=="a,b\\"c"'],
    ] as const) {
      const res = await where(collection, clause);
      assert.equal(res.status, 400, clause);
      assert.deepEqual(res.json, { ErrorNumber: 16, Type: 'QueryParseException', Message: 'Syntax error' }, clause);
    }
    // Through xero-node as the engine calls it: the same 400, never an empty list.
    const err = await rejection(api.getContacts(tenantId, undefined, 'Name=="Tui \\"Builders\\""'));
    assert.equal(err.response.statusCode, 400);
  });

  it('a doubled quote is no escape either, and a single-quoted literal holds one character', async () => {
    const doubled = await where('Invoices', 'InvoiceNumber=="Q""7"""');
    assert.equal(doubled.status, 400);
    assert.equal(doubled.json.Type, 'QueryParseException');
    const single = await where('Invoices', "InvoiceNumber=='Q7'");
    assert.equal(single.status, 400);
    assert.equal(single.json.Message, 'Character literal must contain exactly one character');
  });

  it('an unknown field is a 400 naming it, even when nothing would match', async () => {
    for (const [collection, clause, field, type] of [
      ['Invoices', 'InvoiceNumbr=="Q7"', 'InvoiceNumbr', 'Invoice'],
      ['Invoices', 'Contact.Nmae=="x"', 'Nmae', 'Contact'],
      ['Contacts', 'Name=="x" OR Emial=="x"', 'Emial', 'Contact'],
      ['Payments', 'Invoice.Numbr=="x"', 'Numbr', 'Invoice'],
      ['CreditNotes', 'Number=="x"', 'Number', 'CreditNote'],
      ['Accounts', 'Kind=="BANK"', 'Kind', 'Account'],
      ['Items', 'SalesDetails.Price==1', 'Price', 'Purchase'],
    ] as const) {
      const res = await where(collection, clause);
      assert.equal(res.status, 400, clause);
      assert.deepEqual(
        res.json,
        {
          ErrorNumber: 16,
          Type: 'QueryParseException',
          Message: `No property or field '${field}' exists in type '${type}'`,
        },
        clause,
      );
    }
    // Field names are matched without case, as Xero's parser does.
    assert.equal((await where('Invoices', 'invoicenumber=="Q7"')).json.Invoices.length, 1);
  });

  it('a method on a field that is null on some record is a 500 unless guarded with !=null', async () => {
    await api.createContacts(tenantId, {
      contacts: [{ name: 'Has Email Ltd', emailAddress: 'ap@has-email.example' }, { name: 'No Email Ltd' }],
    });
    const unguarded = await where('Contacts', 'EmailAddress.Contains("has-email")');
    assert.equal(unguarded.status, 500);
    assert.equal(unguarded.json.Type, 'UnknownErrorException');
    const guarded = await where('Contacts', 'EmailAddress!=null&&EmailAddress.Contains("has-email")');
    assert.equal(guarded.status, 200);
    assert.deepEqual(
      guarded.json.Contacts.map((c: any) => c.Name),
      ['Has Email Ltd'],
    );
    // Comparing a null field is no call on it: no error.
    const compared = await where('Contacts', 'EmailAddress=="ap@has-email.example"');
    assert.equal(compared.status, 200);
    assert.equal(compared.json.Contacts.length, 1);
  });

  it('string methods: ToLower(), ToUpper(), StartsWith, EndsWith, Equals', async () => {
    const names = async (clause: string) =>
      (await where('Contacts', clause)).json.Contacts.map((c: any) => c.Name).sort();
    assert.deepEqual(await names('Name.ToLower()=="has email ltd"'), ['Has Email Ltd']);
    assert.deepEqual(await names('Name.ToUpper().StartsWith("NO EMAIL")'), ['No Email Ltd']);
    assert.deepEqual(await names('Name.EndsWith("Email Ltd") AND Name.Equals("No Email Ltd")'), ['No Email Ltd']);
    const unknown = await where('Contacts', 'Name.Reverse()=="x"');
    assert.equal(unknown.status, 400);
  });

  it('searchTerm on invoices: a case-insensitive contains across InvoiceNumber and Reference, pageable', async () => {
    const search = async (term: string, page?: number, pageSize?: number) =>
      (
        await api.getInvoices(
          tenantId,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          page,
          undefined,
          undefined,
          undefined,
          undefined,
          pageSize,
          term,
        )
      ).body;
    assert.deepEqual(numbers((await search('q"7')).invoices), ['Q"7"']);
    assert.deepEqual(numbers((await search('q7')).invoices), ['Q7']);
    assert.deepEqual(numbers((await search('1038')).invoices), ['Cs3-1038', 'Cs3-1038,116']);
    assert.deepEqual(numbers((await search('PO-')).invoices), ['A\\B', 'Q"7"'], 'references match too');
    const page1 = await search('cs3', 1, 1);
    const page2 = await search('cs3', 2, 1);
    assert.equal(page1.invoices!.length, 1);
    assert.equal(page2.invoices!.length, 1);
    assert.notEqual(page1.invoices![0]!.invoiceID, page2.invoices![0]!.invoiceID);
    assert.equal(page1.pagination!.itemCount, 2);
  });

  it('refuses a sales credit-note number already in use; supplier credit notes may repeat a number', async () => {
    const note = (type: CreditNote.TypeEnum, creditNoteNumber: string): CreditNote => ({
      type,
      contact: { name: 'Lookup Customer Ltd' },
      date: '2026-03-02',
      creditNoteNumber,
      lineItems: [{ description: 'Refund', quantity: 1, unitAmount: 5, accountCode: '200' }],
    });
    const sales = CreditNote.TypeEnum.ACCRECCREDIT;
    await api.createCreditNotes(tenantId, { creditNotes: [note(sales, 'CN-Q"1"')] });
    const err = await rejection(api.createCreditNotes(tenantId, { creditNotes: [note(sales, 'cn-q"1"')] }));
    assert.deepEqual(validationMessages(err), ['Credit Note # must be unique.']);
    const supplier = CreditNote.TypeEnum.ACCPAYCREDIT;
    await api.createCreditNotes(tenantId, { creditNotes: [note(supplier, 'SUP-1')] });
    await api.createCreditNotes(tenantId, { creditNotes: [note(supplier, 'SUP-1')] });
    // Xero's own numbering steps over a number someone chose.
    await api.createCreditNotes(tenantId, { creditNotes: [note(sales, 'CN-0001')] });
    const numbered = (
      await api.createCreditNotes(tenantId, {
        creditNotes: [{ ...note(sales, ''), creditNoteNumber: undefined }],
      })
    ).body.creditNotes![0]!;
    assert.match(numbered.creditNoteNumber!, /^CN-\d{4}$/);
    assert.notEqual(numbered.creditNoteNumber, 'CN-0001');
  });
});
