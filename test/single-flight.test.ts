import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSingleFlight } from '../src/xero/single-flight';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('callers arriving while a run is in flight share it; one key does not hold up another', async () => {
  const flight = createSingleFlight<number>();
  let runs = 0;
  const run = async () => {
    const mine = ++runs;
    await tick(20);
    return mine;
  };
  const results = await Promise.all([flight('a', run), flight('a', run), flight('b', run), flight('a', run)]);
  assert.equal(runs, 2);
  assert.deepEqual([results[0], results[1], results[3]], [results[0], results[0], results[0]]);
  assert.notEqual(results[2], results[0]);
  await flight('a', run);
  assert.equal(runs, 3, 'without reuseMs the next caller runs again');
});

test('reuseMs: a success serves later callers for that long; a failure is never reused', async () => {
  const flight = createSingleFlight<string>({ reuseMs: 50 });
  let runs = 0;
  await flight('k', async () => `run ${++runs}`);
  assert.equal(await flight('k', async () => `run ${++runs}`), 'run 1');
  await tick(80);
  assert.equal(await flight('k', async () => `run ${++runs}`), 'run 2');

  let failures = 0;
  const failing = async (): Promise<string> => {
    failures++;
    throw new Error('Xero did not answer');
  };
  await assert.rejects(flight('f', failing));
  await assert.rejects(flight('f', failing));
  assert.equal(failures, 2);
});
