import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithWritten, describeFields, sameDrift, type CompareVerdict } from '../src/xero-changes/compare';
import type { XeroDocumentCopy } from '../src/xero-changes/contract';
import { explainFailures } from '../src/domain/failure-explanations';
import { settingsSchema } from '../src/domain/settings';
import { changedInXeroMessage, voidedInXeroMessage } from '../activities/orders/xero-drift';

/** What an accountant changed in Xero against what the engine last wrote: a table of copies → verdicts. */

const written: XeroDocumentCopy = {
  family: 'invoice',
  xeroId: 'inv-1',
  number: 'SO-1',
  type: 'ACCREC',
  status: 'AUTHORISED',
  contactId: 'c-1',
  contactName: 'Acme',
  date: '2026-03-01',
  dueDate: '2026-03-31',
  reference: 'SO-1',
  currencyCode: 'NZD',
  lineAmountTypes: 'Exclusive',
  lines: [
    {
      lineItemId: 'l-1',
      description: 'Work',
      quantity: 1,
      unitAmount: 100,
      accountCode: '200',
      taxType: 'OUTPUT2',
      lineAmount: 100,
      tracking: [{ name: 'Region', option: 'North' }],
    },
  ],
  subTotal: 100,
  totalTax: 15,
  total: 115,
  amountPaid: 0,
  amountDue: 115,
  payments: [],
  updatedDateUtc: '2026-03-01T10:00:00.000Z',
};
const later = '2026-03-02T09:00:00.000Z';
const copy = (patch: Partial<XeroDocumentCopy>): XeroDocumentCopy => ({ ...written, updatedDateUtc: later, ...patch });
const line0 = written.lines[0]!;
const pay = (id: string, amount = 50, status?: string) => ({
  paymentId: id,
  amount,
  date: '2026-03-02',
  accountCode: '090',
  ...(status ? { status } : {}),
});

const fieldsOf = (v: CompareVerdict) => (v.outcome === 'drift' ? v.changes.fields.map((f) => f.field) : v.outcome);

const table: Array<[string, XeroDocumentCopy, string[] | string, string[]?]> = [
  ['the same copy, newer timestamp: same', copy({}), 'same'],
  ['older than the last write: stale', copy({ total: 999, updatedDateUtc: '2026-03-01T09:00:00.000Z' }), 'stale'],
  ['another Xero document (a re-created one replaced it): stale', copy({ xeroId: 'inv-0', total: 1 }), 'stale'],
  ['reference edited', copy({ reference: 'PO 77' }), ['reference']],
  ['missing text equals empty text', copy({ reference: undefined }), ['reference']],
  ['due date moved', copy({ dueDate: '2026-04-15' }), ['dueDate']],
  [
    'unit amount edited: line and totals',
    copy({
      lines: [{ ...line0, unitAmount: 200, lineAmount: 200 }],
      subTotal: 200,
      totalTax: 30,
      total: 230,
    }),
    ['total', 'totalTax', 'lines[0].unitAmount'],
  ],
  [
    'a line added',
    copy({ lines: [line0, { ...line0, lineItemId: 'l-2', description: 'Extra' }], total: 230, totalTax: 30 }),
    ['total', 'totalTax', 'lines'],
  ],
  ['new line ids from a revision are not changes', copy({ lines: [{ ...line0, lineItemId: 'l-9' }] }), 'same'],
  [
    'tracking, account, tax, description, quantity, discount',
    copy({
      lines: [
        {
          ...line0,
          description: 'Labour',
          quantity: 2,
          accountCode: '260',
          taxType: 'NONE',
          discountRate: 10,
          tracking: [{ name: 'Region', option: 'South' }],
        },
      ],
    }),
    [
      'lines[0].description',
      'lines[0].quantity',
      'lines[0].accountCode',
      'lines[0].taxType',
      'lines[0].discountRate',
      'lines[0].tracking',
    ],
  ],
  [
    'a 4-decimal unit amount read back rounded (no unitdp=4) is not a change',
    copy({ lines: [{ ...line0, unitAmount: 100 }] }),
    'same',
  ],
  ['tracking order is not a change', copy({ lines: [{ ...line0, tracking: [...line0.tracking] }] }), 'same'],
  ['contact changed', copy({ contactId: 'c-2', contactName: 'Other Ltd' }), ['contact']],
  ['currency changed', copy({ currencyCode: 'AUD' }), ['currency']],
  ['cents rounding is not a change', copy({ total: 115.004 }), 'same'],
  ['voided in Xero', copy({ status: 'VOIDED' }), ['status']],
  ['deleted in Xero', copy({ status: 'DELETED' }), ['status']],
  [
    'paid by the engine: not a change',
    copy({ status: 'PAID', payments: [pay('own-1', 115)], amountPaid: 115 }),
    'same',
  ],
  [
    'paid in Xero: a payment, not a field change',
    copy({ status: 'PAID', payments: [pay('x-1', 115)], amountPaid: 115 }),
    [],
    ['x-1'],
  ],
  ['a deleted payment is no payment', copy({ payments: [pay('x-2', 20, 'DELETED')] }), 'same'],
  ['part paid in Xero', copy({ payments: [pay('own-1', 20), pay('x-3', 30)] }), [], ['x-3']],
  ['back to draft in Xero', copy({ status: 'DRAFT' }), ['status']],
];

for (const [name, c, expected, payments] of table) {
  test(`compare: ${name}`, () => {
    const v = compareWithWritten({ copy: c, written, ownPaymentIds: ['OWN-1'.toLowerCase()] });
    assert.deepEqual(fieldsOf(v), expected);
    if (payments) {
      assert.equal(v.outcome, 'drift');
      if (v.outcome === 'drift')
        assert.deepEqual(
          (v.changes.paymentsInXero ?? []).map((p) => p.paymentId),
          payments,
        );
    }
  });
}

test('compare: 4 decimals written, 2 read back', () => {
  const w = { ...written, lines: [{ ...line0, unitAmount: 12.3456 }] };
  const same = compareWithWritten({
    copy: copy({ lines: [{ ...line0, unitAmount: 12.35 }] }),
    written: w,
    ownPaymentIds: [],
  });
  assert.equal(same.outcome, 'same');
  const changed = compareWithWritten({
    copy: copy({ lines: [{ ...line0, unitAmount: 12.4 }] }),
    written: w,
    ownPaymentIds: [],
  });
  assert.deepEqual(fieldsOf(changed), ['lines[0].unitAmount']);
});

test('compare: voided and deleted are closures with their time', () => {
  const v = compareWithWritten({ copy: copy({ status: 'VOIDED' }), written, ownPaymentIds: [] });
  assert.equal(v.outcome, 'drift');
  if (v.outcome !== 'drift') return;
  assert.deepEqual(v.changes.closedInXero, { status: 'VOIDED', at: later });
  assert.deepEqual(v.changes.fields, [{ field: 'status', ours: 'AUTHORISED', xeros: 'VOIDED' }]);
});

test('compare: a void the engine did itself is no closure', () => {
  const ours = { ...written, status: 'VOIDED' };
  assert.deepEqual(compareWithWritten({ copy: copy({ status: 'VOIDED' }), written: ours, ownPaymentIds: [] }), {
    outcome: 'same',
  });
});

test('compare: older links keep only status and total', () => {
  const partial = { partial: true as const, status: 'AUTHORISED', total: 115 };
  assert.deepEqual(
    fieldsOf(compareWithWritten({ copy: copy({ reference: 'x' }), written: partial, ownPaymentIds: [] })),
    'same',
  );
  assert.deepEqual(fieldsOf(compareWithWritten({ copy: copy({ total: 200 }), written: partial, ownPaymentIds: [] })), [
    'total',
  ]);
  const v = compareWithWritten({ copy: copy({ status: 'VOIDED' }), written: partial, ownPaymentIds: [] });
  assert.equal(v.outcome === 'drift' && v.changes.closedInXero?.status, 'VOIDED');
});

test('compare: old → new values, in words', () => {
  const v = compareWithWritten({
    copy: copy({ reference: 'PO 77', lines: [{ ...line0, unitAmount: 200 }], total: 230 }),
    written,
    ownPaymentIds: [],
  });
  assert.equal(v.outcome, 'drift');
  if (v.outcome !== 'drift') return;
  assert.deepEqual(v.changes.fields[0], { field: 'reference', ours: 'SO-1', xeros: 'PO 77' });
  assert.equal(
    describeFields(v.changes.fields),
    'reference SO-1 → PO 77; total 115 → 230; lines[0].unitAmount 100 → 200',
  );
});

test('sameDrift: the same changes seen again are one drift', () => {
  const a = compareWithWritten({ copy: copy({ reference: 'A' }), written, ownPaymentIds: [] });
  const b = compareWithWritten({
    copy: copy({ reference: 'A', updatedDateUtc: '2026-03-03T00:00:00.000Z' }),
    written,
    ownPaymentIds: [],
  });
  const c = compareWithWritten({ copy: copy({ reference: 'B' }), written, ownPaymentIds: [] });
  assert.ok(a.outcome === 'drift' && b.outcome === 'drift' && c.outcome === 'drift');
  if (a.outcome !== 'drift' || b.outcome !== 'drift' || c.outcome !== 'drift') return;
  assert.ok(sameDrift(a.changes, b.changes));
  assert.ok(!sameDrift(a.changes, c.changes));
});

test('the failures of a change in Xero explain themselves: problem, then what to do', async () => {
  const settings = settingsSchema.parse({});
  const changed = changedInXeroMessage('order 1001', 'invoice', [{ field: 'reference', ours: '1001', xeros: 'PO 7' }]);
  const [e1] = explainFailures({ errorKind: 'changed_in_xero', messages: [changed] }, settings);
  assert.match(e1!.problem, /^Order 1001's invoice was changed in Xero by someone else .*reference 1001 → PO 7/);
  assert.match(e1!.action, /Reconciliation page/);
  assert.match(e1!.action, /Send our version again/);
  const voided = voidedInXeroMessage(
    'order 1001',
    'invoice',
    { status: 'VOIDED', at: '2026-03-04T10:00:00.000Z' },
    'revision',
  );
  const [e2] = explainFailures({ errorKind: 'voided_in_xero', messages: [voided] }, settings);
  assert.match(e2!.problem, /was voided in Xero on 2026-03-04/);
  assert.match(e2!.action, /cancel it in your app/);
});
