import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowIdConflictPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { AccountIdKey } from '../temporal/search-attributes';
import type { Settings } from '../domain/settings';
import {
  CONTACT_SYNC_WORKFLOW_TYPE,
  contactImportWorkflowId,
  contactSyncScheduleId,
  contactSyncWorkflowId,
  type ContactSyncInput,
} from './shared';

/**
 * The per-account Temporal Schedule that runs contact sync. Connect/setup/disconnect code calls
 * these (one line each); every function is safe to repeat.
 *   connect / reconnect / setup saved → ensureContactSyncSchedule
 *   connection needs reconnecting     → pauseContactSync
 *   disconnect / account removed      → deleteContactSync
 */

export interface ScheduleTarget {
  accountId: string;
  /** The worker's task queue (config TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
}

/**
 * Every N hours, at an offset derived from the account id: accounts spread over the interval
 * instead of all calling Xero on the hour (Xero's per-app minute limit is shared by all tenants).
 */
function interval(accountId: string, settings: Pick<Settings, 'contactSyncIntervalHours'>) {
  const minutes = settings.contactSyncIntervalHours * 60;
  let h = 0;
  for (const ch of accountId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return { every: `${settings.contactSyncIntervalHours}h`, offset: `${h % minutes}m` };
}

function action(target: ScheduleTarget): ScheduleOptionsStartWorkflowAction<Workflow> {
  const input: ContactSyncInput = { accountId: target.accountId, mode: 'sync' };
  return {
    type: 'startWorkflow',
    workflowType: CONTACT_SYNC_WORKFLOW_TYPE,
    // Temporal appends the scheduled time, so each run has its own id.
    workflowId: contactSyncWorkflowId(target.accountId),
    taskQueue: target.taskQueue,
    args: [input],
    typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
    // A run should never take hours; if one hangs, the next interval starts afresh from the checkpoint.
    workflowRunTimeout: '2 hours',
  };
}

export interface EnsureOptions {
  /** Create or leave it paused (the connection needs reconnecting). */
  paused?: boolean;
  note?: string;
}

/**
 * Creates the account's schedule, or brings an existing one in line with setup (interval, task
 * queue) and with the connection (paused or not). Called on connect, reconnect and setup save.
 */
export async function ensureContactSyncSchedule(
  client: Client,
  target: ScheduleTarget,
  settings: Pick<Settings, 'contactSyncIntervalHours'>,
  opts: EnsureOptions = {},
): Promise<void> {
  const scheduleId = contactSyncScheduleId(target.accountId);
  const paused = opts.paused ?? false;
  const note =
    opts.note ??
    (paused
      ? 'paused: the Xero connection needs reconnecting'
      : `contact sync every ${settings.contactSyncIntervalHours} h`);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [interval(target.accountId, settings)] },
      action: action(target),
      policies: {
        overlap: ScheduleOverlapPolicy.SKIP,
        // After an outage, run once soon rather than replaying every missed interval (SKIP would drop them anyway).
        catchupWindow: '1 hour',
        pauseOnFailure: false,
      },
      typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
      state: { paused, note },
    });
    return;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  await handle.update((prev) => ({
    ...prev,
    spec: { intervals: [interval(target.accountId, settings)] },
    action: action(target),
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
    state: { ...prev.state, paused, note },
  }));
}

/** While the connection needs reconnecting: keep the schedule (and its history), take no actions. */
export async function pauseContactSync(
  client: Client,
  accountId: string,
  reason = 'the Xero connection needs reconnecting',
): Promise<void> {
  await ignoreMissing(() => client.schedule.getHandle(contactSyncScheduleId(accountId)).pause(`paused: ${reason}`));
}

export async function resumeContactSync(client: Client, accountId: string): Promise<void> {
  await ignoreMissing(() =>
    client.schedule.getHandle(contactSyncScheduleId(accountId)).unpause('resumed: connection active'),
  );
}

/** Disconnect or account removal: the schedule goes; a reconnect creates a fresh one. */
export async function deleteContactSync(client: Client, accountId: string): Promise<void> {
  await ignoreMissing(() => client.schedule.getHandle(contactSyncScheduleId(accountId)).delete());
}

/** Runs the sync now (the page's "Sync contacts now", tests); skipped if a run is in progress. */
export async function triggerContactSync(client: Client, accountId: string): Promise<void> {
  await client.schedule.getHandle(contactSyncScheduleId(accountId)).trigger(ScheduleOverlapPolicy.SKIP);
}

export interface ContactSyncScheduleInfo {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  intervalHours: number | null;
  nextRunAt: Date | null;
  recentRuns: Array<{ workflowId: string; startedAt: Date }>;
}

export async function describeContactSync(
  client: Client,
  accountId: string,
): Promise<ContactSyncScheduleInfo | undefined> {
  let d: ScheduleDescription;
  try {
    d = await client.schedule.getHandle(contactSyncScheduleId(accountId)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  const interval = d.spec.intervals?.[0]?.every;
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    intervalHours: typeof interval === 'number' ? interval / 3_600_000 : null,
    nextRunAt: d.info.nextActionTimes[0] ?? null,
    recentRuns: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, startedAt: a.takenAt })),
  };
}

/**
 * "Import Xero customers": one import per account at a time (a second click while one runs
 * joins it); a finished one can be run again.
 */
export async function startContactImport(
  client: Client,
  target: ScheduleTarget,
  opts: Pick<ContactSyncInput, 'pageSize'> = {},
): Promise<{ workflowId: string; runId: string }> {
  const input: ContactSyncInput = { accountId: target.accountId, mode: 'import', ...opts };
  const workflowId = contactImportWorkflowId(target.accountId);
  const handle = await client.workflow.start(CONTACT_SYNC_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: target.taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
    workflowRunTimeout: '2 hours',
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

async function ignoreMissing(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
