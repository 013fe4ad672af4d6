import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createXeroChangesActivities } from '../activities/xero-changes';
import {
  eventKey,
  XERO_EVENT_CATEGORIES,
  xeroChangesStatusQuery,
  xeroEventsSignal,
  type XeroChangeEvent,
  type XeroChangesInput,
  type XeroChangesStatus,
  type XeroEventCategory,
} from '../src/xero-changes/shared';

/**
 * One per Xero organisation (`xero-changes:{tenantId}`), fed by the webhook route's signalWithStart.
 * Changed ids wait a short debounce (Xero sends an edit's events in quick bursts, and the engine's
 * own writes raise them too) or until a read's worth (50) is queued, then one activity per ≤ 50
 * ids of a category reads them once for every account connected to the organisation. The queue
 * lives in the workflow: a worker restart loses nothing, and a signal sent while no worker runs is
 * processed when one starts.
 */

const { fetchXeroChanges } = proxyActivities<ReturnType<typeof createXeroChangesActivities>>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  // A batch that keeps failing is dropped after this budget: the account's reconciliation finds its changes.
  // A time budget, not a count: rate-limit and outage waits are attempts too (a few seconds each).
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const DEFAULT_DEBOUNCE_MS = 2_000;
const DEFAULT_BATCH = 50;
/** Dedupe keys kept: Xero retries a failed delivery for 24 hours, but a replay's reads are harmless anyway. */
const SEEN_LIMIT = 2_000;
/** An organisation idle this long ends its workflow; the next webhook starts it again. */
const IDLE_MS = 60 * 60_000;
const HISTORY_LIMIT = 5_000;

const emptyStatus = (): XeroChangesStatus => ({
  received: 0,
  duplicates: 0,
  pending: 0,
  batches: 0,
  failedBatches: 0,
  calls: 0,
  documents: 0,
  delivered: 0,
  lastBatches: [],
});

export async function xeroChangesWorkflow(input: XeroChangesInput): Promise<XeroChangesStatus> {
  const debounceMs = input.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const batchSize = Math.min(input.batchSize ?? DEFAULT_BATCH, DEFAULT_BATCH);
  const status = input.status ?? emptyStatus();
  const seen = new Set(input.seen ?? []);
  const seenOrder = [...seen];
  // Per category, the ids waiting (one entry per id) with the newest event that named each.
  const pending = new Map<XeroEventCategory, Map<string, XeroChangeEvent>>(
    XERO_EVENT_CATEGORIES.map((c) => [c, new Map()]),
  );
  const pendingCount = () => [...pending.values()].reduce((n, m) => n + m.size, 0);
  const fullBatch = () => [...pending.values()].some((m) => m.size >= batchSize);

  const take = (e: XeroChangeEvent) => {
    const key = eventKey(e);
    if (seen.has(key)) {
      status.duplicates++;
      return;
    }
    seen.add(key);
    seenOrder.push(key);
    if (seenOrder.length > SEEN_LIMIT) seen.delete(seenOrder.shift()!);
    pending.get(e.category)?.set(e.resourceId.toLowerCase(), e);
  };
  for (const e of input.pending ?? []) pending.get(e.category)?.set(e.resourceId.toLowerCase(), e);

  setHandler(xeroEventsSignal, ({ events }) => {
    for (const e of events) {
      status.received++;
      take(e);
    }
  });
  setHandler(xeroChangesStatusQuery, () => ({ ...status, pending: pendingCount() }));

  for (;;) {
    if (!(await condition(() => pendingCount() > 0, IDLE_MS))) {
      if (pendingCount() === 0 && allHandlersFinished()) return { ...status, pending: 0 };
      continue;
    }
    // Wait for company: more changes of the same burst share the read.
    await condition(fullBatch, debounceMs);
    for (const category of XERO_EVENT_CATEGORIES) {
      const queue = pending.get(category)!;
      while (queue.size > 0) {
        const ids = [...queue.keys()].slice(0, batchSize);
        for (const id of ids) queue.delete(id);
        try {
          const r = await fetchXeroChanges({ tenantId: input.tenantId, category, resourceIds: ids });
          status.batches++;
          status.calls += r.calls;
          status.documents += r.documents;
          status.delivered += r.delivered;
          status.lastBatches = [
            ...status.lastBatches.slice(-9),
            { category, ids: ids.length, calls: r.calls, documents: r.documents, delivered: r.delivered },
          ];
        } catch (err) {
          status.failedBatches++;
          log.error('xero changes batch dropped after retries', { category, ids: ids.length, error: String(err) });
        }
      }
    }
    const info = workflowInfo();
    if (
      (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? HISTORY_LIMIT)) &&
      allHandlersFinished()
    ) {
      await continueAsNew<typeof xeroChangesWorkflow>({
        tenantId: input.tenantId,
        ...(input.debounceMs !== undefined ? { debounceMs: input.debounceMs } : {}),
        ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}),
        ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
        pending: [...pending.values()].flatMap((m) => [...m.values()]),
        seen: seenOrder,
        status: { ...status, pending: 0 },
      });
    }
  }
}
