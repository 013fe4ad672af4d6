import type { Client } from '@temporalio/client';
import { createOrderSyncClient } from '../client';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import { exportPriority, livePriority } from '../temporal/priorities';
import type { DriftSource, XeroDocumentCopy } from './contract';
import { engineDocuments, enginePaymentIds } from './engine-documents';
import { creditNotesByIds, fillPaymentAccounts, invoicesByIds, type CountingXero } from './read-xero';

/**
 * Hands Xero's copies of the engine's documents to their own workflows (`xero_changed`), where the
 * document side compares them with what the engine last wrote. The same copy twice is one event:
 * its update id is the Xero id and version, so a retried batch or a webhook replay is answered
 * from the first delivery, and a reconciliation finding what a webhook already brought is too.
 */

export interface DeliverDeps {
  db: Db;
  temporalClient: Client;
  taskQueue: string;
  log?: Logger;
  /** The activity's cancellation: a worker shutting down stops waiting for the documents' answers. */
  signal?: AbortSignal;
}

/** Deliveries in flight at once: each waits for the document workflow's answer. */
const CONCURRENCY = 10;

export interface DeliveryResult {
  documents: number;
  delivered: number;
  /** Each document's answer, for tests and the run record: `applied` or the workflow's reason. */
  answers: Array<{ xeroId: string; workflowId: string; answer: string }>;
}

export async function deliverCopies(
  deps: DeliverDeps,
  accountId: string,
  copies: XeroDocumentCopy[],
  via: DriftSource,
): Promise<DeliveryResult> {
  const result: DeliveryResult = { documents: 0, delivered: 0, answers: [] };
  if (copies.length === 0) return result;
  const families = { invoice: [] as XeroDocumentCopy[], credit_note: [] as XeroDocumentCopy[] };
  for (const c of copies) families[c.family].push(c);
  const sync = createOrderSyncClient(deps.temporalClient, { taskQueue: deps.taskQueue });
  const work: Array<() => Promise<void>> = [];
  for (const family of ['invoice', 'credit_note'] as const) {
    const docs = await engineDocuments(
      deps.db,
      accountId,
      family,
      families[family].map((c) => c.xeroId),
    );
    for (const copy of families[family]) {
      const doc = docs.get(copy.xeroId.toLowerCase());
      if (!doc) continue;
      result.documents++;
      work.push(async () => {
        const send = () =>
          sync.sendXeroEvent(
            doc.kind,
            accountId,
            doc.hostId,
            { type: 'xero_changed', copy, via },
            {
              eventId: `xero-changed:${copy.xeroId}:${copy.updatedDateUtc}:${copy.status}`,
              priority: via === 'webhook' ? livePriority(accountId) : exportPriority(accountId),
            },
          );
        deps.signal?.throwIfAborted();
        const answer = await send();
        result.delivered++;
        result.answers.push({
          xeroId: copy.xeroId,
          workflowId: answer.workflowId,
          answer: answer.applied ? 'applied' : (answer.reason ?? 'not_applied'),
        });
      });
    }
  }
  const failures: unknown[] = [];
  const all = async () => {
    for (let i = 0; i < work.length; i += CONCURRENCY)
      for (const r of await Promise.allSettled(work.slice(i, i + CONCURRENCY).map((w) => w())))
        if (r.status === 'rejected') failures.push(r.reason);
  };
  // The answers come from document workflows, which a worker shutting down no longer runs: stop waiting then.
  if (deps.signal) await deps.temporalClient.withAbortSignal(deps.signal, all);
  else await all();
  if (failures.length > 0) {
    deps.log?.warn({ accountId, failed: failures.length, err: failures[0] }, 'xero changes not delivered');
    // The batch is retried: the copies delivered already are answered again from their first delivery.
    throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
  }
  return result;
}

/**
 * Reads the engine's documents among these ids (the others are not read at all) and delivers them:
 * ceil(n/50) reads per family, plus one payments read per 50 payments the engine did not write.
 */
export async function readAndDeliver(
  deps: DeliverDeps,
  xero: CountingXero,
  accountId: string,
  family: 'invoice' | 'credit_note',
  xeroIds: string[],
  via: DriftSource,
): Promise<DeliveryResult> {
  const ours = await engineDocuments(deps.db, accountId, family, xeroIds);
  if (ours.size === 0) return { documents: 0, delivered: 0, answers: [] };
  const ids = [...ours.values()].map((d) => d.xeroId);
  const copies =
    family === 'invoice' ? await invoicesByIds(xero, accountId, ids) : await creditNotesByIds(xero, accountId, ids);
  await fillOtherPayments(deps.db, xero, accountId, copies);
  return deliverCopies(deps, accountId, copies, via);
}

export async function fillOtherPayments(
  db: Db,
  xero: CountingXero,
  accountId: string,
  copies: XeroDocumentCopy[],
): Promise<void> {
  const paymentIds = copies.flatMap((c) => c.payments.map((p) => p.paymentId));
  const ours = await enginePaymentIds(db, accountId, paymentIds);
  await fillPaymentAccounts(xero, accountId, copies, ours);
}
