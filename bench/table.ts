import { z } from 'zod';

/**
 * The bench's result rows, their targets, and the one printed table (pure: test/bench-table.test.ts).
 * A row's key is stable across runs so a baseline's figure can be printed beside today's.
 */

export const targetSchema = z.object({
  op: z.enum(['>=', '<=', '<']),
  value: z.number(),
});
export type Target = z.infer<typeof targetSchema>;

export const rowSchema = z.object({
  /** Stable id, e.g. `a.ratio`: how a baseline's figure is found. */
  key: z.string(),
  measure: z.string(),
  /** NaN or ±Infinity (not measured, never completed) are written as null in JSON. */
  figure: z.custom<number>((v) => typeof v === 'number').nullable(),
  unit: z.string().default(''),
  target: targetSchema.optional(),
  /** What the figure is held against when it is not a constant (e.g. "1.1 × least time 42 s"). */
  targetText: z.string().optional(),
  note: z.string().optional(),
});
export type Row = z.input<typeof rowSchema>;
type ParsedRow = z.infer<typeof rowSchema>;

export const resultFileSchema = z.object({
  rows: z.array(rowSchema),
});

/** true / false against the target; undefined when the row has none. A missing figure never meets it. */
export function meetsTarget(figure: number | null | undefined, target: Target | undefined): boolean | undefined {
  if (!target) return undefined;
  if (figure === null || figure === undefined || !Number.isFinite(figure)) return false;
  switch (target.op) {
    case '>=':
      return figure >= target.value;
    case '<=':
      return figure <= target.value;
    case '<':
      return figure < target.value;
  }
}

/**
 * The least time Xero's per-minute limit allows for `calls` calls: calls ÷ calls-per-minute ×
 * minute length (the bench compresses the minute; the ratio to it does not depend on the length).
 */
export function leastTimeMs(calls: number, perMinute: number, minuteMs: number): number {
  if (perMinute <= 0) throw new Error('perMinute must be positive');
  return (calls / perMinute) * minuteMs;
}

/** Nearest-rank percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Ascending copy. */
export const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** A figure as printed: up to 2 decimals, thousands left alone; "—" when missing. */
export function formatFigure(figure: number | null | undefined, unit = ''): string {
  if (figure === null || figure === undefined || Number.isNaN(figure)) return '—';
  const digits = Math.abs(figure) >= 100 ? 0 : Math.abs(figure) >= 10 ? 1 : 2;
  const text = Number(figure.toFixed(digits)).toString();
  return unit ? `${text} ${unit}` : text;
}

export function formatTarget(row: Pick<ParsedRow, 'target' | 'targetText' | 'unit'>): string {
  if (row.targetText) return row.targetText;
  if (!row.target) return '';
  return `${row.target.op} ${formatFigure(row.target.value, row.unit)}`;
}

/** Baseline figures by row key (bench/results/baseline.json), ignoring what does not parse. */
export function baselineFigures(json: unknown): Map<string, number | null> {
  const parsed = resultFileSchema.safeParse(json);
  if (!parsed.success) return new Map();
  return new Map(parsed.data.rows.map((r) => [r.key, r.figure]));
}

/**
 * One text table: measure | before (when a baseline is given) | figure | target | met?, then the
 * rows' notes below it, numbered.
 */
export function formatTable(input: readonly Row[], baseline?: Map<string, number | null>): string {
  const rows = input.map((r) => rowSchema.parse(r));
  const notes: string[] = [];
  const header = ['measure', ...(baseline ? ['before'] : []), 'figure', 'target', 'met?'];
  const lines = rows.map((r) => {
    let measure = r.measure;
    if (r.note) {
      notes.push(r.note);
      measure += ` [${notes.length}]`;
    }
    const met = meetsTarget(r.figure, r.target);
    return [
      measure,
      ...(baseline ? [baseline.has(r.key) ? formatFigure(baseline.get(r.key), r.unit) : ''] : []),
      formatFigure(r.figure, r.unit),
      formatTarget(r),
      met === undefined ? '' : met ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [
    render(header),
    rule,
    ...lines.map(render),
    ...(notes.length > 0 ? ['', ...notes.map((n, i) => `[${i + 1}] ${n}`)] : []),
  ].join('\n');
}

/** Rows with their verdicts, as written to bench/results/latest.json. */
export function withVerdicts(rows: readonly Row[]) {
  return rows.map((r) => {
    const p = rowSchema.parse(r);
    return {
      ...p,
      figure: p.figure !== null && Number.isFinite(p.figure) ? p.figure : null,
      met: meetsTarget(p.figure, p.target) ?? null,
    };
  });
}
