import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Order } from '../src/domain/order';
import { applyStepResult, nextStep, stepStarted, type Step } from '../workflows/order-plan';
import { initialState, type OrderState, type PaymentState } from '../workflows/order-state';

/** The order workflow's planner, without Temporal: a table of states → the next step. */

const order: Order = {
  number: 'SO-1',
  date: '2026-03-01',
  currency: 'NZD',
  customer: { type: 'organisation', name: 'Acme', id: 'c-1', phones: [], addresses: [] },
  lines: [{ description: 'Work', quantity: 1, unitPrice: 100 }],
};
const invoice = (syncedRevision: number | null = 1, status = 'AUTHORISED') => ({
  id: 'inv-1',
  number: 'SO-1',
  status,
  total: 115,
  syncedRevision,
});
const payment = (id: string, extra: Partial<PaymentState> = {}): PaymentState => ({
  id,
  payment: { id, amount: 10, date: '2026-03-02' },
  removed: false,
  generation: 0,
  tries: 0,
  reapply: false,
  ...extra,
});

function state(patch: Partial<OrderState>): OrderState {
  return { ...initialState('acc', 'SO-1'), ...patch };
}
const admitted = (patch: Partial<OrderState> = {}) =>
  state({
    order,
    orderJson: JSON.stringify(order),
    revision: 1,
    convertedAt: '2026-03-01T10:00:00Z',
    admission: 'syncing',
    contact: { customerId: 'c-1', contactId: 'xc-1' },
    ...patch,
  });

const table: Array<[string, OrderState, string | undefined]> = [
  ['nothing heard yet: wait', state({}), undefined],
  ['payments before the conversion: wait', state({ payments: [payment('p')] }), undefined],
  ['converted, not admitted: admit', state({ order, convertedAt: '2026-03-01T10:00:00Z' }), 'admit'],
  ['skipped: nothing ever', state({ order, admission: 'skipped' }), undefined],
  [
    'a failure: wait for retry or a fix',
    admitted({ failure: { step: 'invoice', kind: 'v', message: 'm' } }),
    undefined,
  ],
  ['admitted without contact: contact', admitted({ contact: undefined }), 'contact'],
  ['customer changed: contact again', admitted({ contact: { customerId: 'other', contactId: 'x' } }), 'contact'],
  ['contact known, no invoice: invoice', admitted(), 'invoice'],
  ['invoice behind the order: revise', admitted({ revision: 2, invoice: invoice(1) }), 'revise'],
  ['invoice adopted (content unknown): revise', admitted({ invoice: invoice(null) }), 'revise'],
  ['PDF behind the invoice: attach', admitted({ invoice: invoice(1), attachmentRevision: null }), 'attach'],
  ['all synced: nothing', admitted({ invoice: invoice(1), attachmentRevision: 1 }), undefined],
  ['a payment to make', admitted({ invoice: invoice(1), attachmentRevision: 1, payments: [payment('p')] }), 'pay'],
  [
    'a skipped payment is not retried',
    admitted({ invoice: invoice(1), attachmentRevision: 1, payments: [payment('p', { skipped: 'setup' })] }),
    undefined,
  ],
  [
    'removals come before a revision',
    admitted({
      revision: 2,
      invoice: invoice(1),
      attachmentRevision: 1,
      payments: [payment('p', { removed: true, synced: { xeroPaymentId: 'xp', amount: 10 } })],
    }),
    'unpay',
  ],
  [
    'a cancel with an invoice: cancel it',
    admitted({ invoice: invoice(1), attachmentRevision: 1, cancelRequested: true }),
    'cancel',
  ],
  ['a cancel before any known invoice: ask Xero', admitted({ cancelRequested: true }), 'cancel_unsynced'],
  [
    'a cancel waits for payment removals',
    admitted({
      invoice: invoice(1),
      cancelRequested: true,
      payments: [payment('p', { removed: true, synced: { xeroPaymentId: 'xp', amount: 10 } })],
    }),
    'unpay',
  ],
  ['cancelled: nothing', admitted({ invoice: invoice(1), cancelRequested: true, cancelled: true }), undefined],
  [
    'payments wait for their invoice',
    admitted({ contact: undefined, order: undefined, payments: [payment('p')] }),
    undefined,
  ],
];

for (const [name, s, expected] of table) {
  test(`plan: ${name}`, () => assert.equal(nextStep(s)?.type, expected));
}

test('planning is pure: the state query may plan at any time without changing anything', () => {
  const s = admitted({ invoice: invoice(1), attachmentRevision: 1, payments: [payment('p')] });
  const before = JSON.stringify(s);
  nextStep(s);
  nextStep(s);
  assert.equal(JSON.stringify(s), before);
});

test('a payment created twice in one generation looks for the first write before the second', () => {
  const s = admitted({ invoice: invoice(1), attachmentRevision: 1, payments: [payment('p')] });
  const first = nextStep(s) as Extract<Step, { type: 'pay' }>;
  assert.equal(first.lookFirst, false);
  stepStarted(s, first);
  const second = nextStep(s) as Extract<Step, { type: 'pay' }>;
  assert.equal(second.lookFirst, true);
});

test('a revision refused for payments: every synced payment comes off, then goes back on', () => {
  const s = admitted({
    revision: 2,
    invoice: invoice(1),
    attachmentRevision: 1,
    payments: [payment('p', { synced: { xeroPaymentId: 'xp', amount: 10 } })],
  });
  const revise = nextStep(s)!;
  assert.equal(revise.type, 'revise');
  applyStepResult(s, revise, { type: 'revise', outcome: 'payments_first' });
  const unpay = nextStep(s)!;
  assert.equal(unpay.type, 'unpay');
  applyStepResult(s, unpay, { type: 'unpay' });
  assert.equal(s.payments[0]!.generation, 1);
  assert.equal(nextStep(s)?.type, 'revise');
  applyStepResult(s, nextStep(s)!, { type: 'revise', outcome: 'updated', status: 'AUTHORISED', total: 230 });
  assert.equal(s.invoice?.syncedRevision, 2);
  assert.equal(nextStep(s)?.type, 'attach');
  applyStepResult(s, nextStep(s)!, { type: 'attach' });
  const pay = nextStep(s) as Extract<Step, { type: 'pay' }>;
  assert.equal(pay.type, 'pay');
  assert.equal(pay.generation, 1, 'a new write, with a new key');
});

test('a payment changed while it was being created is re-applied', () => {
  const s = admitted({ invoice: invoice(1), attachmentRevision: 1, payments: [payment('p')] });
  const pay = nextStep(s)!;
  s.payments[0]!.payment = { id: 'p', amount: 12, date: '2026-03-02' };
  applyStepResult(s, pay, { type: 'pay', outcome: 'created', xeroPaymentId: 'xp' });
  assert.equal(s.payments[0]!.reapply, true);
  assert.equal(nextStep(s)?.type, 'unpay');
});

test('edits not synced (setup): the revision counts as done and the PDF stays', () => {
  const s = admitted({ revision: 2, invoice: invoice(1), attachmentRevision: 1 });
  applyStepResult(s, nextStep(s)!, { type: 'revise', outcome: 'skipped' });
  assert.equal(s.invoice?.syncedRevision, 2);
  assert.equal(s.attachmentRevision, 2);
  assert.equal(nextStep(s), undefined);
});

test('a cancel that found the invoice in Xero keeps it', () => {
  const s = admitted({ cancelRequested: true });
  const step = nextStep(s)!;
  applyStepResult(s, step, { type: 'cancel_unsynced', invoice: { ...invoice(null, 'VOIDED') } });
  assert.equal(s.cancelled, true);
  assert.equal(s.invoice?.status, 'VOIDED');
  assert.equal(nextStep(s), undefined);
});

// ---- issue 13: changes made in Xero ----

const xeroCopy = (patch: Record<string, unknown> = {}) =>
  ({
    family: 'invoice',
    xeroId: 'inv-1',
    number: 'SO-1',
    type: 'ACCREC',
    status: 'AUTHORISED',
    contactId: 'xc-1',
    lines: [],
    subTotal: 100,
    totalTax: 15,
    total: 115,
    payments: [],
    updatedDateUtc: '2026-03-02T00:00:00.000Z',
    ...patch,
  }) as import('../src/xero-changes/contract').XeroDocumentCopy;
const field = { field: 'reference', ours: 'SO-1', xeros: 'PO 7' };
const closed = { status: 'VOIDED' as const, at: '2026-03-02T00:00:00.000Z' };
const xeroPay = { paymentId: 'xp-9', amount: 100, date: '2026-03-03' };
const synced = (patch: Partial<OrderState> = {}) => admitted({ invoice: invoice(1), attachmentRevision: 1, ...patch });

const xeroTable: Array<[string, OrderState, string | undefined, string?]> = [
  [
    'a copy from Xero is checked before anything else',
    synced({ revision: 2, xero: { payments: [], pending: { copy: xeroCopy(), via: 'webhook' } } }),
    'check_xero',
  ],
  [
    'a copy is checked even while a step has failed (it is no write)',
    synced({
      failure: { step: 'revise', kind: 'v', message: 'm' },
      xero: { payments: [], pending: { copy: xeroCopy(), via: 'webhook' } },
    }),
    'check_xero',
  ],
  ['a drift alone changes nothing', synced({ xero: { payments: [], drift: { fields: [field] } } }), undefined],
  [
    'a revision meets a drift: Setup decides (named revise)',
    synced({ revision: 2, xero: { payments: [], drift: { fields: [field] } } }),
    'xero_conflict',
    'revise',
  ],
  [
    'a revision of a document paid in Xero: Xero would refuse the edit, so it fails first',
    synced({ revision: 2, xero: { payments: [xeroPay], drift: { fields: [] } } }),
    'xero_conflict',
    'revise',
  ],
  [
    'a drift closed by Accept (payments kept) does not hold a revision of an unpaid credit',
    { ...synced({ revision: 2, xero: { payments: [], drift: { fields: [] } } }) },
    'revise',
  ],
  [
    'Setup let the host win: the revision overwrites',
    synced({ revision: 2, xero: { payments: [], drift: { fields: [field] }, overwrite: 'overwritten' } }),
    'revise',
  ],
  [
    'Send ours re-sends a synced revision',
    synced({ xero: { payments: [], drift: { fields: [field] }, overwrite: 'sent_ours' } }),
    'revise',
  ],
  [
    'a revision of a document voided in Xero: Setup decides',
    synced({ revision: 2, xero: { payments: [], closed, drift: { fields: [] } } }),
    'xero_conflict',
    'revise',
  ],
  [
    'a payment on a document voided in Xero: Setup decides (named pay)',
    synced({ payments: [payment('p')], xero: { payments: [], closed } }),
    'xero_conflict',
    'pay:p',
  ],
  [
    'a payment that fits beside the Xero payment is made',
    synced({ payments: [payment('p')], xero: { payments: [xeroPay] } }),
    'pay',
  ],
  [
    'a payment that would overpay beside the Xero payment fails first',
    synced({
      payments: [payment('p', { payment: { id: 'p', amount: 20, date: '2026-03-04' } })],
      xero: { payments: [xeroPay] },
    }),
    'xero_conflict',
    'pay:p',
  ],
  [
    "Accept Xero's / Ignore: resolved first",
    synced({ revision: 2, xero: { payments: [], drift: { fields: [field] }, resolve: 'accept_xero' } }),
    'resolve_xero',
  ],
  [
    'a cancel of a document voided in Xero is an ordinary cancel (Xero already shows it closed)',
    synced({ cancelRequested: true, xero: { payments: [], closed } }),
    'cancel',
  ],
  [
    'being created again: a new invoice replacing the voided one',
    admitted({
      revision: 2,
      xero: { payments: [], recreate: { replaces: { id: 'inv-1', number: 'SO-1' }, n: 1, resolution: 'overwritten' } },
    }),
    'invoice',
  ],
];

for (const [name, s, expected, stepName] of xeroTable) {
  test(`plan (Xero changed): ${name}`, () => {
    const step = nextStep(s);
    assert.equal(step?.type, expected);
    if (stepName) assert.equal(step?.name, stepName);
  });
}

test('check_xero: the verdict is kept, a newer copy waiting meanwhile is kept too', () => {
  const s = synced({ xero: { payments: [], pending: { copy: xeroCopy(), via: 'webhook' } } });
  const step = nextStep(s)!;
  s.xero!.pending = { copy: xeroCopy({ updatedDateUtc: '2026-03-03T00:00:00.000Z' }), via: 'webhook' };
  applyStepResult(s, step, {
    type: 'check_xero',
    result: { outcome: 'drift', closed, fields: [], payments: [xeroPay] },
  });
  assert.deepEqual(s.xero!.closed, closed);
  assert.deepEqual(s.xero!.payments, [xeroPay]);
  assert.deepEqual(s.xero!.drift, { fields: [] });
  assert.equal(s.xero!.pending?.copy.updatedDateUtc, '2026-03-03T00:00:00.000Z');
  const again = nextStep(s)!;
  applyStepResult(s, again, { type: 'check_xero', result: { outcome: 'same' } });
  assert.equal(s.xero!.pending, undefined);
  assert.equal(s.xero!.closed, undefined);
  assert.equal(s.xero!.drift, undefined);
});

test('Setup "recreate": the voided invoice is forgotten, the new one replaces it with its number', () => {
  const s = synced({ revision: 2, xero: { payments: [], closed, drift: { fields: [] } } });
  const conflict = nextStep(s)!;
  applyStepResult(s, conflict, { type: 'xero_conflict', verdict: 'recreate' });
  assert.equal(s.invoice, undefined);
  const create = nextStep(s) as Extract<Step, { type: 'invoice' }>;
  assert.equal(create.type, 'invoice');
  assert.deepEqual(create.replaces, { id: 'inv-1', number: 'SO-1', n: 1, resolution: 'overwritten' });
  applyStepResult(s, create, {
    type: 'invoice',
    invoice: { id: 'inv-2', number: 'SO-1-R1', status: 'AUTHORISED', total: 115, syncedRevision: 2 },
  });
  assert.equal(s.xero!.recreate, undefined);
  assert.equal(s.xero!.drift, undefined);
  assert.equal(nextStep(s)?.type, 'attach');
});

test('Setup "host": overwrite, and the drift is gone once written', () => {
  const s = synced({ revision: 2, xero: { payments: [], drift: { fields: [field] } } });
  applyStepResult(s, nextStep(s)!, { type: 'xero_conflict', verdict: 'overwrite' });
  const revise = nextStep(s) as Extract<Step, { type: 'revise' }>;
  assert.equal(revise.overwrites, 'overwritten');
  applyStepResult(s, revise, { type: 'revise', outcome: 'updated', status: 'AUTHORISED', total: 115 });
  assert.equal(s.xero!.drift, undefined);
  assert.equal(s.xero!.overwrite, undefined);
});

test("Accept Xero's: a revision held meanwhile is not written over Xero's copy", () => {
  const s = synced({ revision: 2, xero: { payments: [], drift: { fields: [field] }, resolve: 'accept_xero' } });
  applyStepResult(s, nextStep(s)!, { type: 'resolve_xero', resolved: true });
  assert.equal(s.invoice!.syncedRevision, 2);
  assert.equal(nextStep(s), undefined);
});
