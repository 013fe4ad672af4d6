import type { Transaction } from 'kysely';
import type { Db } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import type { HostEventType } from '../../src/host-webhooks/events';
import { enqueueHostEvent, enqueueHostEventOnce } from '../../src/host-webhooks/outbox';
import { parseDocumentRef } from '../../src/documents/kinds';
import { accountOf } from './context';
import { activityInfo, type Base } from './shared';
import { writeSyncLog, type LogEntry } from './sync-log';

/**
 * What the host hears about an order, written to the outbox in the transaction of the state it
 * describes. Each event names its business fact, so an attempt that commits beside its retry (a Xero
 * answer slower than the activity timeout) adds no second event, and the event id is the fact's.
 */

export const facts = {
  invoiceExported: (workflowId: string) => `${workflowId}|invoice.exported`,
  invoiceRevised: (workflowId: string, revision: number) => `${workflowId}|invoice.updated|rev:${revision}`,
  invoiceCancelled: (workflowId: string) => `${workflowId}|invoice.cancelled`,
  /** A generation is one application of the payment: deleted for a revision and re-applied is a new one. */
  paymentSynced: (workflowId: string, paymentId: string, generation: number) =>
    `${workflowId}|payment.synced|${paymentId}|gen:${generation}`,
  /**
   * What the workflow decided itself (a failure, a resolution): the workflow schedules each recording
   * once, so this scheduling of the activity is the fact. Undefined outside an activity.
   */
  scheduled(hostEvent: HostEventType): string | undefined {
    const info = activityInfo();
    return info ? `${info.workflowExecution?.runId ?? ''}|${info.activityId}|${hostEvent}` : undefined;
  },
};

/** Which document an event is about: `orderNumber` for orders (as always), else the kind and the host's id. */
function documentOf(ref: string): Record<string, string> {
  const { kind, hostId } = parseDocumentRef(ref);
  return kind === 'order' ? { orderNumber: hostId } : { kind, documentId: hostId };
}

/** Enqueues the event; false when its fact was already in the outbox (told by another commit). */
export async function tellHost(
  trx: Transaction<Database> | Db,
  base: Base,
  type: HostEventType,
  data: Record<string, unknown>,
  factKey: string | undefined,
): Promise<boolean> {
  // Inside the caller's transaction: PGlite has one connection, a second query outside would wait forever.
  const acct = await accountOf(base.accountId, trx);
  const event = {
    hostAppId: acct.host_app_id,
    accountId: acct.id,
    hostAccountId: acct.external_id,
    type,
    orderingKey: base.workflowId,
    data: { ...documentOf(base.orderNumber), ...data },
  };
  if (factKey === undefined) {
    await enqueueHostEvent(trx as Db, event);
    return true;
  }
  return (await enqueueHostEventOnce(trx as Db, { ...event, factKey })).enqueued;
}

/**
 * A step's outcome as one fact: the host event once, and the sync-log entry with it, so the log
 * does not show a step twice either when two attempts both got as far as committing.
 */
export async function recordFact(
  trx: Transaction<Database> | Db,
  base: Base,
  event: { type: HostEventType; data: Record<string, unknown>; factKey: string | undefined },
  entry: LogEntry,
): Promise<void> {
  if (await tellHost(trx, base, event.type, event.data, event.factKey)) await writeSyncLog(trx, base, entry);
}
