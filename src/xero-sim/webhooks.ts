import { createHmac, randomBytes } from 'node:crypto';
import type { EventCategory } from './api-context';
import type { WebhookOptions } from './options';

/**
 * Xero-style webhooks: events raised by writes are batched briefly, POSTed as
 * `{events, firstEventSequence, lastEventSequence, entropy}` and signed with `x-xero-signature`
 * (base64 HMAC-SHA256 of the raw body with the webhook key); failed deliveries are retried a few
 * times. The intent-to-receive check sends one correctly and one wrongly signed empty batch.
 */

export interface WebhookEvent {
  resourceUrl: string;
  resourceId: string;
  eventDateUtc: string;
  eventType: 'CREATE' | 'UPDATE';
  eventCategory: EventCategory;
  tenantId: string;
  tenantType: 'ORGANISATION';
}

export interface WebhookDelivery {
  at: string;
  attempt: number;
  eventCount: number;
  status?: number;
  error?: string;
  body: string;
}

export interface IntentCheckResult {
  ok: boolean;
  correctlySigned: { status?: number; error?: string; bodyLength: number; ms: number };
  incorrectlySigned: { status?: number; error?: string; bodyLength: number; ms: number };
}

export function signWebhook(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

export class WebhookSender {
  private queue: WebhookEvent[] = [];
  private timer?: NodeJS.Timeout;
  private sequence = 0;
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  readonly deliveries: WebhookDelivery[] = [];

  constructor(private config: WebhookOptions | undefined) {}

  configure(config: WebhookOptions | undefined): void {
    this.config = config;
  }

  current(): WebhookOptions | undefined {
    return this.config;
  }

  emit(event: WebhookEvent): void {
    if (!this.config || this.closed) return;
    this.queue.push(event);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sendQueued();
      }, this.config.batchMs);
      this.timer.unref();
    }
  }

  private sendQueued(): void {
    const config = this.config;
    const events = this.queue.splice(0);
    if (!config || events.length === 0) return;
    const first = this.sequence + 1;
    this.sequence += events.length;
    const body = JSON.stringify({
      events,
      firstEventSequence: first,
      lastEventSequence: this.sequence,
      entropy: randomBytes(10).toString('hex').toUpperCase(),
    });
    const p = this.deliver(config, body, events.length).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async deliver(config: WebhookOptions, body: string, eventCount: number): Promise<void> {
    for (let attempt = 1; attempt <= config.retries + 1; attempt++) {
      const record: WebhookDelivery = { at: new Date().toISOString(), attempt, eventCount, body };
      this.deliveries.push(record);
      try {
        const res = await fetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-xero-signature': signWebhook(body, config.key) },
          body,
          signal: AbortSignal.timeout(5000),
        });
        record.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) return;
      } catch (err) {
        record.error = (err as Error).message;
      }
      if (this.closed || attempt > config.retries) return;
      await new Promise((r) => setTimeout(r, config.retryDelayMs * attempt).unref());
    }
  }

  /** Sends what is queued now and waits for every delivery in progress. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.sendQueued();
    await Promise.all([...this.inFlight]);
  }

  async intentToReceive(): Promise<IntentCheckResult> {
    const config = this.config;
    if (!config) throw new Error('no webhook configured');
    const body = JSON.stringify({
      events: [],
      firstEventSequence: 0,
      lastEventSequence: 0,
      entropy: randomBytes(10).toString('hex').toUpperCase(),
    });
    const send = async (signature: string) => {
      const started = Date.now();
      try {
        const res = await fetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-xero-signature': signature },
          body,
          signal: AbortSignal.timeout(5000),
        });
        const text = await res.text();
        return { status: res.status, bodyLength: text.length, ms: Date.now() - started };
      } catch (err) {
        return { error: (err as Error).message, bodyLength: 0, ms: Date.now() - started };
      }
    };
    const correctlySigned = await send(signWebhook(body, config.key));
    const incorrectlySigned = await send(signWebhook(body, `${config.key}-wrong`));
    const ok =
      correctlySigned.status === 200 &&
      incorrectlySigned.status === 401 &&
      correctlySigned.ms < 5000 &&
      incorrectlySigned.ms < 5000;
    return { ok, correctlySigned, incorrectlySigned };
  }

  clear(): void {
    this.queue = [];
    this.deliveries.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clear();
    await Promise.all([...this.inFlight]);
  }
}
