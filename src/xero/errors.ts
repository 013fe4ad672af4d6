import { z } from 'zod';

/**
 * xero-node rejects with a JSON *string* `{response:{statusCode, body, headers}, body}` (and network
 * failures as statusCode 0). This module turns that into one typed error and decides, once for the
 * whole engine, what is worth retrying and what is a business failure an admin must fix.
 */

export type XeroErrorKind =
  | 'validation' // 400 ValidationException: the document is wrong (an admin fixes setup or data)
  | 'bad_request' // other 400s
  | 'rate_limited' // 429: wait Retry-After, never a failure
  | 'unauthorized' // 401: token expired/revoked (refresh, or reconnect)
  | 'forbidden' // 403: tenant not connected / scope missing
  | 'not_found' // 404
  | 'server' // 5xx: Xero-side trouble, retry
  | 'network'; // no answer (connection reset, timeout, lost answer), retry

const validationBody = z.object({
  ErrorNumber: z.number().optional(),
  Type: z.string().optional(),
  Message: z.string().optional(),
  Elements: z
    .array(z.object({ ValidationErrors: z.array(z.object({ Message: z.string() })).optional() }).passthrough())
    .optional(),
});

const thrownShape = z.object({
  response: z.object({
    statusCode: z.number(),
    body: z.unknown(),
    headers: z.record(z.string(), z.unknown()).optional(),
  }),
});

export class XeroApiError extends Error {
  constructor(
    readonly kind: XeroErrorKind,
    readonly status: number,
    message: string,
    readonly validationMessages: string[] = [],
    readonly retryAfterSeconds?: number,
    readonly rateLimitProblem?: string,
  ) {
    super(message);
    this.name = 'XeroApiError';
  }

  /** Transient: the same call may succeed later without anyone changing anything. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server' || this.kind === 'network';
  }
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return value === undefined || value === null ? undefined : String(value);
}

/** Xero's own words for a validation failure, every element's messages, de-duplicated. */
export function validationMessagesOf(body: unknown): string[] {
  const parsed = validationBody.safeParse(body);
  if (!parsed.success) return [];
  const messages = (parsed.data.Elements ?? []).flatMap((e) => (e.ValidationErrors ?? []).map((v) => v.Message));
  if (messages.length === 0 && parsed.data.Message) messages.push(parsed.data.Message);
  return [...new Set(messages)];
}

function describe(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  const parsed = z
    .object({ Message: z.string().optional(), Detail: z.string().optional(), Title: z.string().optional() })
    .safeParse(body);
  return (parsed.success && (parsed.data.Detail ?? parsed.data.Message ?? parsed.data.Title)) || '';
}

/** Converts anything an xero-node call (or our own fetch to Xero) threw into an XeroApiError. */
export function toXeroApiError(thrown: unknown): XeroApiError {
  if (thrown instanceof XeroApiError) return thrown;
  let value: unknown = thrown;
  if (typeof thrown === 'string') {
    try {
      value = JSON.parse(thrown);
    } catch {
      return new XeroApiError('network', 0, thrown.slice(0, 300));
    }
  }
  const parsed = thrownShape.safeParse(value);
  if (!parsed.success) {
    const message = thrown instanceof Error ? thrown.message : 'unexpected error calling Xero';
    return new XeroApiError('network', 0, message);
  }
  const { statusCode: status, body, headers } = parsed.data.response;
  if (status === 0)
    return new XeroApiError('network', 0, `no answer from Xero: ${describe(body) || 'connection failed'}`);
  if (status === 429) {
    const retryAfter = Number(header(headers, 'retry-after'));
    const problem = header(headers, 'x-rate-limit-problem')?.toLowerCase();
    return new XeroApiError(
      'rate_limited',
      429,
      `Xero rate limit reached (${problem ?? 'unknown'})`,
      [],
      Number.isFinite(retryAfter) ? retryAfter : undefined,
      problem,
    );
  }
  if (status === 400) {
    const messages = validationMessagesOf(body);
    const isValidation = validationBody.safeParse(body).data?.Type === 'ValidationException';
    return new XeroApiError(
      isValidation ? 'validation' : 'bad_request',
      400,
      messages.join('; ') || describe(body) || 'Xero refused the request',
      messages,
    );
  }
  if (status === 401) {
    // A missing scope is also a 401, but refreshing the token cannot cure it: the admin must reconnect
    // granting the scope, so it is classed with 403 as an access problem, not a token problem.
    if (/insufficient_scope/i.test(header(headers, 'www-authenticate') ?? '')) {
      return new XeroApiError(
        'forbidden',
        401,
        'the Xero connection lacks a permission (scope) this needs: reconnect to grant it',
      );
    }
    return new XeroApiError('unauthorized', 401, 'Xero refused the access token');
  }
  if (status === 403)
    return new XeroApiError('forbidden', 403, describe(body) || 'Xero refused access to this organisation');
  if (status === 404) return new XeroApiError('not_found', 404, describe(body) || 'not found in Xero');
  if (status >= 500) return new XeroApiError('server', status, `Xero answered ${status}`);
  return new XeroApiError('bad_request', status, describe(body) || `Xero answered ${status}`);
}

/**
 * Xero's refusal of a document number already in use: a sales invoice's ("Invoice # must be unique.")
 * or a sales credit note's ("Credit Note # must be unique.").
 */
const DUPLICATE_NUMBER = /^(invoice|credit note) # must be unique\.?$/i;

/**
 * Whether Xero refused a create because its document number is taken. After a create whose answer
 * was lost, the number's holder may be the engine's own earlier write: the caller looks the number
 * up and adopts its own document instead of failing (or reports the conflicting one).
 */
export function isDuplicateNumberRefusal(err: unknown): err is XeroApiError {
  return (
    err instanceof XeroApiError &&
    err.kind === 'validation' &&
    err.validationMessages.some((m) => DUPLICATE_NUMBER.test(m.trim()))
  );
}

/** Runs one Xero call and rethrows failures as XeroApiError (never the raw thrown string). */
export async function callXero<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toXeroApiError(err);
  }
}
