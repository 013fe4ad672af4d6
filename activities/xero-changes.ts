import { Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../src/db/database';
import { withFailureMapping } from '../src/orders/failures';
import { NotConnectedError } from '../src/xero/access';
import type { XeroDeps } from '../src/contact-sync/xero-contacts';
import { accountInfo } from '../src/contact-sync/runs';
import { applyContactChanges } from '../src/xero-changes/contact-changes';
import { deliverCopies, fillOtherPayments, readAndDeliver, type DeliverDeps } from '../src/xero-changes/deliver';
import { accountsForTenant, engineDocuments } from '../src/xero-changes/engine-documents';
import {
  countingXero,
  creditNotesChangedSince,
  invoicesChangedSince,
  paymentsChangedSince,
  type CountingXero,
} from '../src/xero-changes/read-xero';
import { beginRun, finishRun, type BeginResult } from '../src/xero-changes/reconciliation-runs';
import { deleteReconciliation, pauseReconciliation } from '../src/xero-changes/reconciliation-schedules';
import type {
  ReconciliationCounts,
  ReconciliationTrigger,
  XeroChangesBatch,
  XeroChangesBatchResult,
} from '../src/xero-changes/shared';
import { heartbeatingXero } from './heartbeating-xero';

export interface XeroChangesActivityDeps {
  db: Db;
  xero: XeroDeps;
  /** For the document workflows' events; the activity context's own client otherwise. */
  temporalClient?: Client;
}

export type ReconcilePageKind = 'invoices' | 'credit_notes' | 'payments';

export interface ReconcilePageInput {
  accountId: string;
  kind: ReconcilePageKind;
  since: string | null;
  page: number;
  pageSize: number;
}

export interface ReconcilePageResult {
  read: number;
  documents: number;
  delivered: number;
  calls: number;
  more: boolean;
  /** Invoices of the engine whose payments changed (payments pages): read again afterwards. */
  invoiceIds: string[];
  /** Invoices of the engine already read on this page (invoice pages), so they are not read twice. */
  seenInvoiceIds: string[];
}

/**
 * The intake's I/O: read what Xero changed (only the engine's documents, ≤ 50 per read) and hand
 * each copy to its document's workflow; record reconciliation runs. Errors go through the engine's
 * one mapping (429 waits, 5xx backoff, not connected / refusals non-retryable).
 */
export function createXeroChangesActivities(deps: XeroChangesActivityDeps) {
  const { db } = deps;
  const xero = heartbeatingXero(deps.xero);
  const deliverDeps = (): DeliverDeps => {
    const ctx = Context.current();
    return {
      db,
      temporalClient: deps.temporalClient ?? ctx.client,
      taskQueue: ctx.info.taskQueue,
      signal: ctx.cancellationSignal,
    };
  };
  // Deliveries wait for document workflows' answers: beat meanwhile, so a killed worker's batch moves on.
  const beating = async <T>(work: Promise<T>): Promise<T> => {
    const timer = setInterval(() => heartbeat(), 2_000);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  };

  return withFailureMapping({
    /** One batch of a tenant's webhook events (≤ 50 ids of one category), for every account connected to it. */
    async fetchXeroChanges(batch: XeroChangesBatch): Promise<XeroChangesBatchResult> {
      const result: XeroChangesBatchResult = { accounts: 0, documents: 0, delivered: 0, calls: 0 };
      const accounts = await accountsForTenant(db, batch.tenantId);
      for (const { accountId } of accounts) {
        const counter = countingXero(xero.call);
        try {
          if (batch.category === 'CONTACT') {
            const r = await applyContactChanges(db, counter, accountId, batch.resourceIds);
            result.documents += r.linked;
            result.delivered += r.reported;
          } else {
            const family = batch.category === 'INVOICE' ? 'invoice' : 'credit_note';
            const r = await beating(
              readAndDeliver(deliverDeps(), counter, accountId, family, batch.resourceIds, 'webhook'),
            );
            result.documents += r.documents;
            result.delivered += r.delivered;
          }
          result.accounts++;
        } catch (err) {
          // An account that lost its connection misses these changes; its reconciliation after reconnecting finds them.
          if (!(err instanceof NotConnectedError)) throw err;
          Context.current().log.warn('xero changes skipped: account not connected', { accountId, reason: err.reason });
        } finally {
          result.calls += counter.calls;
        }
      }
      return result;
    },

    async beginReconciliation(input: { accountId: string; trigger: ReconciliationTrigger }): Promise<BeginResult> {
      const client = deps.temporalClient ?? Context.current().client;
      if (!(await accountInfo(db, input.accountId))) {
        await deleteReconciliation(client, input.accountId).catch(() => undefined);
        return { status: 'not_connected' };
      }
      const begun = await beginRun(db, {
        ...input,
        workflowRunId: Context.current().info.workflowExecution?.runId ?? '',
      });
      // The schedule's safety net: no runs while the connection needs reconnecting (reconnect resumes it).
      if (begun.status === 'needs_reconnect' && input.trigger === 'schedule')
        await pauseReconciliation(client, input.accountId).catch(() => undefined);
      return begun;
    },

    /** One page of invoices, credit notes or payments changed since the run's start point. */
    async reconcilePage(input: ReconcilePageInput): Promise<ReconcilePageResult> {
      const counter = countingXero(xero.call);
      const since = input.since ? new Date(input.since) : undefined;
      const out: ReconcilePageResult = {
        read: 0,
        documents: 0,
        delivered: 0,
        calls: 0,
        more: false,
        invoiceIds: [],
        seenInvoiceIds: [],
      };
      if (input.kind === 'payments') {
        const page = await paymentsChangedSince(counter, input.accountId, since, input.page, input.pageSize);
        const invoiceIds = page.items.map((p) => p.invoiceId).filter((id): id is string => !!id);
        const ours = await engineDocuments(db, input.accountId, 'invoice', invoiceIds);
        Object.assign(out, {
          read: page.items.length,
          more: page.more,
          invoiceIds: [...ours.values()].map((d) => d.xeroId),
        });
      } else {
        const page =
          input.kind === 'invoices'
            ? await invoicesChangedSince(counter, input.accountId, since, input.page, input.pageSize)
            : await creditNotesChangedSince(counter, input.accountId, since, input.page, input.pageSize);
        const family = input.kind === 'invoices' ? 'invoice' : 'credit_note';
        const ours = await engineDocuments(
          db,
          input.accountId,
          family,
          page.items.map((c) => c.xeroId),
        );
        const copies = page.items.filter((c) => ours.has(c.xeroId.toLowerCase()));
        await fillOtherPayments(db, counter, input.accountId, copies);
        const r = await beating(deliverCopies(deliverDeps(), input.accountId, copies, 'reconciliation'));
        Object.assign(out, {
          read: page.items.length,
          more: page.more,
          documents: r.documents,
          delivered: r.delivered,
          seenInvoiceIds: family === 'invoice' ? copies.map((c) => c.xeroId) : [],
        });
      }
      out.calls = counter.calls;
      return out;
    },

    /** The engine's invoices whose payments changed, read again by id (≤ 50 per call) and delivered. */
    async reconcileInvoicesByIds(input: {
      accountId: string;
      ids: string[];
    }): Promise<{ documents: number; delivered: number; calls: number }> {
      const counter: CountingXero = countingXero(xero.call);
      const r = await beating(
        readAndDeliver(deliverDeps(), counter, input.accountId, 'invoice', input.ids, 'reconciliation'),
      );
      return { documents: r.documents, delivered: r.delivered, calls: counter.calls };
    },

    async finishReconciliation(input: {
      runId: string;
      status: 'completed' | 'failed';
      counts: ReconciliationCounts;
    }): Promise<void> {
      await finishRun(db, input);
    },
  });
}
