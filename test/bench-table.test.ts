import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestLogEntry } from '../src/xero-sim/store';
import { attachmentAnswers, callBreakdown } from '../bench/request-log';
import {
  baselineFigures,
  formatFigure,
  formatTable,
  leastTimeMs,
  meetsTarget,
  percentile,
  withVerdicts,
  type Row,
} from '../bench/table';

/** The bench's pure parts: targets, least time, percentiles, the printed table, the request log. */

test('a target is met, missed, or absent; a missing or infinite figure never meets one', () => {
  assert.equal(meetsTarget(0.7, { op: '>=', value: 0.7 }), true);
  assert.equal(meetsTarget(0.69, { op: '>=', value: 0.7 }), false);
  assert.equal(meetsTarget(1.2, { op: '<=', value: 1.2 }), true);
  assert.equal(meetsTarget(1.21, { op: '<=', value: 1.2 }), false);
  assert.equal(meetsTarget(300, { op: '<', value: 300 }), false);
  assert.equal(meetsTarget(299, { op: '<', value: 300 }), true);
  assert.equal(meetsTarget(5, undefined), undefined);
  assert.equal(meetsTarget(NaN, { op: '<=', value: 1 }), false);
  assert.equal(meetsTarget(Infinity, { op: '>=', value: 0 }), false);
  assert.equal(meetsTarget(null, { op: '<=', value: 1 }), false);
});

test('least time is calls ÷ per-minute limit × the minute, whatever the minute is compressed to', () => {
  assert.equal(leastTimeMs(1200, 60, 60_000), 20 * 60_000);
  assert.equal(leastTimeMs(1200, 60, 6_000), 120_000);
  assert.equal(leastTimeMs(0, 60, 6_000), 0);
  assert.equal(leastTimeMs(90, 60, 1_000), 1_500);
  assert.throws(() => leastTimeMs(10, 0, 1_000));
});

test('percentiles are nearest-rank over ascending figures', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const thirty = Array.from({ length: 30 }, (_, i) => (i + 1) * 10);
  assert.equal(percentile(thirty, 50), 150);
  assert.equal(percentile(thirty, 99), 300);
});

test('figures print with few decimals, a unit, and a dash when missing', () => {
  assert.equal(formatFigure(0.7123, '×'), '0.71 ×');
  assert.equal(formatFigure(12.345), '12.3');
  assert.equal(formatFigure(1234.5, 'ms'), '1235 ms');
  assert.equal(formatFigure(NaN), '—');
  assert.equal(formatFigure(null), '—');
});

const rows: Row[] = [
  {
    key: 'a.ratio',
    measure: '(a) ratio',
    figure: 0.82,
    unit: '×',
    target: { op: '>=', value: 0.7 },
    note: 'bare = 9 activities',
  },
  { key: 'b.calls_per_order', measure: '(b) calls per order', figure: 2.5, target: { op: '<=', value: 1.2 } },
  { key: 'a.orders_per_s', measure: '(a) orders per second', figure: 12.3, unit: '/s' },
];

test('the table lists measure, figure, target and verdict, with notes numbered below', () => {
  const text = formatTable(rows);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^\| measure +\| +figure \| +target \| met\? \|$/);
  assert.match(lines[1]!, /^\|-+\|/);
  assert.match(lines[2]!, /^\| \(a\) ratio \[1\] +\| +0\.82 × \| +>= 0\.7 × \| +yes \|$/);
  assert.match(lines[3]!, /^\| \(b\) calls per order +\| +2\.5 \| +<= 1\.2 \| +NO \|$/);
  assert.match(lines[4]!, /^\| \(a\) orders per second +\| +12\.3 \/s \| +\| +\|$/);
  assert.equal(lines.at(-1), '[1] bare = 9 activities');
  // Every table line has the same width.
  const widths = new Set(lines.slice(0, 5).map((l) => l.length));
  assert.equal(widths.size, 1);
});

test("a baseline's figures print in a before column, by row key", () => {
  const baseline = baselineFigures({
    rows: [
      { key: 'a.ratio', measure: 'old name', figure: 0.48 },
      { key: 'b.calls_per_order', measure: 'x', figure: null },
    ],
  });
  const lines = formatTable(rows, baseline).split('\n');
  assert.match(lines[0]!, /\| before \| +figure \|/);
  assert.match(lines[2]!, /\| +0\.48 × \| +0\.82 × \|/);
  assert.match(lines[3]!, /\| +— \| +2\.5 \|/);
  // A row the baseline does not have gets an empty cell.
  assert.match(lines[4]!, /\|\s+\| +12\.3 \/s \|/);
  assert.equal(baselineFigures({ not: 'a result' }).size, 0);
});

test('verdicts are written with the rows; figures JSON cannot hold become null', () => {
  const out = withVerdicts([
    ...rows,
    { key: 'd.p50_ms', measure: 'd', figure: Infinity, target: { op: '<', value: 300 } },
  ]);
  assert.deepEqual(
    out.map((r) => [r.key, r.met, r.figure]),
    [
      ['a.ratio', true, 0.82],
      ['b.calls_per_order', false, 2.5],
      ['a.orders_per_s', null, 12.3],
      ['d.p50_ms', false, null],
    ],
  );
  assert.equal(JSON.parse(JSON.stringify(out))[3].figure, null);
});

const entry = (method: string, path: string, status = 200, at = '2026-12-01T00:00:00.000Z'): RequestLogEntry => ({
  at,
  method,
  path,
  status,
  durationMs: 1,
});

test("the request log is grouped by resource, and each order's PDF upload is found by its file name", () => {
  const log = [
    entry('PUT', '/api.xro/2.0/Invoices?summarizeErrors=false'),
    entry('PUT', '/api.xro/2.0/Invoices/abc/Attachments/Order-SO-1.pdf', 503, '2026-12-01T00:00:01.000Z'),
    entry(
      'PUT',
      '/api.xro/2.0/Invoices/abc/Attachments/Order-SO-1.pdf?IncludeOnline=true',
      200,
      '2026-12-01T00:00:02.500Z',
    ),
    entry('POST', '/api.xro/2.0/Invoices/def/Attachments/Order-SO_2.pdf', 200, '2026-12-01T00:00:03.000Z'),
    entry('GET', '/api.xro/2.0/Contacts/xyz'),
    entry('PUT', '/api.xro/2.0/Payments'),
    entry('PUT', '/api.xro/2.0/Payments'),
  ];
  assert.deepEqual(callBreakdown(log), {
    'PUT /Payments': 2,
    'PUT /Invoices/…/Attachments': 2,
    'PUT /Invoices': 1,
    'POST /Invoices/…/Attachments': 1,
    'GET /Contacts/{id}': 1,
  });
  const answered = attachmentAnswers(log, ['SO-1', 'SO 2', 'SO-3']);
  assert.equal(answered.get('SO-1'), Date.parse('2026-12-01T00:00:02.500Z'));
  assert.equal(answered.get('SO 2'), Date.parse('2026-12-01T00:00:03.000Z'));
  assert.equal(answered.has('SO-3'), false);
});
