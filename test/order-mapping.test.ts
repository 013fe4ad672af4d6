import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsSchema, type SettingsInput } from '../src/domain/settings';
import { orderSchema, orderConvertedSchema, paymentSchema, type OrderInput } from '../src/domain/order';
import {
  addDays,
  contactFor,
  contactNameFor,
  dueDateFor,
  invoiceFor,
  invoiceNumberFor,
  lineItemsFor,
  orderLineTotals,
  orderPdfFileName,
  referenceFor,
  unitDecimalsFor,
} from '../src/domain/invoice-mapping';
import { renderOrderPdf } from '../src/pdf/order-pdf';

const base: OrderInput = {
  number: 'SO-1001',
  date: '2026-03-30',
  currency: 'NZD',
  customer: { type: 'organisation', id: 'cust-7', name: 'Acme Plumbing Ltd' },
  lines: [{ description: 'Call-out', quantity: 1, unitPrice: 95 }],
  jobDescription: 'Fix leaking tap',
  customerReference: 'PO-77',
  jobLocation: '1 Queen St',
};
const order = (patch: Partial<OrderInput> = {}) => orderSchema.parse({ ...base, ...patch });
const settings = (patch: SettingsInput = {}) =>
  settingsSchema.parse({ revenueAccountCode: '200', defaultTaxType: 'OUTPUT2', bankAccountCode: '090', ...patch });

describe('invoice number and reference', () => {
  const cases: Array<[string, SettingsInput, string, string]> = [
    ['defaults: both are the order number', {}, 'SO-1001', 'SO-1001'],
    ['prefix', { invoiceNumberPrefix: 'INV-' }, 'INV-SO-1001', 'SO-1001'],
    ['job description only', { referenceFields: ['jobDescription'] }, 'SO-1001', 'Fix leaking tap'],
    [
      'all fields in setup order',
      { referenceFields: ['customerReference', 'orderNumber', 'jobLocation', 'jobDescription'] },
      'SO-1001',
      'PO-77 / SO-1001 / 1 Queen St / Fix leaking tap',
    ],
  ];
  for (const [name, s, number, reference] of cases) {
    test(name, () => {
      assert.equal(invoiceNumberFor('SO-1001', settings(s)), number);
      assert.equal(referenceFor(order(), settings(s)), reference);
    });
  }
  test('empty fields are left out; a long reference is cut to 255', () => {
    assert.equal(
      referenceFor(
        order({ jobDescription: undefined }),
        settings({ referenceFields: ['jobDescription', 'orderNumber'] }),
      ),
      'SO-1001',
    );
    const long = referenceFor(
      order({ jobDescription: 'x'.repeat(400) }),
      settings({ referenceFields: ['jobDescription'] }),
    );
    assert.equal(long.length, 255);
  });
});

describe('due date', () => {
  const cases: Array<[string, Partial<OrderInput>, SettingsInput, string]> = [
    ['default 30 days', {}, {}, '2026-04-29'],
    ['across a year end', { date: '2026-12-15' }, { defaultDueDays: 20 }, '2027-01-04'],
    ['leap day', { date: '2028-02-28' }, { defaultDueDays: 1 }, '2028-02-29'],
    ['zero days', {}, { defaultDueDays: 0 }, '2026-03-30'],
    ['the order says', { dueDate: '2026-04-05' }, {}, '2026-04-05'],
  ];
  for (const [name, o, s, due] of cases) test(name, () => assert.equal(dueDateFor(order(o), settings(s)), due));
  test('addDays is calendar arithmetic', () => assert.equal(addDays('2026-03-31', 1), '2026-04-01'));
});

describe('lines', () => {
  const cases: Array<[string, OrderInput['lines'], SettingsInput, unknown[]]> = [
    [
      'account and default tax from setup',
      [{ description: 'Labour', quantity: 2, unitPrice: 80 }],
      {},
      [{ description: 'Labour', quantity: 2, unitAmount: 80, accountCode: '200', taxType: 'OUTPUT2' }],
    ],
    [
      'line tax code, item code and discount win',
      [{ description: 'Tap', quantity: 1, unitPrice: 45.5, taxCode: 'NONE', itemCode: 'TAP-1', discountRate: 10 }],
      {},
      [
        {
          description: 'Tap',
          quantity: 1,
          unitAmount: 45.5,
          accountCode: '200',
          taxType: 'NONE',
          itemCode: 'TAP-1',
          discountRate: 10,
        },
      ],
    ],
    [
      'cost centre mapped to a tracking option',
      [{ description: 'A', quantity: 1, unitPrice: 1, costCentre: 'north' }],
      { trackingCategoryName: 'Region', costCentreOptions: { north: 'North Island' } },
      [
        {
          description: 'A',
          quantity: 1,
          unitAmount: 1,
          accountCode: '200',
          taxType: 'OUTPUT2',
          tracking: [{ name: 'Region', option: 'North Island' }],
        },
      ],
    ],
    [
      'unmapped cost centre uses its own name',
      [{ description: 'A', quantity: 1, unitPrice: 1, costCentre: 'South' }],
      { trackingCategoryName: 'Region' },
      [
        {
          description: 'A',
          quantity: 1,
          unitAmount: 1,
          accountCode: '200',
          taxType: 'OUTPUT2',
          tracking: [{ name: 'Region', option: 'South' }],
        },
      ],
    ],
    [
      'no tracking category configured: no tracking',
      [{ description: 'A', quantity: 1, unitPrice: 1, costCentre: 'South' }],
      {},
      [{ description: 'A', quantity: 1, unitAmount: 1, accountCode: '200', taxType: 'OUTPUT2' }],
    ],
  ];
  for (const [name, lines, s, expected] of cases)
    test(name, () => assert.deepEqual(lineItemsFor(order({ lines }), settings(s)), expected));

  test('four decimals only when a unit price needs them', () => {
    assert.equal(unitDecimalsFor(order()), 2);
    assert.equal(unitDecimalsFor(order({ lines: [{ description: 'Screw', quantity: 100, unitPrice: 0.0125 }] })), 4);
  });
  test('totals as Xero computes line amounts', () => {
    const t = orderLineTotals(
      order({
        lines: [
          { description: 'a', quantity: 3, unitPrice: 33.333, discountRate: 10 },
          { description: 'b', quantity: 1, unitPrice: 0.1 },
        ],
      }),
    );
    assert.deepEqual(
      t.lines.map((l) => l.amount),
      [90, 0.1],
    );
    assert.equal(t.total, 90.1);
  });
});

describe('invoice payload', () => {
  test('every field, from the order and setup', () => {
    const s = settings({
      invoiceStatus: 'DRAFT',
      lineAmountTypes: 'Inclusive',
      brandingThemeId: '5d4dd402-c851-497e-aae1-9ff265c0d15a',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(invoiceFor(order(), s, 'contact-1'))), {
      type: 'ACCREC',
      contact: { contactID: 'contact-1' },
      invoiceNumber: 'SO-1001',
      reference: 'SO-1001',
      date: '2026-03-30',
      dueDate: '2026-04-29',
      currencyCode: 'NZD',
      lineAmountTypes: 'Inclusive',
      lineItems: [{ description: 'Call-out', quantity: 1, unitAmount: 95, accountCode: '200', taxType: 'OUTPUT2' }],
      status: 'DRAFT',
      brandingThemeID: '5d4dd402-c851-497e-aae1-9ff265c0d15a',
    });
  });
  test('an update leaves the status to Xero', () => {
    assert.equal(invoiceFor(order(), settings(), 'c').status, 'AUTHORISED');
    assert.equal(invoiceFor(order(), settings(), 'c', { forUpdate: true }).status, undefined);
  });
});

describe('contact', () => {
  const person = { type: 'person' as const, id: 'p-1', firstName: 'Ana', lastName: 'Smith' };
  const cases: Array<[string, SettingsInput, string]> = [
    ['first last', {}, 'Ana Smith'],
    ['last first', { personNameFormat: 'last_first' }, 'Smith Ana'],
    ['last, first', { personNameFormat: 'last_comma_first' }, 'Smith, Ana'],
  ];
  for (const [name, s, expected] of cases) {
    test(`person name: ${name}`, () =>
      assert.equal(contactNameFor(orderSchema.shape.customer.parse(person), settings(s)), expected));
  }
  test('every field; account number only when setup says so', () => {
    const customer = orderSchema.shape.customer.parse({
      ...person,
      email: 'ana@example.com',
      payerReference: 'PAY-9',
      phones: [{ type: 'mobile', number: '021 555 123' }],
      addresses: [{ type: 'postal', lines: ['PO Box 1'], city: 'Auckland', postalCode: '1010', country: 'NZ' }],
    });
    assert.deepEqual(
      JSON.parse(JSON.stringify(contactFor(customer, settings({ accountNumberFromPayerReference: true })))),
      {
        name: 'Ana Smith',
        contactNumber: 'p-1',
        firstName: 'Ana',
        lastName: 'Smith',
        emailAddress: 'ana@example.com',
        accountNumber: 'PAY-9',
        phones: [{ phoneType: 'MOBILE', phoneNumber: '021 555 123' }],
        addresses: [
          { addressType: 'POBOX', addressLine1: 'PO Box 1', city: 'Auckland', postalCode: '1010', country: 'NZ' },
        ],
      },
    );
    assert.equal(contactFor(customer, settings()).accountNumber, undefined);
  });
});

describe('order schemas name the field and the reason', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no lines', { ...base, lines: [] }, 'lines'],
    ['bad date', { ...base, date: '30/03/2026' }, 'date'],
    ['bad currency', { ...base, currency: 'nzd' }, 'currency'],
    ['zero quantity', { ...base, lines: [{ description: 'a', quantity: 0, unitPrice: 1 }] }, 'lines.0.quantity'],
    ['control character in number', { ...base, number: 'A\u00071' }, 'number'],
    ['number longer than 50 UTF-16 units (emoji count 2)', { ...base, number: '😀'.repeat(26) }, 'number'],
    ['organisation without name', { ...base, customer: { type: 'organisation', id: 'x' } }, 'customer.name'],
  ];
  for (const [name, input, path] of cases) {
    test(name, () => {
      const r = orderSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.ok(
        r.error!.issues.some((i) => i.path.join('.') === path),
        JSON.stringify(r.error!.issues),
      );
    });
  }
  test('payments: positive, cents', () => {
    assert.equal(paymentSchema.safeParse({ id: 'p', amount: -1, date: '2026-01-01' }).success, false);
    assert.equal(paymentSchema.safeParse({ id: 'p', amount: 1.005, date: '2026-01-01' }).success, false);
    assert.equal(paymentSchema.safeParse({ id: 'p', amount: 10.05, date: '2026-01-01' }).success, true);
  });
  test('convertedAt is an ISO date-time', () => {
    assert.equal(orderConvertedSchema.safeParse({ order: base, convertedAt: 'yesterday' }).success, false);
    assert.equal(
      orderConvertedSchema.safeParse({ order: base, convertedAt: '2026-03-30T10:00:00+13:00' }).success,
      true,
    );
  });
});

describe('order PDF', () => {
  test('a real PDF, the same bytes every time (retries reuse an Idempotency-Key)', async () => {
    const a = await renderOrderPdf(order(), settings());
    const b = await renderOrderPdf(order(), settings());
    assert.equal(a.subarray(0, 5).toString(), '%PDF-');
    assert.ok(a.equals(b));
    const c = await renderOrderPdf(order({ lines: [{ description: 'Other', quantity: 1, unitPrice: 1 }] }), settings());
    assert.ok(!a.equals(c));
    assert.equal(orderPdfFileName('SO 1/2'), 'Order-SO_1_2.pdf');
  });
});
