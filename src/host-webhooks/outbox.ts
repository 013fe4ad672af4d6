import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { hostEventSchema, type HostEvent, type HostEventType } from './events';

export interface NewHostEvent {
  hostAppId: string;
  /** Internal account id (for listing), and the host's own id (what the host sees). */
  accountId: string | null;
  hostAccountId: string;
  type: HostEventType;
  /** Events sharing a key are delivered in order, e.g. `order:<account>:<number>`. */
  orderingKey: string;
  data: Record<string, unknown>;
  occurredAt?: Date;
  /**
   * The business fact the event reports (e.g. `<workflow id>|payment.synced|<payment>|gen:<n>`): at
   * most one event per fact and host app, whatever commits it twice (an activity attempt that
   * outlived its timeout beside its retry), and its id is derived from the fact. Without one, every
   * call is a new event with a random id.
   */
  factKey?: string;
}

/**
 * The event id of a fact: a UUID (version 8, RFC 9562's custom layout) made of the SHA-256 of the
 * host app and the fact key. Every commit of the fact names the same event, so the id a host
 * dedupes by is the fact's, not the attempt's.
 */
export function factEventId(hostAppId: string, factKey: string): string {
  const b = createHash('sha256').update(`${hostAppId}\n${factKey}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Writes an event to the outbox, once per fact. Pass the transaction that changes the state the event
 * describes, so the event exists exactly when that state does. `enqueued` is false when the fact was
 * already in the outbox (the answer is then the event as first stored): the caller's step was
 * already recorded by another commit.
 */
export async function enqueueHostEventOnce(
  db: Kysely<Database>,
  event: NewHostEvent & { factKey: string },
): Promise<{ event: HostEvent; enqueued: boolean }> {
  return enqueue(db, event);
}

/** Writes an event to the outbox (see enqueueHostEventOnce; new callers should name the fact). */
export async function enqueueHostEvent(db: Kysely<Database>, event: NewHostEvent): Promise<HostEvent> {
  return (await enqueue(db, event)).event;
}

async function enqueue(db: Kysely<Database>, event: NewHostEvent): Promise<{ event: HostEvent; enqueued: boolean }> {
  const payload: HostEvent = {
    id: event.factKey === undefined ? randomUUID() : factEventId(event.hostAppId, event.factKey),
    type: event.type,
    accountId: event.hostAccountId,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    data: event.data,
  };
  // No conflict target: the fact's unique index and event_id's collide together (the id is derived
  // from the fact). A concurrent writer of the same fact makes this wait for its commit, then skip.
  const inserted = await db
    .insertInto('webhook_outbox')
    .values({
      event_id: payload.id,
      host_app_id: event.hostAppId,
      account_id: event.accountId,
      event_type: event.type,
      ordering_key: event.orderingKey,
      payload: JSON.stringify(payload),
      fact_key: event.factKey ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { event: payload, enqueued: true };
  const stored = await db
    .selectFrom('webhook_outbox')
    .select('payload')
    .where('event_id', '=', payload.id)
    .executeTakeFirst();
  return { event: stored ? hostEventSchema.parse(stored.payload) : payload, enqueued: false };
}
