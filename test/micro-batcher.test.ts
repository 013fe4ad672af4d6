import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMicroBatcher } from '../src/xero/micro-batcher';

test('calls within the window share one batch per key; each gets its own result or error', async () => {
  const batches: Array<[string, number[]]> = [];
  const b = createMicroBatcher<number, number>({
    windowMs: 20,
    maxSize: 50,
    run: async (key, items) => {
      batches.push([key, items]);
      return items.map((n) => (n < 0 ? new Error(`negative ${n}`) : n * 10));
    },
  });
  const results = await Promise.allSettled([
    b.submit('t1', 1),
    b.submit('t1', 2),
    b.submit('t2', 3),
    b.submit('t1', -4),
  ]);
  assert.deepEqual(batches, [
    ['t1', [1, 2, -4]],
    ['t2', [3]],
  ]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    [10, 20, 30, 'negative -4'],
  );
});

test('a full batch goes at once; a failed request fails each of its callers', async () => {
  const sizes: number[] = [];
  const b = createMicroBatcher<number, number>({
    windowMs: 10_000,
    maxSize: 3,
    run: async (_key, items) => {
      sizes.push(items.length);
      if (items.includes(99)) throw new Error('Xero answered 503');
      return items;
    },
  });
  const started = Date.now();
  assert.deepEqual(await Promise.all([b.submit('t', 1), b.submit('t', 2), b.submit('t', 3)]), [1, 2, 3]);
  assert.ok(Date.now() - started < 1_000, 'a full batch waited for the window');
  const failed = await Promise.allSettled([b.submit('t', 4), b.submit('t', 5), b.submit('t', 99)]);
  assert.ok(failed.every((r) => r.status === 'rejected' && /503/.test((r.reason as Error).message)));
  assert.deepEqual(sizes, [3, 3]);
});

test('calls arriving while a batch is in flight (waiting for its permit) go together in the next one, when it is answered', async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const answered = new Promise<void>((r) => (release = r));
  const b = createMicroBatcher<number, number>({
    windowMs: 5,
    maxSize: 50,
    run: async (_key, items) => {
      batches.push(items);
      if (batches.length === 1) await answered; // the first request waits, as for a rate-limit permit
      return items;
    },
  });
  const started = Date.now();
  const first = b.submit('t', 0);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(batches, [[0]], 'a lone call went after the window alone');
  assert.ok(Date.now() - started < 500);
  // Twelve more arrive one by one, each well after the window, while the first is in flight.
  const later: Array<Promise<number>> = [];
  for (let i = 1; i <= 12; i++) {
    later.push(b.submit('t', i));
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(batches.length, 1, 'nothing else sent while the first is in flight');
  release();
  assert.deepEqual(await Promise.all([first, ...later]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(batches, [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]);
});
