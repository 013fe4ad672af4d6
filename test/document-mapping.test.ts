import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOCUMENT_KINDS,
  displayRef,
  documentRef,
  documentWorkflowId,
  parseDocumentRef,
  type DocumentKind,
} from '../src/documents/kinds';
import { carriesMarker, documentMarker, markedUrl } from '../src/documents/marker';
import { ianaZoneOf, todayIn } from '../src/documents/org-today';
import {
  billDocument,
  billEventSchema,
  billSchema,
  creditNoteDocument,
  creditNoteSchema,
  dealDocument,
  dealInvoiceSchema,
  type HostDocument,
} from '../src/domain/documents';
import {
  attachesPdf,
  lineAccountFor,
  xeroCreditNoteFor,
  xeroDeepLink,
  xeroInvoiceFor,
  type MappingContext,
  type Side,
} from '../src/domain/document-mapping';
import { invoiceFor } from '../src/domain/invoice-mapping';
import { orderNumberSchema, orderSchema, type OrderInput } from '../src/domain/order';
import { orderWorkflowId } from '../src/orders/messages';
import { settingsSchema, type SettingsInput } from '../src/domain/settings';

/** The document engine's pure pieces, table by table: keys, markers, dates, documents and their Xero payloads. */

const settings = (patch: SettingsInput = {}) =>
  settingsSchema.parse({
    revenueAccountCode: '200',
    expenseAccountCode: '310',
    defaultTaxType: 'OUTPUT2',
    bankAccountCode: '090',
    ...patch,
  });
/** xero-node models hold undefined keys and enums: compare what goes over the wire. */
const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
const ctx = (patch: SettingsInput = {}, extra: Partial<MappingContext> = {}): MappingContext => ({
  settings: settings(patch),
  contactId: 'xc-1',
  ...extra,
});

const THEME = '5d4dd402-c851-497e-aae1-9ff265c0d15a';
const OTHER_THEME = '0b0b3bd6-6c3a-4d3e-9d7f-3b1f0f1b2c3d';
const XERO_CONTACT = '8f6b7c1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e';

const supplier = { type: 'organisation' as const, id: 'sup-1', name: 'Bolts Ltd' };
const billInput = {
  number: 'INV-778',
  date: '2026-03-30',
  currency: 'NZD',
  supplier,
  lines: [{ description: 'Bolts', quantity: 10, unitPrice: 2.5 }],
};
const bill = (patch: Record<string, unknown> = {}) => billDocument(billSchema.parse({ ...billInput, ...patch }));

const creditInput = {
  number: 'CN-3',
  date: '2026-03-30',
  currency: 'NZD',
  contact: { type: 'organisation' as const, id: 'cust-7', name: 'Acme' },
  lines: [{ description: 'Refund', quantity: 1, unitPrice: 20 }],
};
const creditNote = (patch: Record<string, unknown> = {}) =>
  creditNoteDocument(creditNoteSchema.parse({ ...creditInput, ...patch }));

const dealInput = { contact: { xeroContactId: XERO_CONTACT }, description: 'Website redesign', amount: 4800 };
const deal = (patch: Record<string, unknown> = {}, today = '2026-03-30', id = 'D-9') =>
  dealDocument(id, dealInvoiceSchema.parse({ ...dealInput, ...patch }), today);

const orderInput: OrderInput = {
  number: 'SO-1001',
  date: '2026-03-30',
  currency: 'NZD',
  customer: { type: 'organisation', id: 'cust-7', name: 'Acme Plumbing Ltd' },
  lines: [
    { description: 'Call-out', quantity: 1, unitPrice: 95 },
    { description: 'Tap', quantity: 2, unitPrice: 45.5, taxCode: 'NONE', itemCode: 'TAP-1', discountRate: 10 },
  ],
  jobDescription: 'Fix leaking tap',
  customerReference: 'PO-77',
};
const order = (patch: Partial<OrderInput> = {}) => orderSchema.parse({ ...orderInput, ...patch });

// ---- keys ----

describe('document keys', () => {
  const refs: Array<[string, DocumentKind, string, string, string]> = [
    ['orders keep the bare number', 'order', '1001', '1001', '1001'],
    ['an order number with punctuation', 'order', 'SO/1 #2, "x"', 'SO/1 #2, "x"', 'SO/1 #2, "x"'],
    ['an order number that spells a kind', 'order', 'bill', 'bill', 'bill'],
    ['a bill is namespaced', 'bill', 'B-7', 'bill\u001eB-7', 'bill B-7'],
    ['a credit note', 'credit_note', 'CN-3', 'credit_note\u001eCN-3', 'credit note CN-3'],
    ['a deal', 'deal', 'D-9', 'deal\u001eD-9', 'deal D-9'],
    ['a bill whose id looks like an order number', 'bill', '1001', 'bill\u001e1001', 'bill 1001'],
    ['a host id with a colon', 'deal', 'crm:42', 'deal\u001ecrm:42', 'deal crm:42'],
  ];
  for (const [name, kind, hostId, ref, shown] of refs) {
    test(`ref: ${name}`, () => {
      assert.equal(documentRef(kind, hostId), ref);
      assert.deepEqual(parseDocumentRef(ref), { kind, hostId });
      assert.equal(displayRef(ref), shown);
    });
  }

  test('an unknown prefix before the separator is read as an order number, whole', () => {
    assert.deepEqual(parseDocumentRef('quote\u001eQ-1'), { kind: 'order', hostId: 'quote\u001eQ-1' });
  });

  test('an order number can never collide with another kind’s ref: the separator is refused in numbers', () => {
    for (const kind of DOCUMENT_KINDS.filter((k) => k !== 'order')) {
      const ref = documentRef(kind, '7');
      assert.equal(orderNumberSchema.safeParse(ref).success, false, `order number ${JSON.stringify(ref)}`);
      assert.notEqual(documentRef('order', '7'), ref);
      assert.notEqual(parseDocumentRef(ref).kind, 'order');
    }
    assert.equal(billSchema.shape.number.safeParse('B\u001e7').success, false);
  });

  const ids: Array<[DocumentKind, string, string]> = [
    ['order', '1001', 'order:acc-1:1001'],
    ['bill', 'B-7', 'bill:acc-1:B-7'],
    ['credit_note', 'CN-3', 'credit_note:acc-1:CN-3'],
    ['deal', 'D-9', 'deal:acc-1:D-9'],
  ];
  for (const [kind, hostId, id] of ids) {
    test(`workflow id: ${kind}`, () => assert.equal(documentWorkflowId(kind, 'acc-1', hostId), id));
  }
  test('orders keep the workflow id they always had', () =>
    assert.equal(documentWorkflowId('order', 'acc-1', 'SO 1/2'), orderWorkflowId('acc-1', 'SO 1/2')));
  test('a bill and an order with the same number have different workflows', () =>
    assert.notEqual(documentWorkflowId('bill', 'acc-1', '7'), documentWorkflowId('order', 'acc-1', '7')));
});

// ---- markers ----

describe('marked urls', () => {
  const WF = 'bill:acc-1:B-7';
  const marker = documentMarker(WF);
  test('the marker is stable, short and per workflow', () => {
    assert.match(marker, /^xero-sync-[0-9a-f]{20}$/);
    assert.equal(documentMarker(WF), marker);
    assert.notEqual(documentMarker('bill:acc-1:B-8'), marker);
  });

  const cases: Array<[string, string | undefined, string, string]> = [
    [
      'host url without fragment',
      'https://host.example/bills/7',
      'https://sync.example',
      `https://host.example/bills/7#${marker}`,
    ],
    [
      'host url with a fragment: replaced',
      'https://host.example/bills/7?tab=1#lines',
      'https://sync.example',
      `https://host.example/bills/7?tab=1#${marker}`,
    ],
    ['host url ending in #', 'https://host.example/b#', 'https://sync.example', `https://host.example/b#${marker}`],
    [
      'no host url: the engine’s address',
      undefined,
      'https://sync.example',
      `https://sync.example/documents/${marker}`,
    ],
    [
      'no host url, public url with slashes',
      undefined,
      'https://sync.example/x//',
      `https://sync.example/x/documents/${marker}`,
    ],
    ['empty host url counts as none', '', 'https://sync.example', `https://sync.example/documents/${marker}`],
  ];
  for (const [name, hostUrl, publicUrl, expected] of cases) {
    test(name, () => {
      const url = markedUrl(hostUrl, publicUrl, WF);
      assert.equal(url, expected);
      assert.equal(carriesMarker(url, WF), true);
    });
  }

  const carried: Array<[string, string | undefined, boolean]> = [
    ['nothing returned', undefined, false],
    ['empty', '', false],
    ['the host url unmarked', 'https://host.example/bills/7', false],
    [
      'another workflow’s marker (fragment)',
      markedUrl('https://host.example/bills/7', 'https://s', 'bill:acc-1:B-8'),
      false,
    ],
    ['another workflow’s marker (engine address)', markedUrl(undefined, 'https://s', 'bill:acc-2:B-7'), false],
    ['another kind, same host id', markedUrl('https://host.example/7', 'https://s', 'order:acc-1:B-7'), false],
    ['the marker somewhere else in the url', `https://host.example/${marker}/x`, false],
    ['own marker, fragment form', `https://elsewhere.example/#${marker}`, true],
  ];
  for (const [name, url, expected] of carried) {
    test(`carriesMarker: ${name}`, () => assert.equal(carriesMarker(url, WF), expected));
  }
});

// ---- today in the organisation ----

describe('today in the organisation', () => {
  const zones: Array<[string | undefined, string]> = [
    ['NEWZEALANDSTANDARDTIME', 'Pacific/Auckland'],
    ['NewZealandStandardTime', 'Pacific/Auckland'],
    ['AUSEASTERNSTANDARDTIME', 'Australia/Sydney'],
    ['PACIFICSTANDARDTIME', 'America/Los_Angeles'],
    ['UTC', 'UTC'],
    ['MARSSTANDARDTIME', 'UTC'],
    ['', 'UTC'],
    [undefined, 'UTC'],
  ];
  for (const [xero, iana] of zones) test(`zone ${String(xero)}`, () => assert.equal(ianaZoneOf(xero), iana));

  const days: Array<[string, string | undefined, string, string]> = [
    ['NZ is already the next day (NZDT, +13)', 'NEWZEALANDSTANDARDTIME', '2026-03-01T12:00:00Z', '2026-03-02'],
    ['NZ in winter (NZST, +12)', 'NEWZEALANDSTANDARDTIME', '2026-06-30T12:30:00Z', '2026-07-01'],
    ['NZ just before its midnight', 'NEWZEALANDSTANDARDTIME', '2026-03-01T10:59:59Z', '2026-03-01'],
    ['New York is still the day before', 'EASTERNSTANDARDTIME', '2026-03-02T03:00:00Z', '2026-03-01'],
    ['unknown zone: UTC', 'NOWHERE', '2026-03-01T12:00:00Z', '2026-03-01'],
    ['no zone: UTC, across a year end', undefined, '2026-12-31T23:59:59Z', '2026-12-31'],
  ];
  for (const [name, xero, instant, expected] of days) {
    test(name, () => assert.equal(todayIn(ianaZoneOf(xero), new Date(instant)), expected));
  }
});

// ---- documents ----

describe('host documents', () => {
  test('a bill: the supplier is the contact; nothing else changes', () => {
    const doc = bill({ pdfUrl: 'https://host.example/b.pdf' });
    assert.deepEqual(doc.customer, { ...supplier, phones: [], addresses: [] });
    assert.equal('supplier' in doc, false);
    assert.equal(doc.number, 'INV-778');
    assert.equal(doc.pdfUrl, 'https://host.example/b.pdf');
  });

  const sides: Array<[string, Record<string, unknown>, Side]> = [
    ['no side, no appliesTo: sales', {}, 'sales'],
    ['applies to an order: sales', { appliesTo: { kind: 'order', id: 'SO-1' } }, 'sales'],
    ['applies to a bill: purchases', { appliesTo: { kind: 'bill', id: 'B-7' } }, 'purchases'],
    ['said purchases, applies to nothing', { side: 'purchases' }, 'purchases'],
    ['said sales, applies to an order', { side: 'sales', appliesTo: { kind: 'order', id: 'SO-1' } }, 'sales'],
  ];
  for (const [name, patch, side] of sides) {
    test(`credit note side: ${name}`, () => {
      const doc = creditNote(patch);
      assert.equal(doc.side, side);
      assert.deepEqual(doc.customer, { ...creditInput.contact, phones: [], addresses: [] });
      assert.equal('contact' in doc, false);
    });
  }

  const mismatches: Array<[string, Record<string, unknown>, string]> = [
    ['sales applying to a bill', { side: 'sales', appliesTo: { kind: 'bill', id: 'B-7' } }, 'a bill'],
    ['purchases applying to an order', { side: 'purchases', appliesTo: { kind: 'order', id: 'SO-1' } }, 'an order'],
  ];
  for (const [name, patch, words] of mismatches) {
    test(`credit note refused: ${name}`, () => {
      const r = creditNoteSchema.safeParse({ ...creditInput, ...patch });
      assert.equal(r.success, false);
      const issue = r.error!.issues.find((i) => i.path.join('.') === 'side');
      assert.ok(issue, JSON.stringify(r.error!.issues));
      assert.ok(issue.message.includes(words), issue.message);
    });
  }

  test('a deal naming a Xero contact', () => {
    assert.deepEqual(deal(), {
      number: '',
      date: '2026-03-30',
      dateDefaulted: true,
      currency: '',
      lines: [{ description: 'Website redesign', quantity: 1, unitPrice: 4800 }],
      reference: '',
      attachPdf: false,
      xeroContactId: XERO_CONTACT,
    });
  });

  const byName: Array<[string, Record<string, unknown>, Partial<NonNullable<HostDocument['customer']>>]> = [
    ['a name only', { name: 'Jo Bloggs' }, { name: 'Jo Bloggs', phones: [], addresses: [] }],
    [
      'the organisation’s name wins; the person is kept',
      { name: 'Jo Bloggs', firstName: 'Jo', lastName: 'Bloggs', organisation: 'Bloggs & Co' },
      { name: 'Bloggs & Co', firstName: 'Jo', lastName: 'Bloggs' },
    ],
    ['an empty organisation does not win', { name: 'Jo Bloggs', organisation: '' }, { name: 'Jo Bloggs' }],
    [
      'work phone → the default phone; e-mail',
      { name: 'Jo', workPhone: '09 555 1234', email: 'jo@example.com' },
      { phones: [{ type: 'default', number: '09 555 1234' }], email: 'jo@example.com' },
    ],
    [
      'address',
      { name: 'Jo', address: { lines: ['1 Queen St'], city: 'Auckland' } },
      { addresses: [{ type: 'street', lines: ['1 Queen St'], city: 'Auckland' }] },
    ],
  ];
  for (const [name, contact, expected] of byName) {
    test(`a deal by name: ${name}`, () => {
      const doc = deal({ contact });
      assert.equal(doc.contactByName, true);
      assert.equal(doc.xeroContactId, undefined);
      const customer = doc.customer!;
      assert.equal(customer.type, 'organisation');
      assert.equal(customer.id, 'deal:D-9');
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual((customer as Record<string, unknown>)[key], value, key);
      }
      if (!('firstName' in expected)) assert.equal('firstName' in customer, false);
    });
  }
  test('a deal by name: the contact key is cut to a customer id’s 50 characters', () =>
    assert.equal(deal({ contact: { name: 'Jo' } }, '2026-03-30', 'x'.repeat(80)).customer!.id.length, 50));

  const dealFields: Array<[string, Record<string, unknown>, Partial<HostDocument>]> = [
    ['date defaults to today (the caller’s)', {}, { date: '2026-03-30' }],
    ['the deal’s own date wins', { date: '2026-01-15' }, { date: '2026-01-15' }],
    [
      'every option',
      {
        dueDate: '2026-04-15',
        reference: 'Deal 9',
        currency: 'AUD',
        status: 'AUTHORISED',
        brandingThemeId: THEME,
        url: 'https://crm.example/deals/9',
      },
      {
        dueDate: '2026-04-15',
        reference: 'Deal 9',
        currency: 'AUD',
        status: 'AUTHORISED',
        brandingThemeId: THEME,
        url: 'https://crm.example/deals/9',
      },
    ],
    [
      'one line, quantity 1, at the amount, with account and tax',
      { amount: 99.95, accountCode: '210', taxCode: 'NONE' },
      {
        lines: [
          { description: 'Website redesign', quantity: 1, unitPrice: 99.95, accountCode: '210', taxCode: 'NONE' },
        ],
      },
    ],
  ];
  for (const [name, patch, expected] of dealFields) {
    test(`deal: ${name}`, () => {
      const doc = deal(patch);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual((doc as Record<string, unknown>)[key], value, key);
      }
      assert.equal(doc.attachPdf, false);
    });
  }
  test('deal: today is the caller’s argument, not the clock', () =>
    assert.equal(deal({}, '1999-12-31').date, '1999-12-31'));

  const refused: Array<[string, unknown, string]> = [
    ['missing supplier', { bill: { ...billInput, supplier: undefined } }, 'bill.supplier'],
    ['zero lines', { bill: { ...billInput, lines: [] } }, 'bill.lines'],
    [
      'supplier without a name',
      { bill: { ...billInput, supplier: { type: 'organisation', id: 's' } } },
      'bill.supplier.name',
    ],
    ['bad currency', { bill: { ...billInput, currency: 'nzd' } }, 'bill.currency'],
    [
      'a line with zero quantity',
      { bill: { ...billInput, lines: [{ description: 'a', quantity: 0, unitPrice: 1 }] } },
      'bill.lines.0.quantity',
    ],
    ['a negative revision', { bill: billInput, revision: -1 }, 'revision'],
  ];
  for (const [name, input, path] of refused) {
    test(`bill event refused: ${name}`, () => {
      const r = billEventSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.ok(
        r.error!.issues.some((i) => i.path.join('.') === path),
        JSON.stringify(r.error!.issues),
      );
    });
  }
  test('bill event: a valid one passes', () =>
    assert.equal(billEventSchema.safeParse({ bill: billInput, revision: 3 }).success, true));
  test('bill event: zero lines says why', () => {
    const r = billEventSchema.safeParse({ bill: { ...billInput, lines: [] } });
    assert.ok(r.error!.issues.some((i) => i.message === 'a document needs at least one line'));
  });
});

// ---- Xero payloads ----

describe('xeroInvoiceFor: orders', () => {
  const variants: Array<[string, SettingsInput, boolean]> = [
    ['defaults', {}, false],
    [
      'prefix, draft, inclusive, theme',
      { invoiceNumberPrefix: 'INV-', invoiceStatus: 'DRAFT', lineAmountTypes: 'Inclusive', brandingThemeId: THEME },
      false,
    ],
    ['reference fields', { referenceFields: ['customerReference', 'orderNumber'] }, false],
    ['tracking', { trackingCategoryName: 'Region' }, false],
    ['for an update', {}, true],
  ];
  for (const [name, s, forUpdate] of variants) {
    test(`same as invoiceFor: ${name}`, () => {
      const o = order({
        lines: [...orderInput.lines, { description: 'x', quantity: 1, unitPrice: 1, costCentre: 'North' }],
      });
      assert.deepEqual(
        wire(xeroInvoiceFor('order', o, ctx(s, { forUpdate }))),
        wire(invoiceFor(o, settings(s), 'xc-1', { forUpdate })),
      );
    });
  }

  const overrides: Array<[string, Partial<OrderInput>, Partial<MappingContext>, Record<string, unknown>]> = [
    ['the document’s status', { status: 'SUBMITTED' }, {}, { status: 'SUBMITTED' }],
    ['the document’s reference', { reference: 'Job 12' }, {}, { reference: 'Job 12' }],
    ['the document’s branding theme', { brandingThemeId: OTHER_THEME }, {}, { brandingThemeID: OTHER_THEME }],
    ['the url', {}, { url: 'https://host.example/o/1' }, { url: 'https://host.example/o/1' }],
    [
      'no status on an update, even the document’s',
      { status: 'SUBMITTED' },
      { forUpdate: true },
      { status: undefined },
    ],
  ];
  for (const [name, patch, extra, expected] of overrides) {
    test(`override: ${name}`, () => {
      const out = wire(xeroInvoiceFor('order', order(patch), ctx({ brandingThemeId: THEME }, extra)));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
      assert.equal(out.invoiceNumber, 'SO-1001');
    });
  }
  test('a line’s own account wins; others keep revenue', () => {
    const o = order({
      lines: [
        { description: 'a', quantity: 1, unitPrice: 1, accountCode: '260' },
        { description: 'b', quantity: 1, unitPrice: 1 },
      ],
    });
    const lines = xeroInvoiceFor('order', o, ctx()).lineItems!;
    assert.deepEqual(
      lines.map((l) => l.accountCode),
      ['260', '200'],
    );
  });
});

describe('xeroInvoiceFor: bills', () => {
  test('every field', () => {
    assert.deepEqual(wire(xeroInvoiceFor('bill', bill(), ctx({}, { url: 'https://host.example/b/7#m' }))), {
      type: 'ACCPAY',
      contact: { contactID: 'xc-1' },
      date: '2026-03-30',
      dueDate: '2026-04-29',
      lineAmountTypes: 'Exclusive',
      lineItems: [{ description: 'Bolts', quantity: 10, unitAmount: 2.5, accountCode: '310' }],
      invoiceNumber: 'INV-778',
      currencyCode: 'NZD',
      status: 'AUTHORISED',
      url: 'https://host.example/b/7#m',
    });
  });

  const cases: Array<
    [string, Record<string, unknown>, SettingsInput, Partial<MappingContext>, Record<string, unknown>]
  > = [
    ['number as given, not prefixed', {}, { invoiceNumberPrefix: 'INV-' }, {}, { invoiceNumber: 'INV-778' }],
    [
      'no Reference, even the document’s',
      { reference: 'R-1' },
      { referenceFields: ['orderNumber'] },
      {},
      { reference: undefined },
    ],
    ['no branding theme (Setup’s)', {}, { brandingThemeId: THEME }, {}, { brandingThemeID: undefined }],
    ['no branding theme (the document’s)', { brandingThemeId: THEME }, {}, {}, { brandingThemeID: undefined }],
    ['Setup’s bill status', {}, { billStatus: 'DRAFT', invoiceStatus: 'AUTHORISED' }, {}, { status: 'DRAFT' }],
    ['the document’s status wins', { status: 'SUBMITTED' }, { billStatus: 'DRAFT' }, {}, { status: 'SUBMITTED' }],
    ['an update has no status', { status: 'SUBMITTED' }, {}, { forUpdate: true }, { status: undefined }],
    ['due date given', { dueDate: '2026-04-02' }, {}, {}, { dueDate: '2026-04-02' }],
    ['due days from Setup', {}, { defaultDueDays: 7 }, {}, { dueDate: '2026-04-06' }],
    ['no url given: none', {}, {}, {}, { url: undefined }],
  ];
  for (const [name, patch, s, extra, expected] of cases) {
    test(name, () => {
      const out = wire(xeroInvoiceFor('bill', bill(patch), ctx(s, extra)));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
    });
  }

  type LineCase = [
    string,
    Record<string, unknown>,
    SettingsInput,
    ((code: string) => string | undefined) | undefined,
    { accountCode?: string; taxType?: string },
  ];
  const lineCases: LineCase[] = [
    // No purchase tax in Setup: none is sent (the activity refuses such a bill first, naming the setting).
    ['expense account, no purchase tax', {}, {}, undefined, { accountCode: '310' }],
    [
      'the purchase tax when Setup names one',
      {},
      { defaultPurchaseTaxType: 'INPUT2' },
      undefined,
      { accountCode: '310', taxType: 'INPUT2' },
    ],
    [
      'the line’s tax wins',
      { taxCode: 'NONE' },
      { defaultPurchaseTaxType: 'INPUT2' },
      undefined,
      { accountCode: '310', taxType: 'NONE' },
    ],
    ['the line’s account wins', { accountCode: '429' }, {}, () => '300', { accountCode: '429' }],
    [
      'an item’s account wins over Setup',
      { itemCode: 'BOLT' },
      {},
      (c) => (c === 'BOLT' ? '300' : undefined),
      { accountCode: '300' },
    ],
    ['an item without an account: Setup’s', { itemCode: 'BOLT' }, {}, () => undefined, { accountCode: '310' }],
    ['no expense account in Setup: none', {}, { expenseAccountCode: undefined }, undefined, {}],
  ];
  for (const [name, line, s, itemAccount, expected] of lineCases) {
    test(`line: ${name}`, () => {
      const doc = bill({ lines: [{ description: 'Bolts', quantity: 10, unitPrice: 2.5, ...line }] });
      const item = wire(xeroInvoiceFor('bill', doc, ctx(s, itemAccount ? { itemAccount } : {})).lineItems![0]);
      assert.equal(item.accountCode, expected.accountCode);
      assert.equal(item.taxType, expected.taxType);
    });
  }
});

describe('xeroInvoiceFor: deals', () => {
  test('every field, from a deal with defaults', () => {
    assert.deepEqual(wire(xeroInvoiceFor('deal', deal(), ctx({}, { url: 'https://sync.example/documents/m' }))), {
      type: 'ACCREC',
      contact: { contactID: 'xc-1' },
      date: '2026-03-30',
      dueDate: '2026-04-29',
      lineAmountTypes: 'Exclusive',
      lineItems: [
        { description: 'Website redesign', quantity: 1, unitAmount: 4800, accountCode: '200', taxType: 'OUTPUT2' },
      ],
      status: 'DRAFT',
      url: 'https://sync.example/documents/m',
    });
  });
  const cases: Array<
    [string, Record<string, unknown>, SettingsInput, Partial<MappingContext>, Record<string, unknown>]
  > = [
    ['no InvoiceNumber, whatever the prefix', {}, { invoiceNumberPrefix: 'INV-' }, {}, { invoiceNumber: undefined }],
    ['Setup’s deal status is a draft by default', {}, { invoiceStatus: 'AUTHORISED' }, {}, { status: 'DRAFT' }],
    ['Setup’s deal status', {}, { dealInvoiceStatus: 'SUBMITTED' }, {}, { status: 'SUBMITTED' }],
    ['the deal’s status wins', { status: 'AUTHORISED' }, {}, {}, { status: 'AUTHORISED' }],
    ['an update has no status', {}, {}, { forUpdate: true }, { status: undefined }],
    ['the reference', { reference: 'Deal 9' }, {}, {}, { reference: 'Deal 9' }],
    [
      'no reference: none (not Setup’s composition)',
      {},
      { referenceFields: ['orderNumber'] },
      {},
      { reference: undefined },
    ],
    ['the currency', { currency: 'AUD' }, {}, {}, { currencyCode: 'AUD' }],
    ['no currency: omitted (the base currency)', {}, {}, {}, { currencyCode: undefined }],
    ['Setup’s branding theme', {}, { brandingThemeId: THEME }, {}, { brandingThemeID: THEME }],
    [
      'the deal’s branding theme wins',
      { brandingThemeId: OTHER_THEME },
      { brandingThemeId: THEME },
      {},
      { brandingThemeID: OTHER_THEME },
    ],
    [
      'the line’s account',
      { accountCode: '210' },
      {},
      {},
      {
        lineItems: [
          { description: 'Website redesign', quantity: 1, unitAmount: 4800, accountCode: '210', taxType: 'OUTPUT2' },
        ],
      },
    ],
  ];
  for (const [name, patch, s, extra, expected] of cases) {
    test(name, () => {
      const out = wire(xeroInvoiceFor('deal', deal(patch), ctx(s, extra)));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
    });
  }
});

describe('xeroCreditNoteFor', () => {
  test('sales: every field', () => {
    const s = { creditNoteNumberPrefix: 'CR-', brandingThemeId: THEME, invoiceNumberPrefix: 'INV-' };
    assert.deepEqual(wire(xeroCreditNoteFor(creditNote({ appliesTo: { kind: 'order', id: 'SO-1' } }), ctx(s))), {
      type: 'ACCRECCREDIT',
      contact: { contactID: 'xc-1' },
      creditNoteNumber: 'CR-CN-3',
      date: '2026-03-30',
      lineAmountTypes: 'Exclusive',
      lineItems: [{ description: 'Refund', quantity: 1, unitAmount: 20, accountCode: '200', taxType: 'OUTPUT2' }],
      currencyCode: 'NZD',
      reference: 'CN-3',
      brandingThemeID: THEME,
      status: 'AUTHORISED',
    });
  });
  test('purchases: every field', () => {
    const s = { creditNoteNumberPrefix: 'CR-', brandingThemeId: THEME, defaultPurchaseTaxType: 'INPUT2' };
    const doc = creditNote({ appliesTo: { kind: 'bill', id: 'B-7' }, reference: 'R', brandingThemeId: OTHER_THEME });
    assert.deepEqual(wire(xeroCreditNoteFor(doc, ctx(s))), {
      type: 'ACCPAYCREDIT',
      contact: { contactID: 'xc-1' },
      creditNoteNumber: 'CN-3',
      date: '2026-03-30',
      lineAmountTypes: 'Exclusive',
      lineItems: [{ description: 'Refund', quantity: 1, unitAmount: 20, accountCode: '310', taxType: 'INPUT2' }],
      currencyCode: 'NZD',
      status: 'AUTHORISED',
    });
  });
  const cases: Array<
    [string, Record<string, unknown>, SettingsInput, Partial<MappingContext>, Record<string, unknown>]
  > = [
    ['no prefix by default', {}, {}, {}, { creditNoteNumber: 'CN-3' }],
    ['the document’s reference wins', { reference: 'Refund for SO-1' }, {}, {}, { reference: 'Refund for SO-1' }],
    ['Setup’s reference composition', {}, { referenceFields: ['orderNumber'] }, {}, { reference: 'CN-3' }],
    ['an empty composition: no reference', {}, { referenceFields: ['jobDescription'] }, {}, { reference: undefined }],
    ['Setup’s credit note status', {}, { creditNoteStatus: 'DRAFT' }, {}, { status: 'DRAFT' }],
    ['the document’s status wins', { status: 'SUBMITTED' }, {}, {}, { status: 'SUBMITTED' }],
    ['an update has no status', {}, {}, { forUpdate: true }, { status: undefined }],
    [
      'a purchases credit by side alone',
      { side: 'purchases' },
      { creditNoteNumberPrefix: 'CR-' },
      {},
      { type: 'ACCPAYCREDIT', creditNoteNumber: 'CN-3', reference: undefined },
    ],
    [
      'purchases: the line’s account wins',
      { side: 'purchases', lines: [{ description: 'a', quantity: 1, unitPrice: 1, accountCode: '429' }] },
      {},
      {},
      { lineItems: [{ description: 'a', quantity: 1, unitAmount: 1, accountCode: '429' }] },
    ],
  ];
  for (const [name, patch, s, extra, expected] of cases) {
    test(name, () => {
      const out = wire(xeroCreditNoteFor(creditNote(patch), ctx(s, extra)));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(out[key], value, key);
    });
  }
});

describe('attachesPdf', () => {
  const cases: Array<[DocumentKind, { attachPdf?: boolean; pdfUrl?: string }, boolean]> = [
    ['order', {}, true],
    ['order', { pdfUrl: 'https://h/o.pdf' }, true],
    ['order', { attachPdf: false }, false],
    ['order', { attachPdf: false, pdfUrl: 'https://h/o.pdf' }, false],
    ['bill', {}, false],
    ['bill', { pdfUrl: 'https://h/b.pdf' }, true],
    ['bill', { attachPdf: true }, false],
    ['bill', { attachPdf: false, pdfUrl: 'https://h/b.pdf' }, false],
    ['credit_note', { pdfUrl: 'https://h/c.pdf' }, true],
    ['credit_note', {}, false],
    ['deal', {}, false],
  ];
  for (const [kind, doc, expected] of cases) {
    test(`${kind} ${JSON.stringify(doc)} → ${expected}`, () => assert.equal(attachesPdf(kind, doc), expected));
  }
  test('a deal never attaches (its document says attachPdf false)', () =>
    assert.equal(attachesPdf('deal', deal()), false));
});

describe('xeroDeepLink', () => {
  const base = 'https://go.xero.com/organisationlogin/default.aspx?shortcode=!ab12C&redirecturl=';
  const cases: Array<[string, string]> = [
    ['ACCREC', '/AccountsReceivable/View.aspx?InvoiceID=id-1'],
    ['ACCPAY', '/AccountsPayable/View.aspx?InvoiceID=id-1'],
    ['ACCRECCREDIT', '/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=id-1'],
    ['ACCPAYCREDIT', '/AccountsPayable/ViewCreditNote.aspx?creditNoteID=id-1'],
  ];
  for (const [type, path] of cases) {
    test(type, () => assert.equal(xeroDeepLink('!ab12C', type, 'id-1'), base + path));
  }
  test('the short code is encoded', () =>
    assert.ok(xeroDeepLink('a&b c', 'ACCREC', 'x').includes('shortcode=a%26b%20c&redirecturl=')));
});

describe('lineAccountFor', () => {
  const s = { revenueAccountCode: '200', expenseAccountCode: '310' };
  const item = (code: string) => ({ BOLT: '300', SVC: '220' })[code];
  const cases: Array<
    [string, { accountCode?: string; itemCode?: string }, Side, typeof item | undefined, string | undefined]
  > = [
    ['sales: Setup’s revenue', {}, 'sales', undefined, '200'],
    ['purchases: Setup’s expense', {}, 'purchases', undefined, '310'],
    ['the line’s own wins over everything', { accountCode: '429', itemCode: 'BOLT' }, 'purchases', item, '429'],
    ['the item’s account wins over Setup', { itemCode: 'BOLT' }, 'purchases', item, '300'],
    ['the item’s account on the sales side', { itemCode: 'SVC' }, 'sales', item, '220'],
    ['an item without an account: Setup’s', { itemCode: 'NONE' }, 'sales', item, '200'],
    ['an item, no callback: Setup’s', { itemCode: 'BOLT' }, 'purchases', undefined, '310'],
    ['the callback is not asked without an item', {}, 'sales', () => '999', '200'],
  ];
  for (const [name, line, side, itemAccount, expected] of cases) {
    test(name, () => assert.equal(lineAccountFor(line, side, s, itemAccount), expected));
  }
  test('nothing in Setup: none', () => assert.equal(lineAccountFor({}, 'purchases', {}), undefined));
});
