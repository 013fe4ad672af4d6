import express, { type RequestHandler, type Response } from 'express';
import { unstorableTextProblem } from '../../src/domain/text';
import { sendApiError } from './errors';

/**
 * The one JSON parser of /api/v1, mounted before the routers (and before the Idempotency-Key check,
 * which hashes the body). With a parser per router, the first router mounted decided the limit for
 * every path after it: a 150 kB order met the accounts router's 100 kB parser first. Here the limit
 * is chosen from the path; a router's own `express.json()` then finds the request read and skips.
 *
 * The parsed body is also checked for text that cannot be stored anywhere downstream (NUL, unpaired
 * surrogates): refused here with the field named, instead of a 500 or a sync retried forever.
 */

const KB = 1024;
const MB = 1024 * KB;

export interface BodyLimit {
  /** Matched against the path below /api/v1. */
  pattern: RegExp;
  bytes: number;
  /** How the 413 answer names it. */
  label: string;
}

export const DEFAULT_BODY_LIMIT: BodyLimit = { pattern: /^/, bytes: 100 * KB, label: '100 kB' };

/** Routes whose documents are big by nature; first match wins, everything else gets DEFAULT_BODY_LIMIT. */
export const BODY_LIMITS: readonly BodyLimit[] = [
  // An order carries up to 500 lines of up to 4,000 characters.
  { pattern: /^\/accounts\/[^/]+\/orders(?:\/|$)/i, bytes: 2 * MB, label: '2 MB' },
  // Bills and credit notes carry lines like orders.
  { pattern: /^\/accounts\/[^/]+\/(?:bills|credit-notes)(?:\/|$)/i, bytes: 2 * MB, label: '2 MB' },
  // Up to 500 contacts per request.
  { pattern: /^\/accounts\/[^/]+\/contacts\/bulk\/?$/i, bytes: 2 * MB, label: '2 MB' },
  // Up to 500 items per request (PUT …/items, the bulk form).
  { pattern: /^\/accounts\/[^/]+\/items\/?$/i, bytes: 2 * MB, label: '2 MB' },
  // Up to 5,000 documents in one export.
  { pattern: /^\/accounts\/[^/]+\/exports\/?$/i, bytes: 25 * MB, label: '25 MB' },
  // A URL and a secret: no reason to read more.
  { pattern: /^\/webhook\/?$/i, bytes: 10 * KB, label: '10 kB' },
];

export function bodyLimitFor(path: string): BodyLimit {
  return BODY_LIMITS.find((l) => l.pattern.test(path)) ?? DEFAULT_BODY_LIMIT;
}

/** Deeper than any document the API takes; bounds the walks below and the idempotency hash. */
export const MAX_BODY_DEPTH = 64;
/** Enough offenders to show the pattern without echoing a whole body. */
const MAX_REPORTED = 5;

export interface BodyProblems {
  fields: Record<string, string>;
  message: string;
}

/**
 * Every string and object key of a parsed JSON body, walked without recursion (a body may be nested
 * far deeper than the call stack): the JSON paths (`order.customer.name`, `order.lines.0.description`)
 * of the first few that cannot be stored, or of where the body is nested too deeply.
 */
export function findBodyProblems(body: unknown): BodyProblems | undefined {
  const fields: Record<string, string> = {};
  let found = 0;
  const note = (path: string, problem: string) => {
    fields[path || '(body)'] ??= problem;
    found++;
  };
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  while (stack.length > 0 && found < MAX_REPORTED) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableTextProblem(value);
      if (problem) note(path, problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      return {
        fields: { [path || '(body)']: `nested more than ${MAX_BODY_DEPTH} levels deep` },
        message: `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`,
      };
    }
    const entries: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [String(i), v])
      : Object.entries(value as Record<string, unknown>);
    const children: typeof stack = [];
    for (const [key, child] of entries) {
      const childPath = path ? `${path}.${key}` : key;
      const keyProblem = Array.isArray(value) ? undefined : unstorableTextProblem(key);
      // The key itself is the offender: shown escaped, since it cannot be shown as it is.
      if (keyProblem) note(path ? `${path}.${escapeKey(key)}` : escapeKey(key), `field names ${keyProblem}`);
      else children.push({ value: child, path: childPath, depth: depth + 1 });
    }
    // Reversed so the stack pops them in document order: the first offenders reported are the first in the body.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  if (found === 0) return undefined;
  return { fields, message: 'The request body contains characters that cannot be stored; nothing was done.' };
}

function escapeKey(key: string): string {
  return JSON.stringify(key).slice(1, -1);
}

interface ParserError {
  type?: string;
  status?: number;
}

function answerParserError(err: ParserError, limit: BodyLimit, res: Response): boolean {
  switch (err.type) {
    case 'entity.too.large':
      sendApiError(
        res,
        413,
        'too_large',
        `The request body is larger than ${limit.label} (${limit.bytes.toLocaleString('en')} bytes), the limit for this route.`,
      );
      return true;
    case 'entity.parse.failed':
      sendApiError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
      return true;
    case 'charset.unsupported':
    case 'encoding.unsupported':
      sendApiError(res, 415, 'unsupported_encoding', 'Send the body as UTF-8 JSON (gzip, deflate or br allowed).');
      return true;
    case 'request.aborted':
    case 'request.size.invalid':
      sendApiError(res, 400, 'invalid_body', 'The request body was cut short or its Content-Length is wrong.');
      return true;
    default:
      return false;
  }
}

export function apiJsonBody(): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  for (const { bytes } of [...BODY_LIMITS, DEFAULT_BODY_LIMIT])
    if (!parsers.has(bytes)) parsers.set(bytes, express.json({ limit: bytes }));
  return (req, res, next) => {
    const limit = bodyLimitFor(req.path);
    parsers.get(limit.bytes)!(req, res, (err?: unknown) => {
      if (err) {
        if (!answerParserError(err as ParserError, limit, res)) next(err);
        return;
      }
      const problems = req.body === undefined ? undefined : findBodyProblems(req.body);
      if (problems) return sendApiError(res, 400, 'invalid_request', problems.message, problems.fields);
      next();
    });
  };
}
