import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ESTIMATED_CALLS_PER_DOCUMENT, etaWords, queueWords, xeroBudget, type BudgetInput } from '../src/xero/budget';

/**
 * The budget's figures and its ETA as a table: the queue within the minute's room, paced by the
 * minute, held by Xero's Retry-After, running into the day limit (the clock time the window frees),
 * bigger than a whole day, Xero's own remaining count, no connection.
 */

const XERO = { perMinute: 60, perDay: 5_000, concurrent: 5 };
const at = (iso: string) => new Date(iso);
const NOW = at('2026-03-02T22:00:00Z');
const base: BudgetInput = { now: NOW, limits: XERO, minuteUsed: 0, dayUsed: 0, inFlight: 0, queuedDocuments: 0 };

describe('xeroBudget', () => {
  const rows: Array<{
    name: string;
    input: Partial<BudgetInput>;
    seconds: number;
    limitedBy: string;
    words: string | RegExp;
    calls?: number;
  }> = [
    { name: 'nothing queued', input: {}, seconds: 0, limitedBy: 'none', words: 'nothing waiting', calls: 0 },
    {
      name: 'a few documents within the minute',
      input: { queuedDocuments: 10, minuteUsed: 5 },
      seconds: 0,
      limitedBy: 'none',
      words: 'in less than a minute',
      calls: 12,
    },
    {
      name: '100 documents: 60 calls at once, 60 paced over a minute',
      input: { queuedDocuments: 100 },
      seconds: 60,
      limitedBy: 'minute',
      words: 'in about 1 min',
      calls: 120,
    },
    {
      name: '1,000 documents with the minute already used up',
      input: { queuedDocuments: 1_000, minuteUsed: 60, dayUsed: 60 },
      seconds: 1_200,
      limitedBy: 'minute',
      words: 'in about 20 min',
      calls: 1_200,
    },
    {
      name: 'a little more than the day allows runs into tomorrow',
      input: { queuedDocuments: 4_200 },
      // 5,040 calls: 5,000 today at the minute's pace, the last 40 when today's first calls age out.
      seconds: 86_400,
      limitedBy: 'day',
      words: 'tomorrow ~22:00 UTC',
    },
    {
      name: '4,000 documents (4,800 calls) fit the day: about 1 h 19 min',
      input: { queuedDocuments: 4_000 },
      seconds: 4_740,
      limitedBy: 'minute',
      words: 'in about 1 h 19 min',
    },
    {
      name: "Xero's Retry-After holds the queue",
      input: { queuedDocuments: 10, blockedUntil: at('2026-03-02T22:00:30Z'), blockReason: 'minute' },
      seconds: 30,
      limitedBy: 'blocked',
      words: 'in less than a minute',
    },
    {
      name: 'a block past is ignored',
      input: { queuedDocuments: 10, blockedUntil: at('2026-03-02T21:59:00Z') },
      seconds: 0,
      limitedBy: 'none',
      words: 'in less than a minute',
    },
    {
      name: 'the day binds: the rest goes when yesterday morning’s calls age out',
      input: {
        queuedDocuments: 100,
        dayUsed: 4_990,
        dayWindow: [{ at: at('2026-03-02T09:39:00Z'), calls: 4_990 }],
        dayBucketMs: 60_000,
      },
      // 10 now; 110 when the 09:39 minute leaves the window at 09:40 tomorrow: 60 at once, 50 paced.
      seconds: (11 * 60 + 40) * 60 + 50,
      limitedBy: 'day',
      words: 'tomorrow ~09:40 UTC',
    },
    {
      name: 'the day binds without the window: every call of the last day assumed to age out a day from now',
      input: { queuedDocuments: 100, dayUsed: 4_990 },
      seconds: 86_400 + 50,
      limitedBy: 'day',
      words: 'tomorrow ~22:00 UTC',
    },
    {
      name: "Xero's own remaining count wins when lower",
      input: {
        queuedDocuments: 10,
        dayUsed: 100,
        xeroDayRemaining: 0,
        dayWindow: [{ at: at('2026-03-02T12:00:00Z'), calls: 100 }],
        dayBucketMs: 60_000,
      },
      seconds: 14 * 3600 + 60,
      limitedBy: 'day',
      words: 'tomorrow ~12:01 UTC',
    },
    {
      name: 'more than two days of calls',
      input: { queuedDocuments: 10_000, now: at('2026-03-02T06:00:00Z') },
      // 12,000 calls: 5,000 today, 5,000 tomorrow, 2,000 the day after (60 at once, 1,940 paced).
      seconds: 2 * 86_400 + 1_940,
      limitedBy: 'day',
      words: 'on 4 Mar ~06:32 UTC',
    },
    {
      name: 'not connected: no ETA',
      input: { queuedDocuments: 3, connected: false },
      seconds: 0,
      limitedBy: 'connection',
      words: 'when Xero is connected again',
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const b = xeroBudget({ ...base, ...r.input });
      assert.equal(b.eta.seconds, r.seconds, 'seconds');
      assert.equal(b.eta.limitedBy, r.limitedBy, 'limited by');
      if (typeof r.words === 'string') assert.equal(b.eta.words, r.words);
      else assert.match(b.eta.words, r.words);
      if (r.calls !== undefined) assert.equal(b.queue.estimatedCalls, r.calls);
      if (b.eta.doneAt) assert.ok(b.eta.doneAt.getTime() >= NOW.getTime() - 86_400_000);
    });
  }

  test('used, limit and remaining per window; never below zero', () => {
    const b = xeroBudget({ ...base, minuteUsed: 61, dayUsed: 1_234, inFlight: 2 });
    assert.deepEqual(b.minute, { used: 61, limit: 60, remaining: 0 });
    assert.deepEqual(b.day, { used: 1_234, limit: 5_000, remaining: 3_766 });
    assert.deepEqual(b.concurrent, { inFlight: 2, limit: 5 });
    assert.equal(b.blocked, null);
    const held = xeroBudget({ ...base, blockedUntil: at('2026-03-02T22:05:00Z'), blockReason: 'day' });
    assert.deepEqual(held.blocked, { until: at('2026-03-02T22:05:00Z'), reason: 'day' });
  });

  test('the estimate per document is the named constant', () => {
    assert.equal(xeroBudget({ ...base, queuedDocuments: 50 }).queue.callsPerDocument, ESTIMATED_CALLS_PER_DOCUMENT);
    assert.equal(xeroBudget({ ...base, queuedDocuments: 50, callsPerDocument: 1 }).queue.estimatedCalls, 50);
  });

  test('a smaller plan (1,000 a day) binds sooner', () => {
    const b = xeroBudget({ ...base, limits: { ...XERO, perDay: 1_000 }, queuedDocuments: 1_000 });
    assert.equal(b.eta.limitedBy, 'day');
    assert.equal(b.day.remaining, 1_000);
  });

  test('words in the organisation’s zone, and the queue in words', () => {
    const b = xeroBudget({ ...base, queuedDocuments: 100, dayUsed: 4_990, timeZone: 'Pacific/Auckland' });
    // 22:00 UTC on 2 March is 11:00 on 3 March in Auckland; done a day later: 4 March, "tomorrow" there.
    assert.equal(b.eta.words, 'tomorrow ~11:00');
    assert.equal(queueWords(b), '100 documents waiting for Xero (about 120 calls)');
    assert.equal(
      queueWords(xeroBudget({ ...base, queuedDocuments: 1 })),
      '1 document waiting for Xero (about 2 calls)',
    );
    assert.equal(queueWords(xeroBudget(base)), 'No documents waiting for Xero');
    assert.equal(etaWords(NOW, at('2026-03-02T23:30:00Z'), 'day'), 'today ~23:30 UTC');
  });
});
