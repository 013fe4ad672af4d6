import { ApplicationFailure } from '@temporalio/common';
import { NotConnectedError } from '../xero/access';
import { XeroApiError } from '../xero/errors';
import { XERO_UNAVAILABLE_RETRY_MS } from '../xero/outage';
import { RateLimitWaitError } from '../xero/rate-limiter';

/**
 * How activity errors reach Temporal. Business failures (Xero refused the document, setup is
 * missing, the account is not connected) are non-retryable ApplicationFailures whose `type` is the
 * SyncErrorKind: the workflow records them and waits for a retry or a fixing revision. Transient
 * trouble is retried by Temporal with backoff; a 429 or our own limiter's long wait retries after
 * exactly the wait (nextRetryDelay), so it never shows as a failure; a Xero 5xx or lost answer retries
 * after a fixed second (the limiter's outage probes pace the rest).
 */

export type SyncErrorKind =
  | 'validation'
  | 'missing_setup'
  | 'not_connected'
  | 'xero_rejected'
  | 'not_found'
  | 'forbidden'
  | 'payments_allocated'
  | 'pdf_unavailable'
  /** The order's invoice number is held by an invoice in Xero that is not this order's. */
  | 'number_taken'
  /** The host's total (or tax total) is not the one Xero would compute, and Setup holds such documents. */
  | 'total_mismatch'
  /** The database refused to store what the host sent (and would every time): a data or constraint error. */
  | 'invalid_data'
  /** An accountant changed the document in Xero and Setup holds the host's revision (xeroChangeWins 'hold'). */
  | 'changed_in_xero'
  /** The document was voided or deleted in Xero and Setup fails the host's next change (voidedInXero 'fail'). */
  | 'voided_in_xero'
  /** A host payment would overpay a document that payments recorded in Xero already (partly) paid. */
  | 'paid_in_xero';

export function businessFailure(
  kind: SyncErrorKind,
  message: string,
  details: Record<string, unknown> = {},
): ApplicationFailure {
  return ApplicationFailure.create({ type: kind, message, nonRetryable: true, details: [{ kind, ...details }] });
}

/** A PostgreSQL (or PGlite: the same fields) error, found by its SQLSTATE rather than its class. */
interface DbServerError {
  code: string;
  severity?: string;
  message: string;
  table?: string;
  column?: string;
  constraint?: string;
  dataType?: string;
}

function databaseErrorIn(err: unknown): DbServerError | undefined {
  // Wrapped errors keep the driver's error as their cause; a few levels are plenty.
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const c = e as Partial<DbServerError>;
    // `severity` tells a server error apart from Node's own codes (EPIPE is five characters too).
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code) && typeof c.severity === 'string')
      return c as DbServerError;
  }
  return undefined;
}

/**
 * SQLSTATE classes that fail the same way on every attempt. 54 (program limit exceeded: a value too
 * large for an index, say) repeats as surely as 22 and 23, so it stops too.
 */
const REPEATING_CLASSES = new Set(['22', '23', '42', '54']);
/**
 * Classes that pass: a lost or restarted server (08, 57P01 admin shutdown), exhausted resources (53),
 * a serialization failure or deadlock (40). The next attempt runs on a fresh connection.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57']);

/** What could not be stored, in plain words; never the value itself (it may be a customer's data). */
function whatWasRefused(e: DbServerError): string {
  const where = [e.table && `table ${e.table}`, e.column && `column ${e.column}`].filter(Boolean).join(', ');
  const at = where ? ` (${where})` : '';
  const constraint = e.constraint ? ` (${e.constraint})` : '';
  switch (e.code) {
    case '22021': // invalid byte sequence: a NUL in text
    case '22P05': // unsupported Unicode escape: \u0000 in JSON
      return `a text value contains a NUL character (U+0000), which the database cannot store${at}`;
    case '22001':
      return `a text value is longer than the database allows${at}`;
    case '22003':
      return `a number is too large or too precise for the database${at}`;
    case '22007':
    case '22008':
      return `a date or time is not valid or out of range${at}`;
    case '23502':
      return `a required value is missing${at}`;
    case '23505':
      return `a record with the same key already exists${constraint}`;
    case '23503':
      return `a value refers to a record that does not exist${constraint}`;
    case '23514':
      return `a value breaks a rule of the database${constraint}`;
  }
  const kind = e.code.slice(0, 2);
  if (kind === '22') return `a value is not valid for the database${at}`;
  if (kind === '23') return `a value breaks a rule of the database${constraint || at}`;
  if (kind === '54') return `a value is too large for the database${at}`;
  return "the engine's database does not match this version of the engine (a query it cannot run)";
}

function databaseFailure(e: DbServerError, activity: string | undefined): ApplicationFailure | undefined {
  const cls = e.code.slice(0, 2);
  if (REPEATING_CLASSES.has(cls)) {
    const step = activity ? ` during ${activity}` : '';
    return businessFailure('invalid_data', `The database refused to store the data${step}: ${whatWasRefused(e)}`, {
      sqlstate: e.code,
      ...(e.table ? { table: e.table } : {}),
      ...(e.column ? { column: e.column } : {}),
      ...(e.constraint ? { constraint: e.constraint } : {}),
    });
  }
  if (TRANSIENT_CLASSES.has(cls)) {
    return ApplicationFailure.create({
      type: 'DatabaseUnavailable',
      message: `database unavailable (${e.code}): ${e.message}`,
      details: [{ sqlstate: e.code }],
    });
  }
  return undefined;
}

/**
 * Any error thrown while syncing → what Temporal should do with it. `activity` names the step in a
 * database failure's message, so the admin sees what could not be stored.
 */
export function toActivityFailure(err: unknown, activity?: string): unknown {
  if (err instanceof ApplicationFailure) return err;
  const dbError = databaseErrorIn(err);
  if (dbError) return databaseFailure(dbError, activity) ?? err;
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
        // A fixed short delay, not the activity's growing back-off: rate-limit waits count as attempts
        // too, and after a long outage the back-off would have grown to minutes. The limiter paces an
        // outage (one probe at a time, see src/xero/outage.ts) and hands the others their wait.
        return ApplicationFailure.create({
          type: 'XeroUnavailable',
          message: err.message,
          nextRetryDelay: XERO_UNAVAILABLE_RETRY_MS,
        });
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
        throw toActivityFailure(err, name);
      }
    };
  }
  return out as T;
}
