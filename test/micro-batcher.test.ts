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
