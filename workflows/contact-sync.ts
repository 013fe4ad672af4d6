import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ContactSyncActivities } from '../activities/contact-sync';
import type { RunRef } from '../src/contact-sync/runs';
import {
  contactSyncProgressQuery,
  emptyCounts,
  NOT_CONNECTED_FAILURE,
  type ContactSyncCounts,
  type ContactSyncInput,
  type ContactSyncProgress,
  type ContactSyncResult,
} from '../src/contact-sync/shared';
import { PUSH_ITEMS_PATCH } from '../src/items/shared';
import { itemActivities } from './item-push';

const REFERENCE_KINDS = ['tax-rates', 'items', 'accounts', 'tracking-categories'] as const;
/** Runs from before this patch refresh the four kinds above; newer ones the enabled currencies too. */
const CURRENCIES_PATCH = 'reference-currencies';
/** The pull re-reads this much before Xero's clock at its start: clocks and second-precision never lose a change (the mirror drops repeats). */
const WATERMARK_MARGIN_MS = 60_000;

function activities(heartbeatTimeout: Duration) {
  return proxyActivities<ContactSyncActivities>({
    startToCloseTimeout: '10 minutes',
    // Activities beat before every Xero call: a killed worker's batch is retried on another within this.
    heartbeatTimeout,
    // A time budget, not a count: rate-limit and outage waits are attempts too (a few seconds each, so a
    // count runs out in a long outage); errors that will repeat are non-retryable failures already.
    scheduleToCloseTimeout: '2 hours',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
}

/**
 * One contact-sync run for an account, started by its Schedule (mode `sync`) or by "Import Xero
 * customers" (mode `import`): pull → (push) → reference data → record the run.
 * The workflow history is the run's checkpoint: finished pages and batches are never repeated,
 * and each activity is idempotent about the one it was doing when a worker died.
 */
export async function contactSyncWorkflow(
  input: ContactSyncInput & { heartbeatTimeout?: Duration },
): Promise<ContactSyncResult> {
  const acts = activities(input.heartbeatTimeout ?? '30 seconds');
  const info = workflowInfo();
  const mode = input.mode ?? 'sync';
  const pageSize = input.pageSize ?? 100;
  const batchSize = input.batchSize ?? 50;
  const run: RunRef = {
    accountId: input.accountId,
    runKey: `${info.workflowId}/${info.firstExecutionRunId}`,
    workflowId: info.workflowId,
    runId: info.runId,
  };
  const progress: ContactSyncProgress = { phase: 'starting', ...emptyCounts(), received: 0, total: null };
  setHandler(contactSyncProgressQuery, () => progress);
  const counts = (): ContactSyncCounts => ({
    pushed: progress.pushed,
    linked: progress.linked,
    pulled: progress.pulled,
    failed: progress.failed,
    skipped: progress.skipped,
  });

  const begin = await acts.beginContactSync({ run, mode });
  if (begin.connection !== 'active') {
    progress.phase = 'not-connected';
    const message =
      begin.connection === 'needs_reconnect' ? 'the Xero connection needs reconnecting' : 'not connected to Xero';
    await acts.finishContactSync({ run, mode, status: 'not-connected', counts: counts(), error: message });
    return { status: 'not-connected', ...counts(), message };
  }

  try {
    progress.phase = 'pulling';
    let startedAt: string | null = null;
    for (let page = 1; ; page++) {
      const r = await acts.pullContactsPage({ run, mode, since: begin.since ?? undefined, page, pageSize });
      if (page === 1) startedAt = r.serverTime;
      progress.received += r.received;
      progress.pulled += r.reported;
      progress.total = r.itemCount;
      if (!r.more) break;
    }
    // Xero's clock at the first page (this run's start if Xero sent no Date: earlier is safe), less a margin.
    const start = startedAt ? Date.parse(startedAt) : workflowInfo().runStartTime.getTime();
    await acts.finishContactPull({
      accountId: input.accountId,
      watermark: new Date(start - WATERMARK_MARGIN_MS).toISOString(),
    });

    if (mode === 'sync') {
      progress.phase = 'pushing';
      for (let batchNo = 1; ; batchNo++) {
        const r = await acts.pushContactBatch({ run, batchNo, batchSize });
        progress.pushed += r.pushed;
        progress.linked += r.linked;
        progress.failed += r.failed;
        progress.skipped += r.skipped;
        if (r.done) break;
      }
      // Host items pending since the last push (src/items/): the schedule is their safety net when an
      // on-demand push could not run (not connected then, worker down). Runs started before this
      // code replay without it.
      if (patched(PUSH_ITEMS_PATCH)) {
        const items = itemActivities(input.heartbeatTimeout ?? '30 seconds');
        for (let batchNo = 1; ; batchNo++) {
          const r = await items.pushItemBatch({ run, batchKey: `${run.runKey}/items/${batchNo}`, batchSize });
          if (r.done) break;
        }
      }
    }

    progress.phase = 'reference-data';
    // Reference data is a convenience for hosts: a failure here (a scope not granted, say) is noted, not fatal.
    const kinds = [...REFERENCE_KINDS, ...(patched(CURRENCIES_PATCH) ? (['currencies'] as const) : [])];
    const refreshed = await Promise.allSettled(
      kinds.map((kind) => acts.refreshReferenceData({ accountId: input.accountId, kind })),
    );
    const refFailures = kinds.filter((_, i) => refreshed[i]!.status === 'rejected');
    const note = refFailures.length > 0 ? `reference data not refreshed: ${refFailures.join(', ')}` : undefined;

    progress.phase = 'done';
    await acts.finishContactSync({ run, mode, status: 'done', counts: counts() });
    return { status: 'done', ...counts(), ...(note ? { message: note } : {}) };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const notConnected = cause instanceof ApplicationFailure && cause.type === NOT_CONNECTED_FAILURE;
    const message = cause instanceof Error ? cause.message : String(cause);
    progress.phase = notConnected ? 'not-connected' : 'failed';
    await acts.finishContactSync({
      run,
      mode,
      status: notConnected ? 'not-connected' : 'failed',
      counts: counts(),
      error: message,
    });
    if (notConnected) return { status: 'not-connected', ...counts(), message };
    // Shown as a failed run in the Temporal UI; the schedule goes on (the next run resumes from the checkpoint).
    throw ApplicationFailure.nonRetryable(`contact sync failed: ${message}`, 'ContactSyncFailed');
  }
}
