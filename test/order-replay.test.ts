import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/worker';
import { HISTORY_FIXTURES, historyFromPlain } from './support/histories';

/**
 * Determinism: histories recorded by the order tests (test/fixtures/histories, see
 * support/histories.ts) replayed against today's workflow code. A change that would break running
 * workflows (a step added, removed or reordered without `patched()`) fails here.
 */
Runtime.install({ logger: new DefaultLogger('WARN') });

test('recorded order workflow histories replay against the current workflow code', async () => {
  const files = readdirSync(HISTORY_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 3, `expected recorded histories in ${HISTORY_FIXTURES}`);
  const histories = files.map((f) => ({
    workflowId: path.basename(f, '.json'),
    history: historyFromPlain(JSON.parse(readFileSync(path.join(HISTORY_FIXTURES, f), 'utf8'))),
  }));
  const bundle = process.env.TEST_WORKFLOW_BUNDLE;
  const results = Worker.runReplayHistories(
    bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH },
    histories,
  );
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of results) {
    replayed++;
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});
