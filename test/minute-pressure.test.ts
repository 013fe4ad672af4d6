import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMinutePressure, minuteRemaining } from '../src/xero/minute-pressure';

// Xero's 60 a minute: busy when 20 or fewer are left, or when a sixth (10) is used and another 5
// went within the hold (10 s here): a burst. A steady use of the minute is not held.
const cases: Array<[string, Array<[number, number | undefined]>, number, boolean]> = [
  ['never heard from: quiet', [], 0, false],
  ['59 left: quiet', [[0, 59]], 1, false],
  ['21 left on the only answer: a steady use, quiet', [[0, 21]], 1, false],
  ['20 left: nearly out, busy', [[0, 20]], 1, true],
  ['0 left (a minute 429): busy', [[0, 0]], 1, true],
  [
    'a burst: 59 then 50 left within the hold: busy',
    [
      [0, 59],
      [2_000, 50],
    ],
    2_001,
    true,
  ],
  [
    'the same fall, but the first answer is older than the hold: steady, quiet',
    [
      [0, 59],
      [10_001, 50],
    ],
    10_002,
    false,
  ],
  [
    'a sixth used, falling by 4 within the hold: quiet',
    [
      [0, 54],
      [2_000, 50],
    ],
    2_001,
    false,
  ],
  [
    'falling by 5 with fewer than a sixth used: quiet',
    [
      [0, 60],
      [2_000, 55],
    ],
    2_001,
    false,
  ],
  [
    'a steady 12 a minute (48 left, answers out of order): quiet',
    [
      [0, 48],
      [1_000, 47],
      [2_000, 48],
      [3_000, 47],
    ],
    3_001,
    false,
  ],
  ['nearly out, then the hold passes with no answer: quiet again', [[0, 20]], 10_001, false],
  [
    'nearly out, then a later answer with room: quiet',
    [
      [0, 20],
      [500, 55],
    ],
    600,
    false,
  ],
  [
    'an answer without the header changes nothing',
    [
      [0, 5],
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
