/**
 * Task-queue priority and fairness on the real dev server (started with the dynamic config in
 * src/temporal/dev-server.ts). Bulk exports will run at a lower `priorityKey` than live document
 * syncs and carry the account as `fairnessKey`; these tests prove the server honours both before
 * anything relies on it.
 *
 * Set-up per test: one task queue; a workflow-only worker runs `diagnosticsWorkflow` (one activity,
 * `checkWorker`, which inherits the workflow's priority) so the activity tasks pile up in the
 * queue's backlog; then an activity-only worker with ONE slot drains it, recording the order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { Priority } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/worker';
import type { WorkerDiagnostics } from '../activities/diagnostics';
import { testTemporal, type TestTemporal } from './support/temporal';

let temporal: TestTemporal;
const stops: Array<() => Promise<void>> = [];

before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  for (const stop of stops.reverse()) await stop();
  await temporal.close();
});

function run(worker: Worker): () => Promise<void> {
  const running = worker.run();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    worker.shutdown();
    await running;
  };
  stops.push(stop);
  return stop;
}

/** Runs workflow tasks only: the activities it schedules wait in the queue's backlog. */
async function startWorkflowWorker(taskQueue: string) {
  const bundle = process.env.TEST_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '2s',
  });
  return run(worker);
}

interface Ran {
  workflowId: string;
  priority?: Priority;
}

/**
 * Runs activity tasks only, one at a time, recording the order in which the server hands them out.
 * The `hold.at`-th activity (1-based) keeps the only slot until `hold.release` resolves, so nothing more
 * is handed out meanwhile.
 */
async function startActivityWorker(
  taskQueue: string,
  ran: Ran[],
  activityMs: number,
  hold?: { at: number; release: Promise<void> },
) {
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    activities: {
      async checkWorker(): Promise<WorkerDiagnostics> {
        const info = Context.current().info;
        ran.push({ workflowId: info.workflowExecution?.workflowId ?? '', priority: info.priority });
        if (hold && ran.length === hold.at) await hold.release;
        await sleep(activityMs);
        return { database: 'pglite', databaseReachable: true, workerPid: process.pid };
      },
    },
    maxConcurrentActivityTaskExecutions: 1,
    maxConcurrentActivityTaskPolls: 1,
    shutdownGraceTime: '2s',
  });
  return run(worker);
}

async function startWorkflows(taskQueue: string, ids: string[], priority: Priority) {
  return Promise.all(
    ids.map((workflowId) =>
      temporal.client.workflow.start('diagnosticsWorkflow', {
        taskQueue,
        workflowId,
        priority,
        workflowExecutionTimeout: '60s',
      }),
    ),
  );
}

/** Waits until every workflow has its activity scheduled (waiting in the activity backlog). */
async function waitScheduled(ids: string[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let pending = ids;
  while (pending.length > 0) {
    const described = await Promise.all(
      pending.map(async (id) => ({ id, d: await temporal.client.workflow.getHandle(id).describe() })),
    );
    pending = described.filter(({ d }) => (d.raw.pendingActivities ?? []).length === 0).map(({ id }) => id);
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending.length} activities never scheduled`);
    await sleep(100);
  }
}

async function waitRan(ran: Ran[], count: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (ran.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${ran.length} of ${count} activities ran`);
    await sleep(10);
  }
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}-${randomUUID()}`);

/**
 * A backlog of `backlog` priority-4 activities drained by the one-slot worker; while it holds its
 * slot on the 3rd, one more workflow is started (its activity inheriting `latePriority`) and its
 * activity is queued behind the remaining 17. Returns the latecomer's 1-based position in the order
 * the activities ran.
 */
async function latecomerPosition(latePriority: number, backlog: number) {
  const taskQueue = `priority-${randomUUID()}`;
  const ran: Ran[] = [];
  const stopWorkflows = await startWorkflowWorker(taskQueue);
  const low = ids('low', backlog);
  const lowHandles = await startWorkflows(taskQueue, low, { priorityKey: 4 });
  await waitScheduled(low);
  let release!: () => void;
  const stopActivities = await startActivityWorker(taskQueue, ran, 20, {
    at: 3,
    release: new Promise<void>((resolve) => (release = resolve)),
  });
  await waitRan(ran, 3);
  const late = `late-${randomUUID()}`;
  const lateHandles = await startWorkflows(taskQueue, [late], { priorityKey: latePriority });
  await waitScheduled([late]);
  release();
  await waitRan(ran, backlog + 1, 20_000);
  await Promise.all([...lowHandles, ...lateHandles].map((h) => h.result()));
  await stopActivities();
  await stopWorkflows();
  const position = ran.findIndex((r) => r.workflowId === late) + 1;
  return { position, priority: ran[position - 1]?.priority };
}

describe('task-queue priority and fairness (dev server dynamic config)', () => {
  test('a priority-2 activity started behind a priority-4 backlog runs before it', async () => {
    const backlog = 20;
    const high = await latecomerPosition(2, backlog);
    // Control on a queue of its own: the same latecomer at the backlog's own priority waits its turn.
    const same = await latecomerPosition(4, backlog);
    console.log(
      `priority: 3 of ${backlog} priority-4 tasks handed out, then a latecomer queued: at priorityKey 2 it ran ` +
        `at position ${high.position} of ${backlog + 1}; at priorityKey 4 (control) at ${same.position}`,
    );
    assert.equal(high.priority?.priorityKey, 2, 'the activity inherits its workflow priority');
    assert.ok(high.position <= 5, `priority-2 latecomer ran ${high.position}th of ${backlog + 1}`);
    assert.ok(same.position >= backlog - 1, `control latecomer ran ${same.position}th of ${backlog + 1}`);
  });

  test('fairness: 5 tasks of key B queued behind 40 of key A are served among them, not after them', async () => {
    const taskQueue = `fairness-${randomUUID()}`;
    const ran: Ran[] = [];
    const stopWorkflows = await startWorkflowWorker(taskQueue);
    const a = ids('A', 40);
    const b = ids('B', 5);
    const handlesA = await startWorkflows(taskQueue, a, { fairnessKey: 'A' });
    await waitScheduled(a);
    const handlesB = await startWorkflows(taskQueue, b, { fairnessKey: 'B' });
    await waitScheduled(b);
    await startActivityWorker(taskQueue, ran, 5);
    await waitRan(ran, 45, 20_000);
    await Promise.all([...handlesA, ...handlesB].map((h) => h.result()));
    await stopWorkflows();
    const keys = ran.map((r) => r.priority?.fairnessKey ?? '?').join('');
    const bPositions = ran.flatMap((r, i) => (r.priority?.fairnessKey === 'B' ? [i + 1] : []));
    console.log(`fairness: order ${keys}; B at ${bPositions.join(', ')}`);
    assert.equal(bPositions.length, 5);
    // First in, first out would hand B out at 41–45; equal weights alternate A and B (2, 4, 6, 8, 10).
    assert.ok((bPositions[0] ?? Infinity) <= 3, `B ran at ${bPositions.join(', ')}`);
    assert.ok((bPositions[4] ?? Infinity) <= 15, `B ran at ${bPositions.join(', ')}`);
  });
});
