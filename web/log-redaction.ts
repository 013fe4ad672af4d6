import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../src/log';

/**
 * Request logging: one short line per request, without secrets in URLs (admin links carry `token`,
 * Xero's redirect carries `code` and `state`; their values are replaced before the line is written).
 */
const SECRET_QUERY_PARAMS = ['token', 'code', 'state'];

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_QUERY_PARAMS) {
    if (params.has(name)) {
      params.set(name, 'redacted');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** The path and query of a request as the client sent it (not as a router sees it), secrets redacted. */
function requestPath(req: IncomingMessage & { originalUrl?: string }): string {
  return redactUrl(req.originalUrl ?? req.url ?? '');
}

/**
 * One short line per request: `GET /admin/accounts/… 200 12ms` with `method`, `url`, `status` and
 * `ms` as fields; no headers, no bodies. Failures (5xx) are errors, refusals (4xx) and writes are
 * info, successful reads (pages, assets, the live pages' polling) are debug (LOG_LEVEL=debug shows them).
 */
export function requestLogger(logger: Logger, opts: { ignore?: (url: string) => boolean } = {}) {
  const fields = (req: IncomingMessage, res: ServerResponse, ms: number) => ({
    method: req.method,
    url: requestPath(req),
    status: res.statusCode,
    ms,
  });
  const line = (req: IncomingMessage, res: ServerResponse, ms: number) =>
    `${req.method} ${requestPath(req)} ${res.statusCode} ${ms}ms`;
  return pinoHttp({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    autoLogging: { ignore: (req) => opts.ignore?.(req.url ?? '') ?? false },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'info';
      return req.method === 'GET' || req.method === 'HEAD' ? 'debug' : 'info';
    },
    customSuccessObject: (req, res, val: { responseTime: number }) => fields(req, res, val.responseTime),
    customSuccessMessage: (req, res, ms) => line(req, res, ms),
    customErrorObject: (req, res, err, val: { responseTime: number }) => ({
      ...fields(req, res, val.responseTime),
      err,
    }),
    // pino-http passes the response time after the error (its types leave it out).
    customErrorMessage: (req, res, _err, ms?: number) => line(req, res, ms ?? 0),
  });
}
