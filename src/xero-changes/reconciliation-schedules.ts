import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../db/database';
import type { Settings } from '../domain/settings';
import { AccountIdKey } from '../temporal/search-attributes';
import { reconciliationScheduleId, reconciliationWorkflowId } from './contract';
import { RECONCILIATION_WORKFLOW_TYPE, type ReconciliationInput } from './shared';

/**
 * The per-account reconciliation: a Temporal Schedule every `reconciliationIntervalHours`, and
 * "Reconcile now" (admin page, API). Connect/setup/disconnect code calls these next to the
 * contact-sync schedule calls; every function is safe to repeat.
 */

export interface ReconciliationTarget {
  accountId: string;
  taskQueue: string;
}

/** A run stuck in 'running' longer than this (a worker lost mid-run) no longer blocks the next one. */
const RUN_TIMEOUT_MS = 2 * 3_600_000;

/**
 * Offset by the account id, and away from the contact-sync offset (different multiplier), so the
 * accounts' reads spread over the interval instead of sharing Xero's per-app minute limit at once.
 */
function interval(accountId: string, settings: Pick<Settings, 'reconciliationIntervalHours'>) {
  const minutes = settings.reconciliationIntervalHours * 60;
  let h = 7;
  for (const ch of accountId) h = (h * 37 + ch.charCodeAt(0)) >>> 0;
  return { every: `${settings.reconciliationIntervalHours}h`, offset: `${h % minutes}m` };
}

function action(target: ReconciliationTarget): ScheduleOptionsStartWorkflowAction<Workflow> {
  const input: ReconciliationInput = { accountId: target.accountId, trigger: 'schedule' };
  return {
    type: 'startWorkflow',
    workflowType: RECONCILIATION_WORKFLOW_TYPE,
    // Temporal appends the scheduled time; one-at-a-time across scheduled and manual runs is kept by the run table.
    workflowId: reconciliationWorkflowId(target.accountId),
    taskQueue: target.taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
    workflowRunTimeout: '2 hours',
  };
}

export async function ensureReconciliationSchedule(
  client: Client,
  target: ReconciliationTarget,
  settings: Pick<Settings, 'reconciliationIntervalHours'>,
  opts: { paused?: boolean; note?: string } = {},
): Promise<void> {
  const scheduleId = reconciliationScheduleId(target.accountId);
  const paused = opts.paused ?? false;
  const note =
    opts.note ??
    (paused
      ? 'paused: the Xero connection needs reconnecting'
      : `reconciliation every ${settings.reconciliationIntervalHours} h`);
  const spec = { intervals: [interval(target.accountId, settings)] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: action(target),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour', pauseOnFailure: false },
      typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
      state: { paused, note },
    });
    return;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((prev) => ({
    ...prev,
    spec,
    action: action(target),
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
    state: { ...prev.state, paused, note },
  }));
}

export async function pauseReconciliation(
  client: Client,
  accountId: string,
  reason = 'the Xero connection needs reconnecting',
): Promise<void> {
  await ignoreMissing(() => client.schedule.getHandle(reconciliationScheduleId(accountId)).pause(`paused: ${reason}`));
}

export async function deleteReconciliation(client: Client, accountId: string): Promise<void> {
  await ignoreMissing(() => client.schedule.getHandle(reconciliationScheduleId(accountId)).delete());
}

/**
 * "Reconcile now": starts a run unless one is already going (a scheduled one, or an earlier click),
 * in which case the caller is told so and nothing new starts.
 */
export async function startReconciliation(
  client: Client,
  taskQueue: string,
  accountId: string,
  trigger: 'manual' | 'api',
  db?: Db,
  opts: Pick<ReconciliationInput, 'pageSize'> = {},
): Promise<{ workflowId: string; alreadyRunning: boolean }> {
  const workflowId = reconciliationWorkflowId(accountId);
  if (db && (await runningRow(db, accountId))) return { workflowId, alreadyRunning: true };
  const input: ReconciliationInput = { accountId, trigger, ...opts };
  try {
    await client.workflow.start(RECONCILIATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
      workflowRunTimeout: '2 hours',
    });
    return { workflowId, alreadyRunning: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, alreadyRunning: true };
    throw err;
  }
}

export interface ReconciliationRunView {
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'completed' | 'failed';
  trigger: 'schedule' | 'manual' | 'api';
  since?: string;
  counts: Record<string, unknown>;
}

export async function reconciliationStatus(
  db: Db,
  client: Client,
  accountId: string,
): Promise<{ lastRun?: ReconciliationRunView; nextRunAt?: string; running: boolean }> {
  const last = await db
    .selectFrom('xero_reconciliation_runs')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  let nextRunAt: string | undefined;
  try {
    const d = await client.schedule.getHandle(reconciliationScheduleId(accountId)).describe();
    const next = d.state.paused ? undefined : d.info.nextActionTimes[0];
    if (next) nextRunAt = next.toISOString();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  let running = !!(await runningRow(db, accountId));
  if (!running) {
    // A "Reconcile now" whose first activity has not recorded the run yet.
    try {
      const d = await client.workflow.getHandle(reconciliationWorkflowId(accountId)).describe();
      running = d.status.name === 'RUNNING';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return {
    ...(last
      ? {
          lastRun: {
            startedAt: last.started_at.toISOString(),
            ...(last.finished_at ? { finishedAt: last.finished_at.toISOString() } : {}),
            status: last.status,
            trigger: last.trigger,
            ...(last.since ? { since: last.since.toISOString() } : {}),
            counts: last.counts,
          },
        }
      : {}),
    ...(nextRunAt ? { nextRunAt } : {}),
    running,
  };
}

async function runningRow(db: Db, accountId: string) {
  return db
    .selectFrom('xero_reconciliation_runs')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'running')
    .where('started_at', '>', new Date(Date.now() - RUN_TIMEOUT_MS))
    .executeTakeFirst();
}

async function ignoreMissing(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
