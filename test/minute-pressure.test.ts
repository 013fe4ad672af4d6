import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMinutePressure, minuteRemaining } from '../src/xero/minute-pressure';

// Xero's 60 a minute: busy once a sixth (10) is used, i.e. at 50 or fewer left.
const cases: Array<[string, Array<[number, number | undefined]>, number, boolean]> = [
  ['never heard from: quiet', [], 0, false],
  ['59 left: quiet', [[0, 59]], 1, false],
  ['51 left: quiet', [[0, 51]], 1, false],
  ['50 left: busy', [[0, 50]], 1, true],
  ['0 left (a minute 429): busy', [[0, 0]], 1, true],
  ['busy, then the hold passes with no answer: quiet again', [[0, 10]], 10_001, false],
  [
    'busy, then a later answer with room: quiet',
    [
      [0, 10],
      [500, 55],
    ],
    600,
    false,
  ],
  [
    'an answer without the header changes nothing',
    [
      [0, 40],
      [500, undefined],
    ],
    600,
    true,
  ],
];

for (const [name, answers, at, busy] of cases) {
  test(`minute pressure: ${name}`, () => {
    let now = 0;
    const p = createMinutePressure({ perMinute: 60, holdMs: 10_000, now: () => now });
    for (const [t, remaining] of answers) {
      now = t;
      p.observe('acct', remaining);
    }
    now = at;
    assert.equal(p.busy('acct'), busy);
    assert.equal(p.busy('other'), false, 'another organisation is not affected');
  });
}

test('minute pressure: X-MinLimit-Remaining is read in any case, and junk is no reading', () => {
  assert.equal(minuteRemaining({ 'x-minlimit-remaining': '42' }), 42);
  assert.equal(minuteRemaining({ 'X-MinLimit-Remaining': 7 }), 7);
  assert.equal(minuteRemaining({ 'x-minlimit-remaining': 'lots' }), undefined);
  assert.equal(minuteRemaining({}), undefined);
  assert.equal(minuteRemaining(undefined), undefined);
});
