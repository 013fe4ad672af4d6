import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { documentRef, type DocumentKind } from '../src/documents/kinds';
import {
  billDocument,
  billSchema,
  creditNoteDocument,
  creditNoteSchema,
  dealDocument,
  dealInvoiceSchema,
  type HostDocument,
} from '../src/domain/documents';
import type { Order } from '../src/domain/order';
import type { OrderEvent, OrderEventOutcome } from '../src/orders/messages';
import { applyStepResult, nextStep, stepStarted, type Step } from '../workflows/order-plan';
import { applyEvent, initialState, isClosed, view, type OrderState } from '../workflows/order-state';

/** The document engine's planner and host-event rules for kinds beside orders, without Temporal. */

const XERO_CONTACT = '8f6b7c1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e';
const CONVERTED_AT = '2026-03-01T10:00:00Z';

const supplier = { type: 'organisation' as const, id: 'sup-1', name: 'Bolts Ltd' };
const bill = (unitPrice = 25, patch: Record<string, unknown> = {}): HostDocument =>
  billDocument(
    billSchema.parse({
      number: 'B-7',
      date: '2026-03-01',
      currency: 'NZD',
      supplier,
      lines: [{ description: 'Bolts', quantity: 1, unitPrice }],
      ...patch,
    }),
  );
const creditNote = (patch: Record<string, unknown> = {}): HostDocument =>
  creditNoteDocument(
    creditNoteSchema.parse({
      number: 'CN-3',
      date: '2026-03-01',
      currency: 'NZD',
      contact: { type: 'organisation', id: 'cust-7', name: 'Acme' },
      lines: [{ description: 'Refund', quantity: 1, unitPrice: 20 }],
      ...patch,
    }),
  );
const deal = (contact: Record<string, unknown> = { xeroContactId: XERO_CONTACT }): HostDocument =>
  dealDocument('D-9', dealInvoiceSchema.parse({ contact, description: 'Website', amount: 4800 }), '2026-03-01');
const order = (unitPrice = 100, patch: Partial<Order> = {}): Order => ({
  number: 'SO-1',
  date: '2026-03-01',
  currency: 'NZD',
  customer: { type: 'organisation', name: 'Acme', id: 'c-1', phones: [], addresses: [] },
  lines: [{ description: 'Work', quantity: 1, unitPrice }],
  ...patch,
});

const HOST_IDS: Record<DocumentKind, string> = { order: 'SO-1', bill: 'B-7', credit_note: 'CN-3', deal: 'D-9' };
const fresh = (kind: DocumentKind) => initialState('acc', documentRef(kind, HOST_IDS[kind]), kind);

type Version = { revision?: number; updatedAt?: string };
const put = (doc: HostDocument, version?: Version): OrderEvent => ({
  type: 'put',
  order: doc,
  convertedAt: CONVERTED_AT,
  ...(version ? { version } : {}),
});
const short = (o: OrderEventOutcome) => (o.applied ? 'applied' : o.reason);
const priceOf = (s: OrderState) => s.order?.lines[0]?.unitPrice;

function run(kind: DocumentKind, events: OrderEvent[], state: OrderState = fresh(kind)) {
  const outcomes = events.map((e) => applyEvent(state, e));
  return { state, outcomes };
}

/** A document the engine has received and admitted, its contact resolved. */
function admitted(kind: DocumentKind, doc: HostDocument, patch: Partial<OrderState> = {}): OrderState {
  const s = fresh(kind);
  assert.equal(short(applyEvent(s, put(doc))), 'applied');
  s.admission = 'syncing';
  return { ...s, ...patch };
}
const invoice = (syncedRevision: number | null = 1, total = 23) => ({
  id: 'xd-1',
  number: 'N-1',
  status: 'AUTHORISED',
  total,
  syncedRevision,
});

// ---- host events ----

describe('put: a conversion on an unknown document, a revision on a known one', () => {
  const table: Array<{
    name: string;
    kind: DocumentKind;
    events: OrderEvent[];
    outcomes: string[];
    price?: number;
    revision?: number;
  }> = [
    { name: 'bill: first put', kind: 'bill', events: [put(bill(25))], outcomes: ['applied'], price: 25, revision: 1 },
    {
      name: 'bill: the same content again is a duplicate',
      kind: 'bill',
      events: [put(bill(25)), put(bill(25))],
      outcomes: ['applied', 'duplicate'],
      revision: 1,
    },
    {
      name: 'bill: other content without versions wins by arrival (a revision, not a repeated conversion)',
      kind: 'bill',
      events: [put(bill(25)), put(bill(30)), put(bill(35))],
      outcomes: ['applied', 'applied', 'applied'],
      price: 35,
      revision: 3,
    },
    {
      name: 'bill: an older version is stale',
      kind: 'bill',
      events: [put(bill(25), { revision: 1 }), put(bill(40), { revision: 4 }), put(bill(30), { revision: 2 })],
      outcomes: ['applied', 'applied', 'stale'],
      price: 40,
      revision: 2,
    },
    {
      name: 'bill: the same version re-sent is a duplicate; with other content, stale',
      kind: 'bill',
      events: [put(bill(25), { revision: 4 }), put(bill(25), { revision: 4 }), put(bill(99), { revision: 4 })],
      outcomes: ['applied', 'duplicate', 'stale'],
      price: 25,
      revision: 1,
    },
    {
      name: 'credit note: a newer version applies',
      kind: 'credit_note',
      events: [
        put(creditNote(), { updatedAt: '2026-03-01T10:00:00Z' }),
        put(creditNote({ lines: [{ description: 'Refund', quantity: 1, unitPrice: 25 }] }), {
          updatedAt: '2026-03-01T11:00:00Z',
        }),
        put(creditNote({ lines: [{ description: 'Refund', quantity: 1, unitPrice: 5 }] }), {
          updatedAt: '2026-03-01T10:30:00Z',
        }),
      ],
      outcomes: ['applied', 'applied', 'stale'],
      price: 25,
      revision: 2,
    },
    {
      name: 'deal: a newer version with identical content is a duplicate',
      kind: 'deal',
      events: [put(deal(), { revision: 1 }), put(deal(), { revision: 2 })],
      outcomes: ['applied', 'duplicate'],
      revision: 1,
    },
    {
      name: 'events before the first put are about an unknown document',
      kind: 'bill',
      events: [
        { type: 'payment_added', payment: { id: 'p', amount: 1, date: '2026-03-02' } },
        { type: 'cancelled' },
        { type: 'revised', order: bill() },
      ],
      outcomes: ['unknown_order', 'unknown_order', 'unknown_order'],
    },
    {
      name: 'a put after a cancel is refused',
      kind: 'credit_note',
      events: [put(creditNote()), { type: 'cancelled' }, put(creditNote({ number: 'CN-3b' }), { revision: 9 })],
      outcomes: ['applied', 'applied', 'cancelled'],
    },
  ];
  for (const row of table) {
    test(row.name, () => {
      const { state, outcomes } = run(row.kind, row.events);
      assert.deepEqual(outcomes.map(short), row.outcomes);
      if (row.price !== undefined) assert.equal(priceOf(state), row.price);
      if (row.revision !== undefined) assert.equal(state.revision, row.revision);
    });
  }

  test('the first put records when the document arrived, and the kind', () => {
    const { state } = run('bill', [put(bill())]);
    assert.equal(state.convertedAt, CONVERTED_AT);
    assert.equal(state.kind, 'bill');
    assert.equal(state.orderNumber, 'bill\u001eB-7');
    assert.equal(nextStep(state)?.type, 'admit');
  });

  test('a put behaves exactly like a conversion, then exactly like a revision', () => {
    const viaPut = run('bill', [put(bill(25), { revision: 1 }), put(bill(30), { revision: 2 })]);
    const viaEvents = run('bill', [
      { type: 'converted', order: bill(25), convertedAt: CONVERTED_AT, version: { revision: 1 } },
      { type: 'revised', order: bill(30), version: { revision: 2 } },
    ]);
    assert.deepEqual(viaPut.outcomes, viaEvents.outcomes);
    assert.deepEqual(viaPut.state, viaEvents.state);
  });

  test('an order put with another number is refused; other kinds carry no number check', () => {
    assert.equal(short(applyEvent(fresh('order'), put(order(100, { number: 'SO-2' })))), 'invalid');
    assert.equal(short(applyEvent(fresh('deal'), put(deal()))), 'applied');
  });

  const messages: Array<[string, DocumentKind, OrderEvent[], string]> = [
    ['identical content', 'bill', [put(bill()), put(bill())], 'bill B-7 already has this content'],
    [
      'an older version',
      'bill',
      [put(bill(1), { revision: 2 }), put(bill(2), { revision: 1 })],
      'a newer version of bill B-7 was already applied: this revision changes nothing',
    ],
    [
      'a repeated creation',
      'credit_note',
      [
        { type: 'converted', order: creditNote(), convertedAt: CONVERTED_AT },
        { type: 'converted', order: creditNote({ number: 'CN-3b' }), convertedAt: CONVERTED_AT },
      ],
      'credit note CN-3 was already received: a repeated creation changes nothing',
    ],
    ['unknown', 'deal', [{ type: 'cancelled' }], 'deal D-9 is not known: send it (PUT) before the cancellation'],
    [
      'cancelled',
      'bill',
      [put(bill()), { type: 'cancelled' }, put(bill(3))],
      'bill B-7 was cancelled: the revision is not synced',
    ],
    ['retry', 'deal', [put(deal()), { type: 'retry' }], 'deal D-9 has no failed step to retry'],
  ];
  for (const [name, kind, events, message] of messages) {
    test(`message: ${name}`, () => assert.equal(run(kind, events).outcomes.at(-1)!.message, message));
  }
});

describe('order messages are unchanged', () => {
  const converted = (total: number, version?: Version): OrderEvent => ({
    type: 'converted',
    order: order(total),
    convertedAt: CONVERTED_AT,
    ...(version ? { version } : {}),
  });
  const revised = (total: number, version?: Version): OrderEvent => ({
    type: 'revised',
    order: order(total),
    ...(version ? { version } : {}),
  });
  const table: Array<[string, OrderEvent[], string, string]> = [
    ['identical content', [converted(100), revised(100)], 'duplicate', 'order SO-1 already has this content'],
    [
      'an older revision',
      [converted(100), revised(140, { revision: 4 }), revised(120, { revision: 2 })],
      'stale',
      'a newer version of order SO-1 was already applied: this revision changes nothing',
    ],
    [
      'a repeated conversion with other content',
      [converted(100), converted(120)],
      'stale',
      'order SO-1 was already converted: a repeated conversion changes nothing',
    ],
    ['a re-sent conversion', [converted(100), converted(100)], 'duplicate', 'order SO-1 already has this content'],
    [
      'a re-sent conversion of the same version',
      [converted(100, { revision: 1 }), converted(100, { revision: 1 })],
      'duplicate',
      'this conversion was already applied',
    ],
    [
      'a newer conversion after a cancel',
      [converted(100), { type: 'cancelled' }, converted(120, { revision: 9 })],
      'cancelled',
      'order SO-1 was cancelled',
    ],
    [
      'a revision after a cancel',
      [converted(100), { type: 'cancelled' }, revised(120)],
      'cancelled',
      'order SO-1 was cancelled: the revision is not synced',
    ],
    [
      'a payment after a cancel',
      [
        converted(100),
        { type: 'cancelled' },
        { type: 'payment_added', payment: { id: 'p', amount: 1, date: '2026-03-02' } },
      ],
      'cancelled',
      'order SO-1 was cancelled: the payment is not synced',
    ],
    [
      'a second cancel',
      [converted(100), { type: 'cancelled' }, { type: 'cancelled' }],
      'duplicate',
      'order SO-1 is already cancelled',
    ],
    [
      'a retry with nothing failed',
      [converted(100), { type: 'retry' }],
      'nothing_to_retry',
      'order SO-1 has no failed step to retry',
    ],
    [
      'a revision of an unknown order',
      [revised(100)],
      'unknown_order',
      'order SO-1 is not known: report its conversion (POST …/orders) before the revision',
    ],
    [
      'another order’s number',
      [revised(100), converted(1)].map((e) => ({ ...e, order: order(1, { number: 'SO-2' }) })),
      'invalid',
      'the order number differs',
    ],
  ];
  for (const [name, events, reason, message] of table) {
    test(name, () => {
      const last = run('order', events).outcomes.at(-1)!;
      assert.equal(short(last), reason);
      assert.equal(last.message, message);
    });
  }

  test('an order state carries no kind, so its view and stored form are as before', () => {
    assert.deepEqual(initialState('acc', 'SO-1', 'order'), initialState('acc', 'SO-1'));
    const { state } = run('order', [converted(100)]);
    assert.equal('kind' in view(state, false), false);
    assert.equal('kind' in state, false);
    assert.equal(view(fresh('bill'), false).kind, 'bill');
  });
});

// ---- the plan ----

describe('the contact step', () => {
  test('a bill: the supplier, keyed by its id', () => {
    const step = nextStep(admitted('bill', bill())) as Extract<Step, { type: 'contact' }>;
    assert.equal(step.type, 'contact');
    assert.deepEqual(step.customer, { ...supplier, phones: [], addresses: [] });
    assert.equal(step.key, 'sup-1');
    assert.equal('xeroContactId' in step, false);
    assert.equal('byName' in step, false);
  });

  test('a deal naming a Xero contact: the id, keyed xero:<id>', () => {
    const s = admitted('deal', deal());
    const step = nextStep(s) as Extract<Step, { type: 'contact' }>;
    assert.equal(step.type, 'contact');
    assert.equal(step.xeroContactId, XERO_CONTACT);
    assert.equal(step.key, `xero:${XERO_CONTACT}`);
    assert.equal('byName' in step, false);
    applyStepResult(s, step, { type: 'contact', contactId: XERO_CONTACT });
    assert.deepEqual(s.contact, { customerId: `xero:${XERO_CONTACT}`, contactId: XERO_CONTACT });
    const next = nextStep(s) as Extract<Step, { type: 'invoice' }>;
    assert.equal(next.type, 'invoice', 'the contact is not resolved again');
    assert.equal(next.contactId, XERO_CONTACT);
  });

  test('a deal by name: found by name, keyed by the deal', () => {
    const s = admitted('deal', deal({ name: 'Jo Bloggs', organisation: 'Bloggs & Co' }));
    const step = nextStep(s) as Extract<Step, { type: 'contact' }>;
    assert.equal(step.type, 'contact');
    assert.equal(step.byName, true);
    assert.equal(step.key, 'deal:D-9');
    assert.equal(step.customer.type === 'organisation' && step.customer.name, 'Bloggs & Co');
    assert.equal('xeroContactId' in step, false);
    applyStepResult(s, step, { type: 'contact', contactId: 'xc-9' });
    assert.equal(nextStep(s)?.type, 'invoice');
  });

  test('a deal that switches to a Xero contact resolves its contact again', () => {
    const s = admitted('deal', deal({ name: 'Jo' }), { contact: { customerId: 'deal:D-9', contactId: 'xc-9' } });
    assert.equal(nextStep(s)?.type, 'invoice');
    applyEvent(s, put(deal()));
    assert.equal((nextStep(s) as Extract<Step, { type: 'contact' }>).key, `xero:${XERO_CONTACT}`);
  });

  test('an order: the customer, with no key (as before kinds)', () => {
    const step = nextStep(admitted('order', order())) as Extract<Step, { type: 'contact' }>;
    assert.equal(step.type, 'contact');
    assert.equal(step.customer.id, 'c-1');
    assert.equal('key' in step, false);
  });
});

describe('after the invoice', () => {
  const synced = (kind: DocumentKind, doc: HostDocument) =>
    admitted(kind, doc, { contact: { customerId: 'k', contactId: 'xc' }, invoice: invoice(1) });
  // The contact key must match for the plan to go past the contact step.
  const keyed = (kind: DocumentKind, doc: HostDocument, key: string) => {
    const s = synced(kind, doc);
    s.contact = { customerId: key, contactId: 'xc' };
    return s;
  };
  const table: Array<[string, OrderState, string | undefined]> = [
    ['an order attaches its PDF (one is rendered)', keyed('order', order(), 'c-1'), 'attach'],
    ['an order told not to attach', keyed('order', order(100, { attachPdf: false }), 'c-1'), undefined],
    ['a bill without a pdfUrl: nothing', keyed('bill', bill(), 'sup-1'), undefined],
    ['a bill with a pdfUrl attaches it', keyed('bill', bill(25, { pdfUrl: 'https://h/b.pdf' }), 'sup-1'), 'attach'],
    ['a deal: nothing', keyed('deal', deal(), `xero:${XERO_CONTACT}`), undefined],
    ['a credit note without appliesTo: nothing', keyed('credit_note', creditNote(), 'cust-7'), undefined],
    [
      'a credit note with a pdfUrl attaches before it allocates',
      keyed(
        'credit_note',
        creditNote({ pdfUrl: 'https://h/c.pdf', appliesTo: { kind: 'order', id: 'SO-1' } }),
        'cust-7',
      ),
      'attach',
    ],
    [
      'a credit note with appliesTo: allocate',
      keyed('credit_note', creditNote({ appliesTo: { kind: 'bill', id: 'B-7' } }), 'cust-7'),
      'allocate',
    ],
  ];
  for (const [name, s, expected] of table) test(name, () => assert.equal(nextStep(s)?.type, expected));

  test('the invoice step of a bill carries the document and the contact', () => {
    const s = admitted('bill', bill(), { contact: { customerId: 'sup-1', contactId: 'xc-s' } });
    const step = nextStep(s) as Extract<Step, { type: 'invoice' }>;
    assert.equal(step.type, 'invoice');
    assert.equal(step.contactId, 'xc-s');
    assert.equal(step.revision, 1);
    assert.deepEqual(step.order, bill());
  });
});

describe('credit notes: allocation', () => {
  const appliesTo = { kind: 'order' as const, id: 'SO-1', amount: 20 };
  const ready = () =>
    admitted('credit_note', creditNote({ appliesTo }), { contact: { customerId: 'cust-7', contactId: 'xc' } });

  test('from the credit note to its allocation, through a wait', () => {
    const s = ready();
    const create = nextStep(s) as Extract<Step, { type: 'invoice' }>;
    assert.equal(create.type, 'invoice');
    applyStepResult(s, create, { type: 'invoice', invoice: invoice(s.revision, 20) });
    assert.equal(s.invoice?.syncedRevision, s.revision);
    assert.equal(isClosed(s), false, 'not closed before it is allocated');

    const first = nextStep(s) as Extract<Step, { type: 'allocate' }>;
    assert.equal(first.type, 'allocate');
    assert.equal(first.lookFirst, false);
    assert.equal(first.creditNoteId, 'xd-1');
    assert.equal(first.total, 20);
    assert.deepEqual(first.appliesTo, appliesTo);

    stepStarted(s, first);
    applyStepResult(s, first, { type: 'allocate', outcome: 'waiting', message: 'order SO-1 is not in Xero yet' });
    assert.equal(nextStep(s), undefined, 'waits: no step until the shell clears the wait');
    assert.deepEqual(view(s, false).allocation, { status: 'waiting', message: 'order SO-1 is not in Xero yet' });
    assert.equal(view(s, false).status, 'synced');
    assert.equal(isClosed(s), false);
    assert.equal(s.allocation?.waits, 1);

    s.allocation!.waiting = undefined; // what the workflow does after its back-off
    const again = nextStep(s) as Extract<Step, { type: 'allocate' }>;
    assert.equal(again.type, 'allocate');
    assert.equal(again.lookFirst, false, 'a wait means nothing was written: tries start again');

    stepStarted(s, again);
    applyStepResult(s, again, {
      type: 'allocate',
      outcome: 'allocated',
      invoiceId: 'xi-1',
      amount: 20,
      allocationId: 'al-1',
    });
    assert.equal(isClosed(s), true);
    assert.equal(nextStep(s), undefined);
    const v = view(s, false);
    assert.deepEqual(v.allocation, { status: 'allocated', invoiceId: 'xi-1', amount: 20 });
    assert.equal(v.status, 'closed');
    assert.equal(v.kind, 'credit_note');
  });

  test('a second attempt without an answer looks for the first write', () => {
    const s = ready();
    s.invoice = invoice(s.revision, 20);
    const first = nextStep(s)!;
    stepStarted(s, first);
    const second = nextStep(s) as Extract<Step, { type: 'allocate' }>;
    assert.equal(second.type, 'allocate');
    assert.equal(second.lookFirst, true);
  });

  test('an allocation waits for the credit note’s own revision to reach Xero', () => {
    const s = ready();
    s.invoice = invoice(s.revision, 20);
    applyEvent(s, put(creditNote({ appliesTo, lines: [{ description: 'Refund', quantity: 1, unitPrice: 25 }] })));
    assert.equal(nextStep(s)?.type, 'revise');
    assert.equal(isClosed(s), false);
  });

  test('an allocated credit note revised later is open until the revision is in Xero, and not allocated twice', () => {
    const s = ready();
    s.invoice = invoice(s.revision, 20);
    s.allocation = { done: { invoiceId: 'xi-1', amount: 20, allocationId: 'al-1' }, tries: 1, waits: 0 };
    assert.equal(isClosed(s), true);
    applyEvent(s, put(creditNote({ appliesTo, lines: [{ description: 'Refund', quantity: 1, unitPrice: 25 }] })));
    assert.equal(isClosed(s), false);
    const revise = nextStep(s)!;
    assert.equal(revise.type, 'revise');
    applyStepResult(s, revise, { type: 'revise', outcome: 'updated', status: 'AUTHORISED', total: 25 });
    assert.equal(nextStep(s), undefined);
    assert.equal(isClosed(s), true);
  });

  const closed: Array<[string, Partial<OrderState>, boolean]> = [
    ['no invoice yet', {}, false],
    ['invoice synced', { invoice: invoice(1) }, true],
    ['invoice adopted, content unknown', { invoice: invoice(null) }, false],
    ['invoice behind a revision', { revision: 2, invoice: invoice(1) }, false],
    ['cancelled', { cancelled: true }, true],
  ];
  for (const [name, patch, expected] of closed) {
    test(`a credit note without appliesTo, ${name}: closed ${expected}`, () => {
      const s = admitted('credit_note', creditNote(), { contact: { customerId: 'cust-7', contactId: 'xc' }, ...patch });
      assert.equal(isClosed(s), expected);
      if (expected && !patch.cancelled) {
        assert.equal(nextStep(s), undefined);
        assert.equal(view(s, false).status, 'closed');
        assert.equal('allocation' in view(s, false), false);
      }
    });
  }

  test('a bill is closed by its payments, like an order', () => {
    const s = admitted('bill', bill(), { contact: { customerId: 'sup-1', contactId: 'xc' }, invoice: invoice(1, 25) });
    assert.equal(isClosed(s), false);
    s.payments.push({
      id: 'p',
      payment: { id: 'p', amount: 25, date: '2026-03-02' },
      removed: false,
      synced: { xeroPaymentId: 'xp', amount: 25 },
      generation: 0,
      tries: 0,
      reapply: false,
    });
    assert.equal(isClosed(s), true);
  });
});

describe('deal dates and closing rules', () => {
  // A deal without a date is dated today when first sent: a CRM retry after midnight must not re-date it.
  test('the same unversioned deal re-sent the next day is a duplicate, not a revision', () => {
    const body = dealInvoiceSchema.parse({
      contact: { xeroContactId: XERO_CONTACT },
      description: 'Website',
      amount: 4800,
    });
    const s = fresh('deal');
    assert.equal(short(applyEvent(s, put(dealDocument('D-9', body, '2026-03-01')))), 'applied');
    const again = applyEvent(s, put(dealDocument('D-9', body, '2026-03-02')));
    assert.equal(short(again), 'duplicate');
    assert.equal(s.revision, 1);
    assert.equal(s.order?.date, '2026-03-01');
  });

  test('a credit note whose PDF is not attached yet reads pending, not closed', () => {
    const s = admitted('credit_note', creditNote({ pdfUrl: 'https://h/c.pdf' }), {
      contact: { customerId: 'cust-7', contactId: 'xc' },
      invoice: invoice(1),
    });
    assert.equal(nextStep(s)?.type, 'attach');
    assert.equal(view(s, true).status, 'pending');
  });

  // Deals take no payments: a deal invoice in Xero at its newest version has nothing left to do.
  test('a deal invoice in Xero with nothing left to do is closed', () => {
    const s = admitted('deal', deal(), {
      contact: { customerId: `xero:${XERO_CONTACT}`, contactId: XERO_CONTACT },
      invoice: invoice(1, 4800),
    });
    assert.equal(nextStep(s), undefined);
    assert.equal(isClosed(s), true);
  });
});
