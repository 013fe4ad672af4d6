import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPermitLines } from '../src/xero/permit-line';

test('permit line: callers of one organisation take turns in arrival order; another organisation has its own line', async () => {
  const lines = createPermitLines();
  const a = lines.join('t1');
  const b = lines.join('t1');
  const other = lines.join('t2');
  assert.deepEqual([lines.position('t1', a), lines.position('t1', b), lines.position('t2', other)], [0, 1, 0]);
  assert.equal(await lines.turn('t1', a, Date.now() + 1_000), true, 'the front goes at once');
  const bTurn = lines.turn('t1', b, Date.now() + 1_000);
  lines.leave('t1', a);
  assert.equal(await bTurn, true, 'the next one is woken when the front leaves');
  lines.leave('t1', b);
  assert.equal(lines.position('t1', b), -1);
});

test("permit line: a caller's wait for its turn ends at its deadline", async () => {
  const lines = createPermitLines();
  lines.join('t');
  const b = lines.join('t');
  const started = Date.now();
  assert.equal(await lines.turn('t', b, Date.now() + 50), false);
  assert.ok(Date.now() - started >= 45);
});

test('permit line: a batch goes ahead of single calls, after earlier batches, never ahead of a front asking the database', () => {
  const lines = createPermitLines();
  const asking = lines.join('t');
  const single = lines.join('t');
  const batch1 = lines.join('t', true);
  const batch2 = lines.join('t', true);
  assert.deepEqual(
    [asking, batch1, batch2, single].map((x) => lines.position('t', x)),
    [0, 1, 2, 3],
  );
});

test('permit line: a batch takes the front from a single call sleeping out a wait, which then waits its turn', async () => {
  const lines = createPermitLines();
  const single = lines.join('t');
  const sleeping = lines.sleepInFront('t', single, 10_000);
  const batch = lines.join('t', true);
  assert.equal(await sleeping, 'displaced', 'the sleeper is woken at once');
  assert.deepEqual([lines.position('t', batch), lines.position('t', single)], [0, 1]);
  const singleTurn = lines.turn('t', single, Date.now() + 1_000);
  lines.leave('t', batch);
  assert.equal(await singleTurn, true);
});

test('permit line: a front sleeping out a wait wakes on time when no batch comes', async () => {
  const lines = createPermitLines();
  const single = lines.join('t');
  assert.equal(await lines.sleepInFront('t', single, 20), 'woke');
  assert.equal(lines.position('t', single), 0);
});

test('permit line: a batch that joined while the front was asking the database goes first once the front has to wait', async () => {
  const lines = createPermitLines();
  const single = lines.join('t');
  const batch = lines.join('t', true);
  assert.equal(lines.position('t', batch), 1, 'behind the front asking the database');
  const batchTurn = lines.turn('t', batch, Date.now() + 1_000);
  assert.equal(await lines.sleepInFront('t', single, 10_000), 'displaced', 'the front does not sleep in front of it');
  assert.equal(await batchTurn, true);
  assert.deepEqual([lines.position('t', batch), lines.position('t', single)], [0, 1]);
});
