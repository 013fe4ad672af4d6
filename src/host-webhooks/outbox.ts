import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { HostEvent, HostEventType } from './events';

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
}

/**
 * Writes an event to the outbox. Pass the transaction that changes the state the event describes,
 * so the event exists exactly when that state does.
 */
export async function enqueueHostEvent(db: Kysely<Database>, event: NewHostEvent): Promise<HostEvent> {
  const payload: HostEvent = {
    id: randomUUID(),
    type: event.type,
    accountId: event.hostAccountId,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    data: event.data,
  };
  await db
    .insertInto('webhook_outbox')
    .values({
      event_id: payload.id,
      host_app_id: event.hostAppId,
      account_id: event.accountId,
      event_type: event.type,
      ordering_key: event.orderingKey,
      payload: JSON.stringify(payload),
    })
    .execute();
  return payload;
}
