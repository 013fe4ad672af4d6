import { Counter, Histogram } from 'prom-client';
import { AccountingApi } from 'xero-node';
import { registry } from './registry';

/**
 * The engine's own counters. Label values come from small closed sets (endpoint templates,
 * status codes, reasons, document kinds): never an id, a tenant or an account, so the number of
 * series stays bounded however many organisations are connected.
 */

export const xeroRequests = new Counter({
  name: 'xero_sync_xero_requests_total',
  help: 'Xero accounting API requests, by endpoint template, HTTP method and status (0: no answer).',
  labelNames: ['endpoint', 'method', 'status'] as const,
  registers: [registry],
});

export const xeroRequestDuration = new Histogram({
  name: 'xero_sync_xero_request_duration_seconds',
  help: 'Time from sending a Xero accounting API request to its answer (rate-limiter waits excluded).',
  labelNames: ['endpoint', 'method'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const xeroRateLimited = new Counter({
  name: 'xero_sync_xero_rate_limited_total',
  help: "Xero 429 answers, by Xero's X-Rate-Limit-Problem (minute, day, concurrent, appminute, unknown).",
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const limiterWaits = new Counter({
  name: 'xero_sync_rate_limiter_waits_total',
  help: 'Permit requests the shared rate limiter made wait, by the limit that held them (minute, day, concurrent, blocked = after a 429; app_minute, app_blocked = for the whole app; unavailable = Xero not answering the organisation, another call probing) and whether the wait was slept in-process (waited) or handed to Temporal as a retry delay (deferred).',
  labelNames: ['reason', 'outcome'] as const,
  registers: [registry],
});

export const limiterChecks = new Counter({
  name: 'xero_sync_rate_limiter_checks_total',
  help: 'Times the rate limiter asked the database for a permit (granted or not): under a backlog, how many checks each granted permit cost.',
  registers: [registry],
});

export const limiterWaitSeconds = new Counter({
  name: 'xero_sync_rate_limiter_wait_seconds_total',
  help: 'Time spent sleeping in-process for a rate-limiter permit, by reason.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const documentSyncs = new Counter({
  name: 'xero_sync_document_syncs_total',
  help: 'Sync log entries written by document workflows: document kind (order, bill, credit_note, deal), what was synced (invoice, payment, contact, attachment, credit_note, …) and outcome (success, failure, skipped).',
  labelNames: ['document_kind', 'record', 'outcome'] as const,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'xero_sync_host_webhook_deliveries_total',
  help: 'Host webhook delivery attempts, by outcome (delivered, failed).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const RATE_LIMIT_REASONS = new Set(['minute', 'day', 'concurrent', 'appminute']);

export function rateLimitReason(problem: string | undefined): string {
  const p = problem?.toLowerCase();
  return p && RATE_LIMIT_REASONS.has(p) ? p : 'unknown';
}

const KNOWN_DOCUMENT_KINDS = new Set(['order', 'bill', 'credit_note', 'deal']);
const KNOWN_RECORDS = /^[a-z_]{1,32}$/;

export function countDocumentSync(documentKind: string, record: string, outcome: string): void {
  documentSyncs.inc({
    document_kind: KNOWN_DOCUMENT_KINDS.has(documentKind) ? documentKind : 'other',
    record: KNOWN_RECORDS.test(record) ? record : 'other',
    outcome,
  });
}

export interface XeroEndpoint {
  endpoint: string;
  method: string;
}

/**
 * xero-node builds each request from a path template in the method's own source
 * (`this.basePath + '/Invoices/{InvoiceID}'` … `method: 'GET'`): read once per method name, it
 * names the endpoint exactly as Xero's documentation does, ids left as placeholders.
 */
const endpoints = new Map<string, XeroEndpoint>();

export function xeroEndpointOf(methodName: string): XeroEndpoint {
  const known = endpoints.get(methodName);
  if (known) return known;
  let found: XeroEndpoint = { endpoint: methodName, method: 'UNKNOWN' };
  const fn = (AccountingApi.prototype as unknown as Record<string, unknown>)[methodName];
  if (typeof fn === 'function') {
    const source = Function.prototype.toString.call(fn);
    const path = /this\.basePath \+ '([^']+)'/.exec(source)?.[1];
    const method = /method: '([A-Z]+)'/.exec(source)?.[1];
    if (path && method) found = { endpoint: path, method };
  }
  endpoints.set(methodName, found);
  return found;
}

/**
 * The AccountingApi handed to one gateway call, noting which method the call used so the
 * request can be counted under its endpoint; the API object itself is untouched.
 */
export function recordingApi<A extends object>(api: A, onMethod: (name: string) => void): A {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        onMethod(prop);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** One answered (or unanswered: status 0) Xero call. */
export function countXeroCall(methodName: string, status: number, startedAt: number, rateLimitProblem?: string): void {
  const { endpoint, method } = xeroEndpointOf(methodName);
  xeroRequests.inc({ endpoint, method, status: String(status) });
  xeroRequestDuration.observe({ endpoint, method }, (performance.now() - startedAt) / 1000);
  if (status === 429) xeroRateLimited.inc({ reason: rateLimitReason(rateLimitProblem) });
}
