import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportEta, exportSentence, type ExportCounts } from '../src/exports/progress';
import { parseExportItems } from '../src/exports/request';
import { sampleOrder } from './support/orders';

/** The export's words and time (pure), and the per-item validation of a request. */

const counts = (c: Partial<ExportCounts>): ExportCounts => ({
  total: 0,
  exported: 0,
  refused: 0,
  drafts: 0,
  failed: 0,
  pending: 0,
  cancelled: 0,
  ...c,
});

describe('the sentence', () => {
  const cases: Array<[string, ExportCounts, string[], string]> = [
    ['all invoices', counts({ total: 3, exported: 3 }), ['invoice'], '3 of 3 invoices have been exported to Xero'],
    [
      'drafts left out',
      counts({ total: 120, exported: 117, refused: 3, drafts: 3 }),
      ['invoice'],
      '117 of 120 invoices have been exported to Xero; 3 drafts were not exported',
    ],
    ['one bill', counts({ total: 1, exported: 1 }), ['bill'], '1 of 1 bill has been exported to Xero'],
    [
      'mixed kinds, every tail',
      counts({ total: 10, exported: 4, refused: 2, drafts: 1, failed: 1, cancelled: 2, pending: 1 }),
      ['invoice', 'credit_note'],
      '4 of 10 documents have been exported to Xero; 1 draft was not exported; 1 was refused as not valid; 1 failed in Xero (see the failures); 2 were cancelled before being sent; 1 still to go',
    ],
    [
      'thousands',
      counts({ total: 5000, exported: 4998, failed: 2 }),
      ['credit_note'],
      '4,998 of 5,000 credit notes have been exported to Xero; 2 failed in Xero (see the failures)',
    ],
  ];
  for (const [name, c, kinds, expected] of cases) test(name, () => assert.equal(exportSentence(c, kinds), expected));
});

describe('the ETA under Xero’s limits', () => {
  const base = { done: 0, elapsedMs: 0, callsPerDocument: 1, dayRemaining: 5000, perDay: 5000, perMinute: 60 };
  test('nothing pending: done', () =>
    assert.deepEqual(exportEta({ ...base, pending: 0 }), { etaSeconds: 0, continuesNextDay: false }));
  test('120 documents at one call each: two minutes at 60 a minute', () =>
    assert.deepEqual(exportEta({ ...base, pending: 120 }), { etaSeconds: 120, continuesNextDay: false }));
  test('slower than the limit allows: the observed pace wins', () =>
    assert.deepEqual(exportEta({ ...base, pending: 60, done: 10, elapsedMs: 20_000 }), {
      etaSeconds: 120,
      continuesNextDay: false,
    }));
  test('more calls than today allows: it continues the next day, and says so', () => {
    const eta = exportEta({ ...base, pending: 3000, callsPerDocument: 2, dayRemaining: 1000 });
    assert.equal(eta.continuesNextDay, true);
    assert.equal(
      eta.etaSeconds,
      6000 + 86_400,
      '6,000 calls at 60 a minute, and the 5,000 beyond today wait for the next day',
    );
  });
});

describe('an export request, item by item', () => {
  test('drafts, invalid items, unknown kinds and repeats are refused for themselves; valid ones become events', () => {
    const order = sampleOrder();
    const items = parseExportItems([
      { kind: 'invoice', id: order.number, approved: true, document: order },
      { kind: 'invoice', id: order.number, approved: true, document: order },
      { kind: 'invoice', id: 'D-1', approved: false, document: order },
      { kind: 'invoice', id: 'X-1', approved: true, document: { ...order, number: 'Y-1' } },
      { kind: 'bill', id: 'B-1', approved: true, document: { number: 'S-1', date: '2026-13-01' } },
      { kind: 'quote', id: 'Q-1', approved: true, document: {} },
      { kind: 'credit_note', id: 'C-1', approved: 'yes', document: {} },
      'not an object',
    ]);
    assert.equal(items[0]!.ok, true);
    const reasons = items.slice(1).map((i) => (i.ok ? 'ok' : i.reason));
    assert.match(reasons[0]!, /listed twice/);
    assert.match(reasons[1]!, /a draft invoice/);
    assert.match(reasons[2]!, /document\.number "Y-1" is not the item's id/);
    assert.match(reasons[3]!, /document\.date/);
    assert.doesNotMatch(reasons[3]!, /bill\./, 'fields named as the item has them');
    assert.match(reasons[4]!, /kind: expected invoice, bill or credit_note/);
    assert.match(reasons[5]!, /approved: expected true or false/);
    assert.equal(items[7]!.ok, false);
    assert.equal(items[7]!.id, '#8');
  });
});
