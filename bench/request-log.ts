import { orderPdfFileName } from '../src/domain/invoice-mapping';
import type { RequestLogEntry } from '../src/xero-sim/store';

/** Reading the simulator's request log (pure: test/bench-table.test.ts). */

/** Requests grouped as "METHOD /Resource[/{id}|/…/Sub]" with ids taken out, most first. */
export function callBreakdown(calls: readonly RequestLogEntry[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const c of calls) {
    const parts = c.path
      .split('?')[0]!
      .replace(/^\/api\.xro\/2\.0/, '')
      .split('/')
      .filter(Boolean);
    const shape = `${c.method} /${parts[0] ?? ''}${parts.length > 2 ? `/…/${parts[2]}` : parts.length > 1 ? '/{id}' : ''}`;
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** When Xero answered each order's PDF upload with success (epoch ms), by order number; the first answer counts. */
export function attachmentAnswers(calls: readonly RequestLogEntry[], numbers: readonly string[]): Map<string, number> {
  const byFile = new Map(numbers.map((n) => [orderPdfFileName(n), n]));
  const answered = new Map<string, number>();
  for (const c of calls) {
    if (c.status < 200 || c.status > 299 || !c.path.includes('/Attachments/')) continue;
    const path = c.path.split('?')[0]!;
    const number = byFile.get(decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)));
    if (number && !answered.has(number)) answered.set(number, Date.parse(c.at));
  }
  return answered;
}
