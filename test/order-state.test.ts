import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Order } from '../src/domain/order';
import type { OrderEvent, OrderEventOutcome, StoredOrderState } from '../src/orders/messages';
import {
  applyEvent,
  compareVersion,
  initialState,
  paidTotal,
  persisted,
  restore,
  seenVersionOf,
  view,
  type OrderState,
} from '../workflows/order-state';

/** The host-event rules of the order workflow, without Temporal: tables of events → outcomes and state. */

const order = (total: number, extra: Partial<Order> = {}): Order => ({
  number: 'SO-1',
  date: '2026-03-01',
  currency: 'NZD',
  customer: { type: 'organisation', name: 'Acme', id: 'c-1', phones: [], addresses: [] },
  lines: [{ description: 'Work', quantity: 1, unitPrice: total }],
  ...extra,
});

const converted = (total: number, version?: { revision?: number; updatedAt?: string }): OrderEvent => ({
  type: 'converted',
  order: order(total),
  convertedAt: '2026-03-01T10:00:00Z',
  ...(version ? { version } : {}),
});
const revised = (total: number, version?: { revision?: number; updatedAt?: string }): OrderEvent => ({
  type: 'revised',
  order: order(total),
  ...(version ? { version } : {}),
});
const paid = (id: string, amount: number): OrderEvent => ({
  type: 'payment_added',
  payment: { id, amount, date: '2026-03-02' },
});

function run(events: OrderEvent[], state: OrderState = initialState('acc', 'SO-1')) {
  const outcomes = events.map((e) => applyEvent(state, e));
  return { state, outcomes };
}
const short = (o: OrderEventOutcome) => (o.applied ? 'applied' : o.reason);
const totalOf = (s: OrderState) => s.order?.lines[0]?.unitPrice;

describe('versions', () => {
  const table: Array<[string, Parameters<typeof compareVersion>[0], Parameters<typeof compareVersion>[1], string]> = [
    ['no version seen', { revision: 1 }, undefined, 'unknown'],
    ['no version sent', undefined, { revision: 1 }, 'unknown'],
    ['higher revision', { revision: 3 }, { revision: 2 }, 'newer'],
    ['same revision', { revision: 2 }, { revision: 2 }, 'same'],
    ['lower revision', { revision: 1 }, { revision: 2 }, 'older'],
    ['revision wins over updatedAt', { revision: 3, updatedAtMs: 1 }, { revision: 2, updatedAtMs: 9 }, 'newer'],
    ['updatedAt when no revisions', { updatedAtMs: 5 }, { updatedAtMs: 9 }, 'older'],
    ['different kinds', { revision: 5 }, { updatedAtMs: 9 }, 'unknown'],
  ];
  for (const [name, incoming, seen, expected] of table) {
    test(name, () => assert.equal(compareVersion(incoming, seen), expected));
  }
  test('updatedAt is compared as an instant, whatever its offset', () => {
    const a = seenVersionOf({ updatedAt: '2026-03-01T12:00:00+13:00' });
    const b = seenVersionOf({ updatedAt: '2026-03-01T00:00:00Z' });
    assert.equal(compareVersion(a, b), 'older');
  });
});

describe('host events', () => {
  const table: Array<{ name: string; events: OrderEvent[]; outcomes: string[]; total?: number; revision?: number }> = [
    { name: 'conversion', events: [converted(100)], outcomes: ['applied'], total: 100, revision: 1 },
    {
      name: 'the original conversion re-sent after revisions changes nothing',
      events: [converted(100), revised(120, { revision: 2 }), revised(150, { revision: 3 }), converted(100)],
      outcomes: ['applied', 'applied', 'applied', 'stale'],
      total: 150,
      revision: 3,
    },
    {
      name: 'a conversion re-sent as is is a duplicate',
      events: [converted(100), converted(100)],
      outcomes: ['applied', 'duplicate'],
      revision: 1,
    },
    {
      name: 'revision 2 after revision 4 is stale',
      events: [converted(100), revised(140, { revision: 4 }), revised(120, { revision: 2 })],
      outcomes: ['applied', 'applied', 'stale'],
      total: 140,
      revision: 2,
    },
    {
      name: 'the same revision re-sent is a duplicate',
      events: [converted(100), revised(140, { revision: 4 }), revised(140, { revision: 4 })],
      outcomes: ['applied', 'applied', 'duplicate'],
      revision: 2,
    },
    {
      name: 'the same version with other content is stale (the first report of a version wins)',
      events: [converted(100), revised(140, { revision: 4 }), revised(999, { revision: 4 })],
      outcomes: ['applied', 'applied', 'stale'],
      total: 140,
    },
    {
      name: 'updatedAt orders revisions when there is no revision number',
      events: [
        converted(100),
        revised(150, { updatedAt: '2026-03-02T10:00:00Z' }),
        revised(120, { updatedAt: '2026-03-02T09:00:00Z' }),
      ],
      outcomes: ['applied', 'applied', 'stale'],
      total: 150,
    },
    {
      name: 'without versions: identical content changes nothing, different content wins by arrival',
      events: [converted(100), revised(100), revised(130)],
      outcomes: ['applied', 'duplicate', 'applied'],
      total: 130,
      revision: 2,
    },
    {
      name: 'a newer version with the same content is a duplicate but remembered',
      events: [converted(100), revised(100, { revision: 7 }), revised(130, { revision: 6 })],
      outcomes: ['applied', 'duplicate', 'stale'],
      total: 100,
    },
    {
      name: 'events about an order never converted are unknown',
      events: [revised(100, { revision: 1 }), paid('p', 5), { type: 'cancelled' }],
      outcomes: ['unknown_order', 'unknown_order', 'unknown_order'],
    },
    {
      name: 'payments: a repeat is a duplicate, a change applies',
      events: [converted(100), paid('p', 10), paid('p', 10), paid('p', 12)],
      outcomes: ['applied', 'applied', 'duplicate', 'applied'],
    },
    {
      name: 'a removed payment is not revived by a late retry of its creation',
      events: [converted(100), paid('p', 10), { type: 'payment_removed', paymentId: 'p' }, paid('p', 10)],
      outcomes: ['applied', 'applied', 'applied', 'removed'],
    },
    {
      name: 'a removal that overtook its creation: the late creation is ignored',
      events: [converted(100), { type: 'payment_removed', paymentId: 'q' }, paid('q', 10)],
      outcomes: ['applied', 'unknown_payment', 'removed'],
    },
    {
      name: 'after a cancel: revisions and payments refused, a second cancel a duplicate, removals allowed',
      events: [
        converted(100),
        paid('p', 10),
        { type: 'cancelled' },
        revised(120, { revision: 9 }),
        paid('r', 1),
        { type: 'cancelled' },
        { type: 'payment_removed', paymentId: 'p' },
      ],
      outcomes: ['applied', 'applied', 'applied', 'cancelled', 'cancelled', 'duplicate', 'applied'],
    },
    {
      name: 'retry without a failure changes nothing',
      events: [converted(100), { type: 'retry' }],
      outcomes: ['applied', 'nothing_to_retry'],
    },
  ];
  for (const row of table) {
    test(row.name, () => {
      const { state, outcomes } = run(row.events);
      assert.deepEqual(outcomes.map(short), row.outcomes);
      if (row.total !== undefined) assert.equal(totalOf(state), row.total);
      if (row.revision !== undefined) assert.equal(state.revision, row.revision);
    });
  }

  test('a skipped order (converted before the connection) answers skipped to everything but retry', () => {
    const state = initialState('acc', 'SO-1');
    state.admission = 'skipped';
    state.skipReason = 'order converted before the Xero connection: not synced';
    const { outcomes } = run([converted(1), paid('p', 1), { type: 'cancelled' }], state);
    assert.deepEqual(outcomes.map(short), ['skipped', 'skipped', 'skipped']);
    assert.equal(outcomes[0]!.message, 'order converted before the Xero connection: not synced');
  });

  test('applied events wake the loop and clear a failure; refused ones do not', () => {
    const { state } = run([converted(100)]);
    state.failure = { step: 'invoice', kind: 'validation', message: 'x' };
    const seq = state.eventSeq;
    applyEvent(state, converted(100));
    assert.equal(state.eventSeq, seq);
    assert.ok(state.failure);
    applyEvent(state, revised(101, { revision: 1 }));
    assert.equal(state.eventSeq, seq + 1);
    assert.equal(state.failure, undefined);
  });
});

describe('what outlives a run', () => {
  test('a new run restored from the stored state still refuses a late, older revision and an identical one', () => {
    const first = run([converted(100, { revision: 1 }), revised(140, { revision: 4 }), paid('p', 10)]).state;
    first.payments[0]!.synced = { xeroPaymentId: 'x-p', amount: 10 };
    applyEvent(first, { type: 'payment_removed', paymentId: 'gone' });
    const stored: StoredOrderState = JSON.parse(JSON.stringify(persisted(first)));

    const next = initialState('acc', 'SO-1');
    restore(next, {
      admission: { status: 'syncing' },
      contact: { customerId: 'c-1', contactId: 'xc' },
      invoice: { id: 'inv', number: 'SO-1', status: 'AUTHORISED', total: 161, syncedRevision: first.revision },
      attachmentRevision: first.revision,
      payments: [{ id: 'p', xeroPaymentId: 'x-p', amount: 10, date: '2026-03-02', generation: 0 }],
      stored,
    });
    assert.equal(next.revision, first.revision);
    assert.equal(next.invoice?.syncedRevision, next.revision, 'nothing to revise');
    const outcomes = [
      revised(120, { revision: 2 }),
      revised(140, { revision: 4 }),
      converted(100, { revision: 1 }),
      paid('gone', 3),
      paid('p', 10),
    ].map((e) => short(applyEvent(next, e)));
    assert.deepEqual(outcomes, ['stale', 'duplicate', 'stale', 'removed', 'duplicate']);
    assert.equal(totalOf(next), 140);
    assert.equal(short(applyEvent(next, revised(175, { revision: 5 }))), 'applied');
    assert.equal(next.revision, first.revision + 1);
  });

  test('a run of an order stored before versions were kept takes a repeated conversion as stale', () => {
    const next = initialState('acc', 'SO-1');
    restore(next, {
      admission: { status: 'syncing' },
      invoice: { id: 'inv', number: 'SO-1', status: 'AUTHORISED', total: 100, syncedRevision: 3 },
      payments: [],
    });
    assert.equal(short(applyEvent(next, converted(90))), 'stale');
    assert.equal(short(applyEvent(next, revised(90))), 'applied');
    assert.equal(next.revision, 4);
  });

  test('only an admission known (its workflow task was lost before the conversion was recorded): the conversion is the first', () => {
    const next = initialState('acc', 'SO-1');
    restore(next, { admission: { status: 'syncing' }, payments: [] });
    assert.equal(short(applyEvent(next, converted(90))), 'applied');
    assert.equal(next.order?.number, 'SO-1');
    assert.equal(short(applyEvent(next, converted(90))), 'duplicate', 'and a repeat of it is a repeat');
  });
});

describe('changes made in Xero (issue 13)', () => {
  const copy = (at: string) =>
    ({
      family: 'invoice',
      xeroId: 'inv-1',
      number: '1001',
      type: 'ACCREC',
      status: 'AUTHORISED',
      contactId: 'c',
      lines: [],
      subTotal: 0,
      totalTax: 0,
      total: 0,
      payments: [],
      updatedDateUtc: at,
    }) as import('../src/xero-changes/contract').XeroDocumentCopy;
  const withInvoice = () => {
    const s = initialState('acc', '1001');
    s.admission = 'syncing';
    s.order = { number: '1001' } as never;
    s.invoice = { id: 'inv-1', number: '1001', status: 'AUTHORISED', total: 100, syncedRevision: 1 };
    return s;
  };
  const table: Array<
    [string, () => ReturnType<typeof withInvoice>, Parameters<typeof applyEvent>[1], boolean, string?]
  > = [
    [
      'a copy before the document is known: unknown',
      () => initialState('acc', '1001'),
      { type: 'xero_changed', copy: copy('2026-03-02T00:00:00Z'), via: 'webhook' },
      false,
      'unknown_order',
    ],
    [
      'a copy is taken',
      withInvoice,
      { type: 'xero_changed', copy: copy('2026-03-02T00:00:00Z'), via: 'webhook' },
      true,
    ],
    [
      'a copy no newer than the one waiting: duplicate',
      () => {
        const s = withInvoice();
        s.xero = { payments: [], pending: { copy: copy('2026-03-02T00:00:00Z'), via: 'webhook' } };
        return s;
      },
      { type: 'xero_changed', copy: copy('2026-03-02T00:00:00Z'), via: 'reconciliation' },
      false,
      'duplicate',
    ],
    [
      'a copy already checked: duplicate',
      () => {
        const s = withInvoice();
        s.xero = { payments: [], checked: { xeroId: 'inv-1', at: '2026-03-02T00:00:00Z' } };
        return s;
      },
      { type: 'xero_changed', copy: copy('2026-03-02T00:00:00Z'), via: 'webhook' },
      false,
      'duplicate',
    ],
    [
      'a resolve without an open drift: no_drift',
      withInvoice,
      { type: 'xero_resolve', action: 'ignore' },
      false,
      'no_drift',
    ],
    [
      'a resolve with an open drift: applied',
      () => {
        const s = withInvoice();
        s.xero = { payments: [], drift: { fields: [] } };
        return s;
      },
      { type: 'xero_resolve', action: 'accept_xero' },
      true,
    ],
  ];
  for (const [name, make, event, ok, reason] of table) {
    test(name, () => {
      const out = applyEvent(make(), event);
      assert.equal(out.applied, ok);
      if (reason) assert.equal(out.reason, reason);
    });
  }

  test('a copy does not clear a failure; a resolve does', () => {
    const s = withInvoice();
    s.failure = { step: 'revise', kind: 'changed_in_xero', message: 'held' };
    s.xero = { payments: [], drift: { fields: [] } };
    applyEvent(s, { type: 'xero_changed', copy: copy('2026-03-03T00:00:00Z'), via: 'webhook' });
    assert.ok(s.failure);
    applyEvent(s, { type: 'xero_resolve', action: 'send_ours' });
    assert.equal(s.failure, undefined);
    assert.equal(s.xero.overwrite, 'sent_ours');
  });

  test('Send ours on a voided document creates it again', () => {
    const s = withInvoice();
    s.xero = { payments: [], closed: { status: 'VOIDED', at: 't' }, drift: { fields: [] } };
    assert.equal(applyEvent(s, { type: 'xero_resolve', action: 'send_ours' }).applied, true);
    assert.equal(s.invoice, undefined);
    assert.deepEqual(s.xero.recreate, { replaces: { id: 'inv-1', number: '1001' }, n: 1, resolution: 'sent_ours' });
  });

  test('payments made in Xero count toward paid and close the order; the view shows them', () => {
    const s = withInvoice();
    s.xero = { payments: [{ paymentId: 'xp', amount: 100, date: '2026-03-03' }] };
    assert.equal(paidTotal(s), 100);
    const v = view(s, false);
    assert.equal(v.status, 'closed');
    assert.equal(v.amountPaid, 100);
    assert.equal(v.amountDue, 0);
    assert.equal(v.xero?.payments[0]?.paymentId, 'xp');
  });

  test('restore: what the links and the open drift say of Xero', () => {
    const s = initialState('acc', '1001');
    restore(s, {
      payments: [],
      invoice: { id: 'inv-1', number: '1001', status: 'AUTHORISED', total: 100, syncedRevision: 1 },
      xero: { closed: { status: 'VOIDED', at: 't' }, drift: { fields: [] } },
    });
    assert.deepEqual(s.xero, { payments: [], closed: { status: 'VOIDED', at: 't' }, drift: { fields: [] } });
    assert.equal(s.cancelled, false, 'voided by someone else is not cancelled by the host');
  });
});
