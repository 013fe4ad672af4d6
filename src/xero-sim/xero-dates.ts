/**
 * Xero writes dates in the old WCF form `/Date(1539993600000+0000)/` with ISO companions and reads
 * `YYYY-MM-DD` (or the same /Date()/ form). Document dates are days: kept as UTC midnight in ms.
 */

const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function msDate(ms: number): string {
  return `/Date(${ms}+0000)/`;
}

/** `2018-10-20T00:00:00`, the DateString / DueDateString form (no zone, as Xero writes it). */
export function dayString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `2018-11-02T16:31:30Z`, the UpdatedDateUTCString form (seconds, zone Z). */
export function utcString(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}

/** A document date as sent by a client, as the UTC midnight of that day; undefined when unreadable. */
export function parseDocumentDate(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : startOfUtcDay(value.getTime());
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const ms = MS_DATE.exec(text);
  if (ms) return startOfUtcDay(Number(ms[1]));
  const iso = ISO_DAY.exec(text);
  if (!iso) return undefined;
  const [, y, m, d] = iso;
  const at = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const back = new Date(at);
  if (Number.isNaN(at) || back.getUTCDate() !== Number(d) || back.getUTCMonth() !== Number(m) - 1) return undefined;
  return at;
}

/** If-Modified-Since: ISO (zone optional, UTC assumed, as Xero does) or an HTTP date. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = MS_DATE.exec(text);
  if (ms) return Number(ms[1]);
  const iso = ISO_DAY.exec(text);
  if (iso) {
    const zoned = iso[7] ? text : `${text}${iso[4] ? '' : 'T00:00:00'}Z`;
    const at = Date.parse(zoned);
    return Number.isNaN(at) ? undefined : at;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** `04/09/2023 05:16:59`: the form Xero puts in "TokenExpired: token expired at …". */
export function usDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `2019-12-07T18:46:19.5165400`: the connections endpoint's own form (7 fractional digits, no zone). */
export function connectionDateString(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}0000`;
}

/** `31 Mar 2024`, as Xero names lock dates in its messages. */
export function humanDay(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}
