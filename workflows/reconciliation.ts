import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { createXeroChangesActivities, ReconcilePageKind } from '../activities/xero-changes';
import {
  emptyReconciliationCounts,
  type ReconciliationInput,
  type ReconciliationResult,
} from '../src/xero-changes/shared';

/**
 * One reconciliation run of an account (scheduled, or "Reconcile now"): what Xero changed since the
 * last completed run began — invoices and bills, credit notes, payments — read page by page with
 * If-Modified-Since; the engine's documents among them are handed to their workflows as webhooks'
 * copies are, and invoices whose payments changed are read again by id. Each page is one
 * idempotent activity, so the history is the checkpoint.
 */

type Activities = ReturnType<typeof createXeroChangesActivities>;

const { beginReconciliation, finishReconciliation } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const { reconcilePage, reconcileInvoicesByIds } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  // A time budget, not a count: rate-limit and outage waits are attempts too (a few seconds each, so a
  // count runs out in a long outage); errors that will repeat are non-retryable failures already.
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Xero allows up to 1000 per page; 100 keeps one page's deliveries within a heartbeat's reach. */
const DEFAULT_PAGE_SIZE = 100;
const IDS_PER_READ = 50;

export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  const counts = emptyReconciliationCounts();
  const begun = await beginReconciliation({ accountId: input.accountId, trigger: input.trigger ?? 'manual' });
  if (begun.status !== 'started') return { runId: null, status: begun.status, counts };
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  const reread = new Set<string>();
  const seen = new Set<string>();
  let documents = 0;
  try {
    for (const kind of ['invoices', 'credit_notes', 'payments'] as ReconcilePageKind[]) {
      for (let page = 1; ; page++) {
        const r = await reconcilePage({ accountId: input.accountId, kind, since: begun.since, page, pageSize });
        counts.calls += r.calls;
        counts.delivered += r.delivered;
        documents += r.documents;
        if (kind === 'payments') counts.paymentsRead += r.read;
        else counts.documentsRead += r.read;
        for (const id of r.seenInvoiceIds) seen.add(id);
        for (const id of r.invoiceIds) reread.add(id);
        if (!r.more) break;
      }
    }
    const ids = [...reread].filter((id) => !seen.has(id));
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const r = await reconcileInvoicesByIds({ accountId: input.accountId, ids: ids.slice(i, i + IDS_PER_READ) });
      counts.calls += r.calls;
      counts.delivered += r.delivered;
      documents += r.documents;
    }
    counts.documents = documents;
    counts.rereadForPayments = ids.length;
  } catch (err) {
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    log.error('reconciliation failed', { accountId: input.accountId, error: message });
    await finishReconciliation({ runId: begun.runId, status: 'failed', counts: { ...counts, error: message } });
    throw ApplicationFailure.nonRetryable(`reconciliation failed: ${message}`, 'reconciliation_failed');
  }
  await finishReconciliation({ runId: begun.runId, status: 'completed', counts });
  return { runId: begun.runId, status: 'completed', counts };
}
