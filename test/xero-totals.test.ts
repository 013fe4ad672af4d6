import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toCents, xeroFigures, type LineAmountType, type TotalsLine } from '../src/domain/xero-totals';
import { documentTotals, lineAmounts, round } from '../src/xero-sim/totals';
import type { LineRec } from '../src/xero-sim/store';

/**
 * Xero's arithmetic, table by table: unit amounts rounded to unitdp, each line's amount and tax
 * rounded half away from zero to the cent, totals summed from the rounded lines. Every expected
 * figure below was worked out by hand in decimal, not by running the code.
 */

interface Case {
  name: string;
  type: LineAmountType;
  unitdp?: 2 | 4;
  lines: TotalsLine[];
  /** [lineAmount, taxAmount] per line. */
  expectLines: [number, number][];
  subTotal: number;
  totalTax: number;
  total: number;
}

const l = (quantity: number, unitAmount: number, taxRate: number, discountRate?: number): TotalsLine =>
  discountRate === undefined ? { quantity, unitAmount, taxRate } : { quantity, unitAmount, taxRate, discountRate };

function check(c: Case) {
  const got = xeroFigures(c.lines, c.type, c.unitdp ?? 2);
  assert.deepEqual(
    got.lines.map((x) => [x.lineAmount, x.taxAmount]),
    c.expectLines,
    `${c.name}: lines`,
  );
  assert.deepEqual(
    { subTotal: got.subTotal, totalTax: got.totalTax, total: got.total },
    { subTotal: c.subTotal, totalTax: c.totalTax, total: c.total },
    `${c.name}: totals`,
  );
}

describe('xeroFigures: line amount types and tax rates', () => {
  const cases: Case[] = [
    {
      name: 'Exclusive 15%: 2 × 49.99 → tax 14.997 → 15.00',
      type: 'Exclusive',
      lines: [l(2, 49.99, 15)],
      expectLines: [[99.98, 15]],
      subTotal: 99.98,
      totalTax: 15,
      total: 114.98,
    },
    {
      name: 'Inclusive 15%: 115.00 holds 15.00 of tax',
      type: 'Inclusive',
      lines: [l(1, 115, 15)],
      expectLines: [[115, 15]],
      subTotal: 100,
      totalTax: 15,
      total: 115,
    },
    {
      name: 'Inclusive 15%: 100.00 × 15/115 = 13.0434… → 13.04',
      type: 'Inclusive',
      lines: [l(1, 100, 15)],
      expectLines: [[100, 13.04]],
      subTotal: 86.96,
      totalTax: 13.04,
      total: 100,
    },
    {
      name: 'NoTax: a 15% rate on the line adds nothing',
      type: 'NoTax',
      lines: [l(3, 10, 15)],
      expectLines: [[30, 0]],
      subTotal: 30,
      totalTax: 0,
      total: 30,
    },
    {
      name: 'Exclusive 12.5%: 80.00 → 10.00; 33.33 → 4.16625 → 4.17',
      type: 'Exclusive',
      lines: [l(1, 80, 12.5), l(1, 33.33, 12.5)],
      expectLines: [
        [80, 10],
        [33.33, 4.17],
      ],
      subTotal: 113.33,
      totalTax: 14.17,
      total: 127.5,
    },
    {
      name: 'Inclusive 12.5%: 90.00 × 12.5/112.5 = 10.00',
      type: 'Inclusive',
      lines: [l(1, 90, 12.5)],
      expectLines: [[90, 10]],
      subTotal: 80,
      totalTax: 10,
      total: 90,
    },
    {
      name: 'Exclusive 0%',
      type: 'Exclusive',
      lines: [l(5, 19.99, 0)],
      expectLines: [[99.95, 0]],
      subTotal: 99.95,
      totalTax: 0,
      total: 99.95,
    },
    {
      name: 'Inclusive 0%',
      type: 'Inclusive',
      lines: [l(5, 19.99, 0)],
      expectLines: [[99.95, 0]],
      subTotal: 99.95,
      totalTax: 0,
      total: 99.95,
    },
    {
      name: 'Exclusive 7.7%: 100.00 → 7.70; 12.34 → 0.95018 → 0.95',
      type: 'Exclusive',
      lines: [l(1, 100, 7.7), l(1, 12.34, 7.7)],
      expectLines: [
        [100, 7.7],
        [12.34, 0.95],
      ],
      subTotal: 112.34,
      totalTax: 8.65,
      total: 120.99,
    },
    {
      name: 'Inclusive 7.7%: 107.70 → 7.70; 50.00 × 7.7/107.7 = 3.5747… → 3.57',
      type: 'Inclusive',
      lines: [l(1, 107.7, 7.7), l(1, 50, 7.7)],
      expectLines: [
        [107.7, 7.7],
        [50, 3.57],
      ],
      subTotal: 146.43,
      totalTax: 11.27,
      total: 157.7,
    },
    {
      name: 'Exclusive, rates mixed per line (15%, 0%, 12.5%)',
      type: 'Exclusive',
      lines: [l(1, 10, 15), l(1, 5, 0), l(1, 8, 12.5)],
      expectLines: [
        [10, 1.5],
        [5, 0],
        [8, 1],
      ],
      subTotal: 23,
      totalTax: 2.5,
      total: 25.5,
    },
    {
      name: 'no lines: all zero',
      type: 'Exclusive',
      lines: [],
      expectLines: [],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: discounts', () => {
  const cases: Case[] = [
    {
      name: '10%: 3 × 19.99 = 59.97 × 0.9 = 53.973 → 53.97; tax 8.0955 → 8.10',
      type: 'Exclusive',
      lines: [l(3, 19.99, 15, 10)],
      expectLines: [[53.97, 8.1]],
      subTotal: 53.97,
      totalTax: 8.1,
      total: 62.07,
    },
    {
      name: '12.5%: 99.99 × 0.875 = 87.49125 → 87.49; Inclusive 15% tax 11.4117… → 11.41',
      type: 'Inclusive',
      lines: [l(1, 99.99, 15, 12.5)],
      expectLines: [[87.49, 11.41]],
      subTotal: 76.08,
      totalTax: 11.41,
      total: 87.49,
    },
    {
      name: '33.33%: 100.00 × 0.6667 = 66.67; tax 10.0005 → 10.00',
      type: 'Exclusive',
      lines: [l(1, 100, 15, 33.33)],
      expectLines: [[66.67, 10]],
      subTotal: 66.67,
      totalTax: 10,
      total: 76.67,
    },
    {
      name: '33.33%: 3 × 10.00 = 30 × 0.6667 = 20.001 → 20.00',
      type: 'NoTax',
      lines: [l(3, 10, 0, 33.33)],
      expectLines: [[20, 0]],
      subTotal: 20,
      totalTax: 0,
      total: 20,
    },
    {
      name: '10% landing on a half: 0.05 × 0.9 = 0.045 → 0.05; negative → −0.05',
      type: 'NoTax',
      lines: [l(1, 0.05, 0, 10), l(1, -0.05, 0, 10)],
      expectLines: [
        [0.05, 0],
        [-0.05, 0],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: '12.5% landing on a half: 0.04 × 0.875 = 0.035 → 0.04',
      type: 'NoTax',
      lines: [l(1, 0.04, 0, 12.5)],
      expectLines: [[0.04, 0]],
      subTotal: 0.04,
      totalTax: 0,
      total: 0.04,
    },
    {
      name: '100% discount leaves nothing',
      type: 'Exclusive',
      lines: [l(2, 45.5, 15, 100)],
      expectLines: [[0, 0]],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: '0% discount is no discount',
      type: 'Exclusive',
      lines: [l(2, 45.5, 15, 0)],
      expectLines: [[91, 13.65]],
      subTotal: 91,
      totalTax: 13.65,
      total: 104.65,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: 4-dp quantities and unit amounts, unitdp 4 against 2', () => {
  const cases: Case[] = [
    {
      name: 'unitdp 4: 2.5 × 1.2345 = 3.08625 → 3.09',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(2.5, 1.2345, 0)],
      expectLines: [[3.09, 0]],
      subTotal: 3.09,
      totalTax: 0,
      total: 3.09,
    },
    {
      name: 'unitdp 2: the unit is 1.23 first, 2.5 × 1.23 = 3.075 → 3.08',
      type: 'NoTax',
      unitdp: 2,
      lines: [l(2.5, 1.2345, 0)],
      expectLines: [[3.08, 0]],
      subTotal: 3.08,
      totalTax: 0,
      total: 3.08,
    },
    {
      name: 'unitdp 4: 3 × 0.3333 = 0.9999 → 1.00',
      type: 'Exclusive',
      unitdp: 4,
      lines: [l(3, 0.3333, 15)],
      expectLines: [[1, 0.15]],
      subTotal: 1,
      totalTax: 0.15,
      total: 1.15,
    },
    {
      name: 'unitdp 2: 3 × 0.33 = 0.99',
      type: 'Exclusive',
      unitdp: 2,
      lines: [l(3, 0.3333, 15)],
      expectLines: [[0.99, 0.15]],
      subTotal: 0.99,
      totalTax: 0.15,
      total: 1.14,
    },
    {
      name: 'unitdp 4: 0.00499 → 0.0050, × 1000 = 5.00',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(1000, 0.00499, 0)],
      expectLines: [[5, 0]],
      subTotal: 5,
      totalTax: 0,
      total: 5,
    },
    {
      name: 'unitdp 2: 0.00499 → 0.00, × 1000 = 0.00',
      type: 'NoTax',
      unitdp: 2,
      lines: [l(1000, 0.00499, 0)],
      expectLines: [[0, 0]],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: 'unitdp 4: 1.23445 is a half at 4 dp → 1.2345, × 1000 = 1234.50 (not 1234.45)',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(1000, 1.23445, 0)],
      expectLines: [[1234.5, 0]],
      subTotal: 1234.5,
      totalTax: 0,
      total: 1234.5,
    },
    {
      name: '4-dp quantity and unit: 1.2345 × 2.3456 = 2.8956432 → 2.90',
      type: 'Exclusive',
      unitdp: 4,
      lines: [l(1.2345, 2.3456, 15)],
      expectLines: [[2.9, 0.44]],
      subTotal: 2.9,
      totalTax: 0.44,
      total: 3.34,
    },
    {
      name: 'quantity keeps 4 dp: 1.00005 → 1.0001, × 10000.00 = 10001.00',
      type: 'NoTax',
      lines: [l(1.00005, 10000, 0)],
      expectLines: [[10001, 0]],
      subTotal: 10001,
      totalTax: 0,
      total: 10001,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: halves round away from zero', () => {
  const cases: Case[] = [
    {
      name: 'line amounts of ±1.005 → ±1.01 (unitdp 4)',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(1, 1.005, 0), l(1, -1.005, 0)],
      expectLines: [
        [1.01, 0],
        [-1.01, 0],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: '0.5 × ±0.01 = ±0.005 → ±0.01',
      type: 'NoTax',
      lines: [l(0.5, 0.01, 0), l(0.5, -0.01, 0)],
      expectLines: [
        [0.01, 0],
        [-0.01, 0],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: '3 × 0.335 = 1.005 → 1.01 (unitdp 4)',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(3, 0.335, 0)],
      expectLines: [[1.01, 0]],
      subTotal: 1.01,
      totalTax: 0,
      total: 1.01,
    },
    {
      name: 'a negative quantity: −3 × 0.335 = −1.005 → −1.01',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(-3, 0.335, 0)],
      expectLines: [[-1.01, 0]],
      subTotal: -1.01,
      totalTax: 0,
      total: -1.01,
    },
    {
      name: 'Exclusive tax halves: 15% of ±0.10 = ±0.015 → ±0.02',
      type: 'Exclusive',
      lines: [l(1, 0.1, 15), l(1, -0.1, 15)],
      expectLines: [
        [0.1, 0.02],
        [-0.1, -0.02],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: 'Exclusive tax halves: 12.5% of ±0.04 = ±0.005 → ±0.01',
      type: 'Exclusive',
      lines: [l(1, 0.04, 12.5), l(1, -0.04, 12.5)],
      expectLines: [
        [0.04, 0.01],
        [-0.04, -0.01],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: 'Inclusive tax half: 20% in 0.03 = 0.005 → 0.01',
      type: 'Inclusive',
      lines: [l(1, 0.03, 20)],
      expectLines: [[0.03, 0.01]],
      subTotal: 0.02,
      totalTax: 0.01,
      total: 0.03,
    },
    {
      name: 'Inclusive tax half, negative: 20% in −0.03 = −0.005 → −0.01',
      type: 'Inclusive',
      lines: [l(1, -0.03, 20)],
      expectLines: [[-0.03, -0.01]],
      subTotal: -0.02,
      totalTax: -0.01,
      total: -0.03,
    },
    {
      name: 'just below a half stays down: 0.5 × 0.0099 = 0.00495 → 0.00 (unitdp 4)',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(0.5, 0.0099, 0)],
      expectLines: [[0, 0]],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: floating-point traps are decimal questions', () => {
  const cases: Case[] = [
    {
      name: '0.1 + 0.2 as two lines is 0.30',
      type: 'NoTax',
      lines: [l(1, 0.1, 0), l(1, 0.2, 0)],
      expectLines: [
        [0.1, 0],
        [0.2, 0],
      ],
      subTotal: 0.3,
      totalTax: 0,
      total: 0.3,
    },
    {
      name: 'a unit amount of 0.1 + 0.2 (0.30000000000000004) is 0.30',
      type: 'Exclusive',
      lines: [l(1, 0.1 + 0.2, 15)],
      expectLines: [[0.3, 0.05]],
      subTotal: 0.3,
      totalTax: 0.05,
      total: 0.35,
    },
    {
      name: 'unit 1.005 at unitdp 2 is 1.01 (its binary value 1.00499… would give 1.00)',
      type: 'NoTax',
      lines: [l(1, 1.005, 0)],
      expectLines: [[1.01, 0]],
      subTotal: 1.01,
      totalTax: 0,
      total: 1.01,
    },
    {
      name: 'unit ±2.675 at unitdp 2 is ±2.68 (binary 2.67499…)',
      type: 'NoTax',
      lines: [l(1, 2.675, 0), l(1, -2.675, 0)],
      expectLines: [
        [2.68, 0],
        [-2.68, 0],
      ],
      subTotal: 0,
      totalTax: 0,
      total: 0,
    },
    {
      name: 'unit 1.255 at unitdp 2 is 1.26, × 2 = 2.52',
      type: 'NoTax',
      lines: [l(2, 1.255, 0)],
      expectLines: [[2.52, 0]],
      subTotal: 2.52,
      totalTax: 0,
      total: 2.52,
    },
    {
      name: '3 × 1.15 is 3.45 (float 3.4499999999999997); tax 0.5175 → 0.52',
      type: 'Exclusive',
      lines: [l(3, 1.15, 15)],
      expectLines: [[3.45, 0.52]],
      subTotal: 3.45,
      totalTax: 0.52,
      total: 3.97,
    },
    {
      name: 'a unit amount of 1.15 × 3 (3.4499999999999997) is 3.45',
      type: 'NoTax',
      lines: [l(1, 1.15 * 3, 0)],
      expectLines: [[3.45, 0]],
      subTotal: 3.45,
      totalTax: 0,
      total: 3.45,
    },
    {
      name: '100 × 4.35 is 435.00 (float 434.99999999999994)',
      type: 'NoTax',
      lines: [l(100, 4.35, 0)],
      expectLines: [[435, 0]],
      subTotal: 435,
      totalTax: 0,
      total: 435,
    },
    {
      name: '1.1 × 1.1 is 1.21 (float 1.2100000000000002)',
      type: 'Exclusive',
      lines: [l(1.1, 1.1, 15)],
      expectLines: [[1.21, 0.18]],
      subTotal: 1.21,
      totalTax: 0.18,
      total: 1.39,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: tax is rounded per line, then summed', () => {
  test('ten lines of 0.10 at 15% Exclusive: 10 × 0.02 = 0.20, not 1.00 × 15% = 0.15', () => {
    const got = xeroFigures(
      Array.from({ length: 10 }, () => l(1, 0.1, 15)),
      'Exclusive',
      2,
    );
    assert.deepEqual(
      got.lines.map((x) => x.taxAmount),
      Array.from({ length: 10 }, () => 0.02),
    );
    assert.equal(got.subTotal, 1);
    assert.equal(got.totalTax, 0.2);
    assert.equal(got.total, 1.2);
    // One line of 1.00 is the sum rounded once: a different answer.
    assert.equal(xeroFigures([l(10, 0.1, 15)], 'Exclusive', 2).totalTax, 0.15);
  });

  test('three lines of 0.33 at 15% Exclusive: 0.0495 → 0.05 each, 0.15 (same as 0.1485 → 0.15 here)', () => {
    const got = xeroFigures([l(1, 0.33, 15), l(1, 0.33, 15), l(1, 0.33, 15)], 'Exclusive', 2);
    assert.deepEqual(
      got.lines.map((x) => [x.lineAmount, x.taxAmount]),
      [
        [0.33, 0.05],
        [0.33, 0.05],
        [0.33, 0.05],
      ],
    );
    assert.deepEqual([got.subTotal, got.totalTax, got.total], [0.99, 0.15, 1.14]);
  });

  test('three lines of 0.03 at 20% Inclusive: 3 × 0.01 = 0.03, not 0.09 / 6 = 0.015 → 0.02', () => {
    const got = xeroFigures([l(1, 0.03, 20), l(1, 0.03, 20), l(1, 0.03, 20)], 'Inclusive', 2);
    assert.deepEqual([got.subTotal, got.totalTax, got.total], [0.06, 0.03, 0.09]);
    assert.equal(xeroFigures([l(3, 0.03, 20)], 'Inclusive', 2).totalTax, 0.02);
  });

  test('three lines of 0.01 at 15% Exclusive: 0.0015 rounds to nothing on each line', () => {
    const got = xeroFigures([l(1, 0.01, 15), l(1, 0.01, 15), l(1, 0.01, 15)], 'Exclusive', 2);
    assert.deepEqual([got.subTotal, got.totalTax, got.total], [0.03, 0, 0.03]);
  });
});

describe('xeroFigures: large amounts', () => {
  const cases: Case[] = [
    {
      name: '1,000,000,000.1234 at unitdp 4 → 1000000000.12; tax 150000000.018 → 150000000.02',
      type: 'Exclusive',
      unitdp: 4,
      lines: [l(1, 1000000000.1234, 15)],
      expectLines: [[1000000000.12, 150000000.02]],
      subTotal: 1000000000.12,
      totalTax: 150000000.02,
      total: 1150000000.14,
    },
    {
      name: '999,999,999.9999 at unitdp 4 → 1,000,000,000.00',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(1, 999999999.9999, 0)],
      expectLines: [[1000000000, 0]],
      subTotal: 1000000000,
      totalTax: 0,
      total: 1000000000,
    },
    {
      name: '1234.5678 × 1,000,000.0005 = 1234567800.6172839 → 1234567800.62',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(1234.5678, 1000000.0005, 0)],
      expectLines: [[1234567800.62, 0]],
      subTotal: 1234567800.62,
      totalTax: 0,
      total: 1234567800.62,
    },
    {
      name: '9999.9999 × 99,999.9999 = 999999989.00000001 → 999999989.00',
      type: 'NoTax',
      unitdp: 4,
      lines: [l(9999.9999, 99999.9999, 0)],
      expectLines: [[999999989, 0]],
      subTotal: 999999989,
      totalTax: 0,
      total: 999999989,
    },
    {
      name: 'a half in the millions: 816.9 × −5347.75 = −4368576.975 → −4368576.98; tax −655286.547 → −655286.55',
      type: 'Exclusive',
      lines: [l(816.9, -5347.75, 15)],
      expectLines: [[-4368576.98, -655286.55]],
      subTotal: -4368576.98,
      totalTax: -655286.55,
      total: -5023863.53,
    },
    {
      name: 'a half after a discount: 95.88 × −917.50 × 0.95 = −83571.405 → −83571.41; Inclusive 7.7% → −5974.93',
      type: 'Inclusive',
      lines: [l(95.88, -917.5, 7.7, 5)],
      expectLines: [[-83571.41, -5974.93]],
      subTotal: -77596.48,
      totalTax: -5974.93,
      total: -83571.41,
    },
  ];
  for (const c of cases) test(c.name, () => check(c));
});

describe('xeroFigures: refuses what is not a number', () => {
  const cases: [string, TotalsLine][] = [
    ['NaN quantity', l(Number.NaN, 1, 0)],
    ['infinite unit amount', l(1, Number.POSITIVE_INFINITY, 0)],
    ['NaN discount', l(1, 1, 0, Number.NaN)],
    ['infinite tax rate', l(1, 1, Number.NEGATIVE_INFINITY)],
  ];
  for (const [name, line] of cases)
    test(name, () => assert.throws(() => xeroFigures([line], 'Exclusive', 2), RangeError));
});

describe('toCents', () => {
  const cases: [string, number, number][] = [
    ['100.01', 100.01, 10001],
    ['0.1 + 0.2', 0.1 + 0.2, 30],
    ['−0.07', -0.07, -7],
    ['1.15 × 3', 1.15 * 3, 345],
    ['4.35 × 100', 4.35 * 100, 43500],
    ['0.07 × 100', 0.07 * 100, 700],
    ['1,000,000,000.12', 1000000000.12, 100000000012],
    ['−0 is 0', -0, 0],
    ['a half cent rounds away from zero', 0.005, 1],
    ['a negative half cent rounds away from zero', -0.005, -1],
    ['1.005 (as written, not its binary value)', 1.005, 101],
  ];
  for (const [name, amount, cents] of cases) test(name, () => assert.equal(toCents(amount), cents));

  test('refuses NaN and infinities', () => {
    assert.throws(() => toCents(Number.NaN), RangeError);
    assert.throws(() => toCents(Number.POSITIVE_INFINITY), RangeError);
  });
});

describe('xeroFigures agrees with the Xero simulator to the cent', () => {
  /** Numerical Recipes' LCG: the same sequence on every run and machine. */
  function lcg(seed: number) {
    let s = seed >>> 0;
    return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  }
  const pick = <T>(next: () => number, from: readonly T[]): T => from[next() % from.length] as T;
  const TYPES: LineAmountType[] = ['Exclusive', 'Inclusive', 'NoTax'];
  const RATES = [0, 15, 12.5, 7.7, 20];
  const DISCOUNTS = [undefined, undefined, 10, 12.5, 33.33];
  /**
   * 2-dp values, from small lines (the common case, halves often) to lines of millions, where a
   * float's error outgrows any fixed nudge: the simulator must take amounts as decimals there too.
   */
  const RANGES = [
    { lines: 300, seed: 20240611, qMax: 20, uMax: 500 },
    { lines: 2000, seed: 7, qMax: 1000, uMax: 10_000 },
  ];

  for (const { lines: LINES, seed, qMax, uMax } of RANGES)
    test(`${LINES} pseudo-random lines (quantities to ${qMax}, unit amounts to ±${uMax}) in documents of 1–5 lines, every line type, unitdp 2 and 4`, () => {
      const next = lcg(seed);
      let lines = 0;
      let halves = 0;
      let taxHalves = 0;
      const types = new Set<LineAmountType>();
      while (lines < LINES) {
        const type = pick(next, TYPES);
        const unitdp: 2 | 4 = next() % 2 === 0 ? 2 : 4;
        const count = 1 + (next() % 5);
        const input: TotalsLine[] = [];
        const simLines: LineRec[] = [];
        for (let i = 0; i < count; i++) {
          // 0.01 … qMax; every other line a multiple of 0.5, so that line amounts often end on a half cent.
          const qHundredths = next() % 2 === 0 ? 1 + (next() % (qMax * 100)) : 50 * (1 + (next() % (2 * qMax)));
          const uHundredths = (next() % (2 * uMax * 100 + 1)) - uMax * 100;
          const quantity = qHundredths / 100;
          const unitAmount = uHundredths / 100;
          const taxRate = pick(next, RATES);
          const discountRate = pick(next, DISCOUNTS);
          input.push(l(quantity, unitAmount, taxRate, discountRate));
          // Is the exact line amount a half cent? q × u × (100 − d) in units of 10^-8.
          const keep = discountRate === undefined ? 10000 : 10000 - Math.round(discountRate * 100);
          if ((qHundredths * uHundredths * keep) % 1_000_000 === (uHundredths < 0 ? -500_000 : 500_000)) halves++;
          // As the simulator's line handling does: quantity to 4 dp, unit amount to unitdp, then its arithmetic.
          const q = round(quantity, 4);
          const u = round(unitAmount, unitdp);
          const sim = lineAmounts({ Quantity: q, UnitAmount: u, DiscountRate: discountRate }, type, taxRate);
          simLines.push({
            LineItemID: `l${lines + i}`,
            Quantity: q,
            UnitAmount: u,
            DiscountRate: discountRate,
            TaxType: 'X',
            TaxAmount: sim.TaxAmount,
            LineAmount: sim.LineAmount,
            Tracking: [],
          });
        }
        const ours = xeroFigures(input, type, unitdp);
        // Is the exact tax a half cent? Rates in tenths of a percent, amounts in cents.
        input.forEach((line, i) => {
          const amount = Math.round(ours.lines[i]!.lineAmount * 100);
          const r = Math.round(line.taxRate * 10);
          const [num, den] = type === 'Exclusive' ? [2 * amount * r, 1000] : [2 * amount * r, 1000 + r];
          if (type !== 'NoTax' && r !== 0 && num % den === 0 && (num / den) % 2 !== 0) taxHalves++;
        });
        const theirs = documentTotals(simLines, type);
        const where = `${type} unitdp ${unitdp} ${JSON.stringify(input)}`;
        assert.deepEqual(
          ours.lines.map((x) => [x.lineAmount, x.taxAmount]),
          simLines.map((x) => [x.LineAmount, x.TaxAmount]),
          `lines: ${where}`,
        );
        assert.deepEqual(
          [ours.subTotal, ours.totalTax, ours.total],
          [theirs.SubTotal, theirs.TotalTax, theirs.Total],
          `totals: ${where}`,
        );
        types.add(type);
        lines += count;
      }
      // The sample must exercise what it claims to: every type, and line amounts exactly on a half cent.
      assert.equal(types.size, 3);
      assert.ok(halves >= 20, `only ${halves} half-cent line amounts in the sample`);
      assert.ok(taxHalves >= 3, `only ${taxHalves} half-cent taxes in the sample`);
    });
});
