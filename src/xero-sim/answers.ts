import { randomUUID } from 'node:crypto';
import { msDate } from './xero-dates';

/**
 * Everything an accounting handler answers, before it is written to the socket (so idempotency can
 * store it and drop-after-commit can throw it away), and the shapes of Xero's own error answers.
 */
export interface SimResponse {
  status: number;
  /** A JSON body (serialized once when sent). */
  json?: unknown;
  /** A text or binary body. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export const NOT_FOUND_TEXT = "The resource you're looking for cannot be found";

export function jsonAnswer(status: number, json: unknown, headers?: Record<string, string>): SimResponse {
  return { status, json, headers };
}

/** Xero's envelope around every accounting collection: Id, Status, ProviderName, DateTimeUTC. */
export function envelope(
  providerName: string,
  now: number,
  key: string,
  items: unknown[],
  extra?: Record<string, unknown>,
): SimResponse {
  return jsonAnswer(200, {
    Id: randomUUID(),
    Status: 'OK',
    ProviderName: providerName,
    DateTimeUTC: msDate(now).replace('+0000', ''),
    ...extra,
    [key]: items,
  });
}

/** 404 from the accounting API is plain text, not JSON (Xero-OpenAPI issue #163, "Wontfix"). */
export function notFound(): SimResponse {
  return { status: 404, raw: NOT_FOUND_TEXT, contentType: 'text/html; charset=utf-8' };
}

export interface ValidationElement {
  [field: string]: unknown;
  ValidationErrors: Array<{ Message: string }>;
}

export function validationException(
  elements: ValidationElement[],
  message = 'A validation exception occurred',
): SimResponse {
  return jsonAnswer(400, { ErrorNumber: 10, Type: 'ValidationException', Message: message, Elements: elements });
}

export function postDataInvalid(message: string): SimResponse {
  return jsonAnswer(400, { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: message });
}

export function queryParseException(message: string): SimResponse {
  return jsonAnswer(400, { ErrorNumber: 16, Type: 'QueryParseException', Message: message });
}

/**
 * Xero's answer when a query fails while it runs, e.g. a `where` method called on a field that is null
 * on some record (pyxero #181): a 500 that no retry cures.
 */
export function unknownError(): SimResponse {
  return jsonAnswer(500, {
    Type: 'UnknownErrorException',
    Message:
      'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status. Contact the API support team at api@xero.com for more assistance.',
  });
}

/** The RFC 7807-like body Xero's gateway gives for 401, 403, 429 and 5xx. */
export function problem(status: number, title: string, detail: string, headers?: Record<string, string>): SimResponse {
  return jsonAnswer(
    status,
    { Type: null, Title: title, Status: status, Detail: detail, Instance: randomUUID(), Extensions: {} },
    headers,
  );
}

export function serverError(status: 500 | 502 | 503 | 504): SimResponse {
  if (status === 503)
    return problem(503, 'Service Unavailable', 'The Xero API is temporarily unavailable. Please try again later.');
  return problem(
    status,
    'An error occurred',
    'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.',
  );
}

export function serializeBody(res: SimResponse): { body: Buffer; contentType: string } {
  if (res.json !== undefined)
    return {
      body: Buffer.from(JSON.stringify(res.json)),
      contentType: res.contentType ?? 'application/json; charset=utf-8',
    };
  if (res.raw !== undefined)
    return {
      body: typeof res.raw === 'string' ? Buffer.from(res.raw) : res.raw,
      contentType: res.contentType ?? 'text/plain; charset=utf-8',
    };
  return { body: Buffer.alloc(0), contentType: res.contentType ?? 'text/plain; charset=utf-8' };
}
