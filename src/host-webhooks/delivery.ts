import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { Logger } from '../log';
import { OutboundRefusedError, outboundHttp } from '../net/outbound-http';
import { SIGNATURE_HEADER, signHostWebhook } from './signature';
import { webhookDeliveries } from '../metrics/engine';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface DeliveryOptions {
  db: Kysely<Database>;
  log: Logger;
  /** The host app's webhook URL and secret in clear, or undefined when it has none. */
  targetFor(hostAppId: string): Promise<WebhookTarget | undefined>;
  timeoutMs?: number;
  /** Deliver to loopback and private addresses too (OUTBOUND_ALLOW_PRIVATE_NETWORKS); default: refused. */
  allowPrivateNetworks?: boolean;
  /** Backoff after the n-th failure: base * 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Candidates per pass. */
  batchSize?: number;
}

export interface PassResult {
  delivered: number;
  failed: number;
}

export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

function refusedMessage(url: string, err: OutboundRefusedError): string {
  if (err.reason !== 'private_address') return `delivery refused: ${err.message}`;
  return `delivery refused: the webhook URL ${url} points at a private address (${err.address ?? 'unknown'}${err.range ? `, ${err.range}` : ''}); events are sent only to public addresses (OUTBOUND_ALLOW_PRIVATE_NETWORKS=true allows private ones)`;
}

/**
 * One delivery pass: for each ordering key, only its oldest undelivered event is a candidate, so a
 * failing event holds back the later ones of the same order (order is kept) but not other orders.
 * Each row is claimed (SKIP LOCKED, then a lease) before it is sent, so several workers can run
 * passes side by side.
 */
export async function deliverPending(opts: DeliveryOptions): Promise<PassResult> {
  const { db, log } = opts;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const baseMs = opts.backoffBaseMs ?? 1_000;
  const maxMs = opts.backoffMaxMs ?? 10 * 60_000;
  const http = outboundHttp({ allowPrivateNetworks: opts.allowPrivateNetworks === true });
  const heads = await db
    .selectFrom('webhook_outbox as o')
    .innerJoin('host_apps as h', 'h.id', 'o.host_app_id')
    .where('o.delivered_at', 'is', null)
    .where('h.webhook_url', 'is not', null)
    .distinctOn('o.ordering_key')
    .select(['o.id', 'o.host_app_id', 'o.next_attempt_at'])
    .orderBy('o.ordering_key')
    .orderBy('o.id')
    .limit(opts.batchSize ?? 100)
    .execute();
  const now = Date.now();
  const due = heads.filter((h) => h.next_attempt_at.getTime() <= now);

  const result: PassResult = { delivered: 0, failed: 0 };
  const targets = new Map<string, WebhookTarget | undefined>();
  for (const head of due) {
    // Looked up before the transaction: on PGlite (one connection) a query outside it would wait forever.
    if (!targets.has(head.host_app_id)) targets.set(head.host_app_id, await opts.targetFor(head.host_app_id));
    const target = targets.get(head.host_app_id);
    if (!target) continue;
    // Claim the row in a short transaction by moving its next attempt past the send's timeout (a
    // lease): no other worker takes it while it is in flight, and no connection is held during the
    // POST (PGlite has only one). A worker that dies mid-send lets the lease run out: at least once.
    const row = await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('id', '=', head.id)
        .where('delivered_at', 'is', null)
        .where('next_attempt_at', '<=', new Date())
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (claimed)
        await trx
          .updateTable('webhook_outbox')
          .set({ next_attempt_at: new Date(Date.now() + timeoutMs + 5_000) })
          .where('id', '=', claimed.id)
          .execute();
      return claimed;
    });
    if (!row) continue; // another worker has it, or it was just delivered
    const body = JSON.stringify(row.payload);
    const attempts = row.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      // Redirects are not followed: a signed event goes to the configured URL or nowhere.
      const res = await http.request(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'xero-sync-webhooks',
          [SIGNATURE_HEADER]: signHostWebhook(target.secret, body, Math.floor(Date.now() / 1000)),
          'x-xero-sync-event-id': row.event_id,
          'x-xero-sync-event-type': row.event_type,
        },
        body,
        timeoutMs,
        maxBytes: 0,
        maxRedirects: 0,
        readBody: false,
      });
      status = res.status;
      if (status < 200 || status >= 300) error = `host answered HTTP ${status}`;
    } catch (err) {
      error =
        err instanceof OutboundRefusedError
          ? refusedMessage(target.url, err)
          : `delivery failed: ${(err as Error).message}`;
    }
    if (error === null) {
      await db
        .updateTable('webhook_outbox')
        .set({
          attempts,
          delivered_at: sql<Date>`now()`,
          last_attempt_at: sql<Date>`now()`,
          last_status: status,
          last_error: null,
        })
        .where('id', '=', row.id)
        .execute();
      result.delivered += 1;
      webhookDeliveries.inc({ outcome: 'delivered' });
      log.info({ eventId: row.event_id, type: row.event_type, attempts }, 'host webhook delivered');
    } else {
      const delay = backoffMs(attempts, baseMs, maxMs);
      await db
        .updateTable('webhook_outbox')
        .set({
          attempts,
          last_attempt_at: sql<Date>`now()`,
          last_status: status,
          last_error: error,
          next_attempt_at: new Date(Date.now() + delay),
        })
        .where('id', '=', row.id)
        .execute();
      result.failed += 1;
      webhookDeliveries.inc({ outcome: 'failed' });
      log.warn(
        { eventId: row.event_id, type: row.event_type, attempts, status, error, retryInMs: delay },
        'host webhook delivery failed',
      );
    }
  }
  return result;
}

export interface DeliveryLoop {
  /** Run a pass soon (after an event was enqueued) instead of waiting for the interval. */
  kick(): void;
  stop(): Promise<void>;
}

/** Runs passes forever, every `intervalMs` or sooner when kicked; stops cleanly between passes. */
export function startDeliveryLoop(opts: DeliveryOptions & { intervalMs?: number }): DeliveryLoop {
  const intervalMs = opts.intervalMs ?? 1_000;
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const running = (async () => {
    while (!stopped) {
      try {
        await deliverPending(opts);
      } catch (err) {
        opts.log.error({ err }, 'host webhook delivery pass failed');
      }
      if (!stopped) await sleep();
    }
  })();
  return {
    kick: () => wake?.(),
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
