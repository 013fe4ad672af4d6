import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ItemActivities } from '../activities/items';
import type { RunRef } from '../src/contact-sync/runs';
import { itemsChangedSignal, type ItemPushInput, type ItemPushResult } from '../src/items/shared';

export function itemActivities(heartbeatTimeout: Duration = '30 seconds') {
  return proxyActivities<ItemActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    // A time budget, not a count: rate-limit and outage waits are attempts too (a few seconds each, so a
    // count runs out in a long outage); errors that will repeat are non-retryable failures already.
    scheduleToCloseTimeout: '2 hours',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
}

/**
 * The on-demand item push of one account (`items:{accountId}`), started or signalled by the items
 * API with signalWithStart. A dedicated small workflow rather than a triggered contact-sync run:
 * a contact-sync run pulls contacts, pushes contacts and refreshes reference data (7+ Xero calls)
 * and a trigger is skipped while one runs, so an item sent during a run's late phases would wait
 * hours. Here each "items changed" signal guarantees one more pass after it, and a pass costs one
 * read of Xero's items plus one write per batch. The scheduled contact-sync run pushes pending
 * items too (behind the `push-items` patch); both claim items per batch, so they never send the
 * same item together.
 */
export async function itemPushWorkflow(input: ItemPushInput): Promise<ItemPushResult> {
  const acts = itemActivities();
  const info = workflowInfo();
  const run: RunRef = {
    accountId: input.accountId,
    // Per run (not per chain): a continued run numbers its batches afresh.
    runKey: `${info.workflowId}/${info.runId}`,
    workflowId: info.workflowId,
    runId: info.runId,
  };
  // Started by signalWithStart, so the signal is normally here already; a plain start pushes once too.
  let changed = true;
  setHandler(itemsChangedSignal, () => {
    changed = true;
  });
  const totals: ItemPushResult = { pushed: 0, failed: 0, status: 'done' };
  let batchNo = 0;
  while (changed) {
    changed = false;
    for (;;) {
      const r = await acts.pushItemBatch({
        run,
        batchKey: `${run.runKey}/items/${++batchNo}`,
        batchSize: input.batchSize,
      });
      totals.pushed += r.pushed;
      totals.failed += r.failed;
      // Not connected: the items stay pending; the contact-sync schedule pushes them once connected.
      if (r.notConnected) return { ...totals, status: 'not-connected' };
      if (r.done) break;
    }
    if (changed && workflowInfo().continueAsNewSuggested) await continueAsNew<typeof itemPushWorkflow>(input);
  }
  return totals;
}
