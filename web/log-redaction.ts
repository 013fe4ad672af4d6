/**
 * Request logging without secrets in URLs: admin links carry `token`, Xero's redirect carries `code`
 * and `state`. Their values are replaced before pino-http writes the line.
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

/** A pino-http `req` serializer: the standard fields, URL redacted, parsed query dropped. */
export function redactedRequest(req: { url?: string; query?: unknown }): object {
  const { query: _query, ...rest } = req as Record<string, unknown>;
  return Object.assign(Object.create(Object.getPrototypeOf(req) as object) as object, rest, {
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
  });
}

/** A pino-http `res` serializer: a redirect's Location (e.g. to Xero, carrying `state`) redacted the same way. */
export function redactedResponse(res: { headers?: Record<string, unknown> }): object {
  const location = res.headers?.location;
  if (typeof location !== 'string') return res;
  return Object.assign(Object.create(Object.getPrototypeOf(res) as object) as object, res, {
    headers: { ...res.headers, location: redactUrl(location) },
  });
}
