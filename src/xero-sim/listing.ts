import { type ApiContext, queryValue } from './api-context';
import { queryParseException, type SimResponse, unknownError } from './answers';
import { parseWhere, WhereEvaluationError, WhereParseError } from './where-filter';
import { whereModel } from './where-models';
import { parseTimestamp } from './xero-dates';

/**
 * The list half of every GET collection: `where` (checked against the collection's model: an unknown
 * field is a 400, a method on a null field a 500), `If-Modified-Since` (to the second), `order`, and
 * `page`/`pageSize` (100 by default, at most 1000) with Xero's `pagination` object.
 */

export interface Listed<T> {
  items: T[];
  paged: boolean;
  pagination?: { page: number; pageSize: number; pageCount: number; itemCount: number };
}

export function listRecords<T extends Record<string, unknown>>(
  ctx: ApiContext,
  rendered: Array<{ record: T; updatedAt: number }>,
  options: { pageable: boolean; /** The model `where` may name, e.g. `Invoice`. */ model: string },
): Listed<T> | SimResponse {
  let rows = rendered;
  const since = parseTimestamp(
    typeof ctx.headers['if-modified-since'] === 'string' ? ctx.headers['if-modified-since'] : undefined,
  );
  if (since !== undefined) {
    const sinceSecond = Math.floor(since / 1000);
    rows = rows.filter((r) => Math.floor(r.updatedAt / 1000) >= sinceSecond);
  }
  const where = queryValue(ctx, 'where');
  if (where && where.trim() !== '') {
    try {
      const predicate = parseWhere(where, whereModel(options.model));
      rows = rows.filter((r) => predicate(r.record));
    } catch (err) {
      if (err instanceof WhereParseError) return queryParseException(err.message);
      if (err instanceof WhereEvaluationError) return unknownError();
      throw err;
    }
  }
  const order = queryValue(ctx, 'order');
  if (order) {
    const [field = '', dir = 'ASC'] = order.trim().split(/\s+/);
    const sign = dir.toUpperCase() === 'DESC' ? -1 : 1;
    rows = [...rows].sort((a, b) => {
      const av = a.record[field];
      const bv = b.record[field];
      const as = typeof av === 'number' ? av : String(av ?? '').toLowerCase();
      const bs = typeof bv === 'number' ? bv : String(bv ?? '').toLowerCase();
      return as < bs ? -sign : as > bs ? sign : 0;
    });
  }
  const pageText = options.pageable ? queryValue(ctx, 'page') : undefined;
  if (pageText === undefined) return { items: rows.map((r) => r.record), paged: false };
  const page = Math.max(1, Number.parseInt(pageText, 10) || 1);
  const sizeText = queryValue(ctx, 'pageSize');
  const pageSize = Math.min(1000, Math.max(1, sizeText ? Number.parseInt(sizeText, 10) || 100 : 100));
  const itemCount = rows.length;
  return {
    items: rows.slice((page - 1) * pageSize, page * pageSize).map((r) => r.record),
    paged: true,
    pagination: { page, pageSize, pageCount: Math.ceil(itemCount / pageSize), itemCount },
  };
}

export function isListed<T>(value: Listed<T> | SimResponse): value is Listed<T> {
  return 'items' in value;
}

/**
 * A comma-separated list parameter (IDs, InvoiceNumbers, Statuses, ContactIDs), lower-cased. Split at
 * every comma, as Xero does: a value holding a comma cannot be asked for this way (`where` can).
 */
export function listParam(ctx: ApiContext, name: string): Set<string> | undefined {
  const value = queryValue(ctx, name);
  if (value === undefined || value.trim() === '') return undefined;
  return new Set(
    value
      .split(',')
      .map((s) => s.trim().replace(/^"|"$/g, '').toLowerCase())
      .filter(Boolean),
  );
}
