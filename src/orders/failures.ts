import { ApplicationFailure } from '@temporalio/common';
import { NotConnectedError } from '../xero/access';
import { XeroApiError } from '../xero/errors';
import { RateLimitWaitError } from '../xero/rate-limiter';

/**
 * How activity errors reach Temporal. Business failures (Xero refused the document, setup is
 * missing, the account is not connected) are non-retryable ApplicationFailures whose `type` is the
 * SyncErrorKind: the workflow records them and waits for a retry or a fixing revision. Transient
 * trouble is retried by Temporal with backoff; a 429 or our own limiter's long wait retries after
 * exactly the wait (nextRetryDelay), so it never shows as a failure.
 */

export type SyncErrorKind =
  | 'validation'
  | 'missing_setup'
  | 'not_connected'
  | 'xero_rejected'
  | 'not_found'
  | 'forbidden'
  | 'payments_allocated'
  | 'pdf_unavailable';

export function businessFailure(
  kind: SyncErrorKind,
  message: string,
  details: Record<string, unknown> = {},
): ApplicationFailure {
  return ApplicationFailure.create({ type: kind, message, nonRetryable: true, details: [{ kind, ...details }] });
}

/** Any error thrown while syncing → what Temporal should do with it. */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof NotConnectedError) return businessFailure('not_connected', err.message, { reason: err.reason });
  if (err instanceof RateLimitWaitError) {
    return ApplicationFailure.create({ type: 'RateLimitWait', message: err.message, nextRetryDelay: err.waitMs });
  }
  if (err instanceof XeroApiError) {
    switch (err.kind) {
      case 'rate_limited':
        return ApplicationFailure.create({
          type: 'XeroRateLimited',
          message: err.message,
          nextRetryDelay: Math.max(1, err.retryAfterSeconds ?? 1) * 1000,
        });
      case 'server':
      case 'network':
        return ApplicationFailure.create({ type: 'XeroUnavailable', message: err.message });
      case 'validation':
        return businessFailure('validation', err.message, { messages: err.validationMessages, status: err.status });
      case 'bad_request':
        return businessFailure('xero_rejected', err.message, { status: err.status });
      case 'unauthorized':
        return businessFailure(
          'not_connected',
          'Xero refused the access token even after a refresh: reconnect to Xero',
          { status: err.status },
        );
      case 'forbidden':
        return businessFailure('forbidden', err.message, { status: err.status });
      case 'not_found':
        return businessFailure('not_found', err.message, { status: err.status });
    }
  }
  return err;
}

/** Wraps every activity of an object so its errors go through toActivityFailure. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return out as T;
}
