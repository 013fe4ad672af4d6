import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUNDING_DESCRIPTION, checkHostTotals, type HostTotals, type TotalCheck } from '../src/domain/total-check';
import { xeroFigures, type DocumentFigures, type TotalsLine } from '../src/domain/xero-totals';

/** The host's totals against Xero's, before anything is written: unchecked, match, rounding line or hold. */

type CheckSettings = Parameters<typeof checkHostTotals>[2];

const HOLD: CheckSettings = { totalDifference: 'hold', roundingAccountCode: '860', roundingTolerance: 0.05 };
const ROUND: CheckSettings = { totalDifference: 'rounding_line', roundingAccountCode: '860', roundingTolerance: 0.05 };
const ZERO = 'NONE';

/** 100.00 Inclusive of 15%: 86.96 + 13.04. */
const COMPUTED: DocumentFigures = {
  lines: [{ lineAmount: 100, taxAmount: 13.04 }],
  subTotal: 86.96,
  totalTax: 13.04,
  total: 100,
};

interface Case {
  name: string;
  host: HostTotals;
  computed?: DocumentFigures;
  settings: CheckSettings;
  zeroTaxType?: string;
  outcome: TotalCheck['outcome'];
  /** Rounding outcomes: the line's amount (also the `rounding` figure) and account. */
  rounding?: number;
  account?: string;
  /** Hold outcomes: what the reason must say. */
  says?: string[];
}

function check(c: Case) {
  const computed = c.computed ?? COMPUTED;
  const got = checkHostTotals(c.host, computed, c.settings, 'zeroTaxType' in c ? c.zeroTaxType : ZERO);
  assert.equal(got.outcome, c.outcome);
  assert.equal(got.computed, computed, 'the computed figures are handed back untouched');
  if (got.outcome === 'rounding') {
    assert.equal(got.rounding, c.rounding);
    assert.deepEqual(got.line, {
      description: ROUNDING_DESCRIPTION,
      quantity: 1,
      unitAmount: c.rounding,
      accountCode: c.account,
      taxType: ZERO,
    });
  } else assert.equal(c.rounding, undefined, 'the case expects a rounding line');
  if (got.outcome === 'hold') {
    for (const s of c.says ?? []) assert.ok(got.reason.includes(s), `reason lacks ${JSON.stringify(s)}: ${got.reason}`);
    assert.match(got.reason, /nothing was written/);
  } else assert.equal(c.says, undefined, 'the case expects a hold');
}

describe('checkHostTotals', () => {
  const cases: Case[] = [
    { name: 'no host totals → unchecked', host: {}, settings: HOLD, outcome: 'unchecked' },
    {
      name: 'host totals present but undefined → unchecked',
      host: { total: undefined, taxTotal: undefined },
      settings: ROUND,
      outcome: 'unchecked',
    },
    { name: 'equal total → match', host: { total: 100 }, settings: HOLD, outcome: 'match' },
    {
      name: 'equal total and tax total → match',
      host: { total: 100, taxTotal: 13.04 },
      settings: HOLD,
      outcome: 'match',
    },
    { name: 'only a tax total, equal → match', host: { taxTotal: 13.04 }, settings: HOLD, outcome: 'match' },
    {
      name: 'a float host total (0.1 + 0.2 = 0.30000000000000004) matches 0.30',
      host: { total: 0.1 + 0.2, taxTotal: 0.05 + 0.01 },
      computed: { lines: [{ lineAmount: 0.3, taxAmount: 0.06 }], subTotal: 0.24, totalTax: 0.06, total: 0.3 },
      settings: HOLD,
      outcome: 'match',
    },
    {
      name: 'one cent over, hold → hold with both totals',
      host: { total: 100.01 },
      settings: HOLD,
      outcome: 'hold',
      says: ["the host's total 100.01", 'the 100.00 Xero will compute', 'by 0.01'],
    },
    {
      name: 'one cent under, hold → hold with both totals',
      host: { total: 99.99 },
      settings: HOLD,
      outcome: 'hold',
      says: ["the host's total 99.99", 'the 100.00 Xero will compute', 'by -0.01'],
    },
    {
      name: 'one cent over, rounding_line → +0.01 on the rounding account',
      host: { total: 100.01 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: 0.01,
      account: '860',
    },
    {
      name: 'one cent under, rounding_line → −0.01',
      host: { total: 99.99 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: -0.01,
      account: '860',
    },
    {
      name: 'one cent over with an equal tax total → +0.01',
      host: { total: 100.01, taxTotal: 13.04 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: 0.01,
      account: '860',
    },
    {
      name: 'exactly at the tolerance (+0.05) → rounding',
      host: { total: 100.05 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: 0.05,
      account: '860',
    },
    {
      name: 'exactly at the tolerance (−0.05) → rounding',
      host: { total: 99.95 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: -0.05,
      account: '860',
    },
    {
      name: 'one cent beyond the tolerance (+0.06) → hold naming the tolerance',
      host: { total: 100.06 },
      settings: ROUND,
      outcome: 'hold',
      says: ["the host's total 100.06", 'the 100.00 Xero will compute', 'by 0.06', 'more than the 0.05 Setup allows'],
    },
    {
      name: 'one cent beyond the tolerance (−0.06) → hold',
      host: { total: 99.94 },
      settings: ROUND,
      outcome: 'hold',
      says: ["the host's total 99.94", 'by -0.06', 'more than the 0.05'],
    },
    {
      name: 'a wider tolerance (0.10) takes 0.10 (100.1 − 100 is 0.09999999999999432 in floats)',
      host: { total: 100.1 },
      settings: { ...ROUND, roundingTolerance: 0.1 },
      outcome: 'rounding',
      rounding: 0.1,
      account: '860',
    },
    {
      name: 'the smallest tolerance (0.01) refuses 0.02',
      host: { total: 100.02 },
      settings: { ...ROUND, roundingTolerance: 0.01 },
      outcome: 'hold',
      says: ['more than the 0.01'],
    },
    {
      name: 'tax total one cent off → hold even with rounding_line',
      host: { total: 100, taxTotal: 13.05 },
      settings: ROUND,
      outcome: 'hold',
      says: ["the host's tax total 13.05", 'the 13.04 Xero will compute', 'cannot correct tax'],
    },
    {
      name: 'tax total off while the total is within tolerance → hold (tax first)',
      host: { total: 100.01, taxTotal: 13.03 },
      settings: ROUND,
      outcome: 'hold',
      says: ["the host's tax total 13.03", 'the 13.04'],
    },
    {
      name: 'tax total off with hold → hold',
      host: { taxTotal: 13 },
      settings: HOLD,
      outcome: 'hold',
      says: ["the host's tax total 13.00", 'the 13.04'],
    },
    {
      name: 'rounding_line but no zero tax type → hold saying why',
      host: { total: 100.01 },
      settings: ROUND,
      zeroTaxType: undefined,
      outcome: 'hold',
      says: ["the host's total 100.01", 'the 100.00', 'tax rate of 0%'],
    },
    {
      name: 'rounding_line but an empty zero tax type → hold',
      host: { total: 99.99 },
      settings: ROUND,
      zeroTaxType: '',
      outcome: 'hold',
      says: ['tax rate of 0%'],
    },
    {
      name: 'rounding_line without a rounding account → hold',
      host: { total: 100.01 },
      settings: { totalDifference: 'rounding_line', roundingTolerance: 0.05 },
      outcome: 'hold',
      says: ["the host's total 100.01", 'the 100.00'],
    },
    {
      name: 'a credit (negative) document: −50.01 against −50.00 → −0.01',
      host: { total: -50.01 },
      computed: { lines: [{ lineAmount: -50, taxAmount: 0 }], subTotal: -50, totalTax: 0, total: -50 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: -0.01,
      account: '860',
    },
    {
      name: 'a billion: 1000000000.13 against 1000000000.12 → exactly 0.01 (floats say 0.009999990463256836)',
      host: { total: 1000000000.13 },
      computed: { lines: [], subTotal: 1000000000.12, totalTax: 0, total: 1000000000.12 },
      settings: ROUND,
      outcome: 'rounding',
      rounding: 0.01,
      account: '860',
    },
  ];
  for (const c of cases) test(c.name, () => check(c));

  test('a hold reason carries both totals in full', () => {
    const got = checkHostTotals({ total: 100.01 }, COMPUTED, HOLD, ZERO);
    assert.equal(got.outcome, 'hold');
    assert.match(
      got.outcome === 'hold' ? got.reason : '',
      /^the host's total 100\.01 differs from the 100\.00 Xero will compute by 0\.01, so nothing was written\./,
    );
  });
});

describe('checkHostTotals: the rounding line brings Xero to the host total', () => {
  const docs: [string, 'Exclusive' | 'Inclusive', TotalsLine[], number][] = [
    // Ten lines of 0.10 at 15%: Xero says 1.20 (per-line tax); a host summing first says 1.15.
    [
      'Exclusive, host rounded tax once',
      'Exclusive',
      Array.from({ length: 10 }, () => ({ quantity: 1, unitAmount: 0.1, taxRate: 15 })),
      1.15,
    ],
    // 3 × 0.335 at unitdp 2 is 3 × 0.34 = 1.02 in Xero; the host multiplied first: 1.005 → 1.01.
    ['Inclusive, host kept the unit amount', 'Inclusive', [{ quantity: 3, unitAmount: 0.335, taxRate: 15 }], 1.01],
  ];
  for (const [name, type, lines, hostTotal] of docs)
    test(name, () => {
      const computed = xeroFigures(lines, type, 2);
      const got = checkHostTotals({ total: hostTotal }, computed, ROUND, ZERO);
      assert.equal(got.outcome, 'rounding');
      if (got.outcome !== 'rounding') return;
      const balanced = xeroFigures(
        [...lines, { quantity: got.line.quantity, unitAmount: got.line.unitAmount, taxRate: 0 }],
        type,
        2,
      );
      assert.equal(balanced.total, hostTotal);
      assert.equal(balanced.totalTax, computed.totalTax);
    });
});
