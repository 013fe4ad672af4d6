/**
 * An export's figures in words and time, as pure functions (table-tested): the sentence the host
 * and the admin read when it finishes, and how long the rest will take under Xero's limits.
 */

export type ItemOutcome = 'pending' | 'exported' | 'refused' | 'failed' | 'cancelled';

export interface ExportCounts {
  total: number;
  exported: number;
  refused: number;
  /** Of the refused: drafts (approved: false). */
  drafts: number;
  failed: number;
  pending: number;
  cancelled: number;
}

const NOUNS: Record<string, [string, string]> = {
  invoice: ['invoice', 'invoices'],
  bill: ['bill', 'bills'],
  credit_note: ['credit note', 'credit notes'],
};

const count = (n: number, [one, many]: [string, string]) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "117 of 120 invoices have been exported to Xero; 3 drafts were not exported". */
export function exportSentence(c: ExportCounts, kinds: string[]): string {
  const distinct = [...new Set(kinds)];
  const noun: [string, string] =
    distinct.length === 1 ? (NOUNS[distinct[0]!] ?? ['document', 'documents']) : ['document', 'documents'];
  const head = `${c.exported.toLocaleString('en')} of ${count(c.total, noun)} ${c.exported === 1 && c.total === 1 ? 'has' : 'have'} been exported to Xero`;
  const tail: string[] = [];
  if (c.drafts > 0) tail.push(`${count(c.drafts, ['draft was', 'drafts were'])} not exported`);
  const invalid = c.refused - c.drafts;
  if (invalid > 0) tail.push(`${count(invalid, ['was', 'were'])} refused as not valid`);
  if (c.failed > 0) tail.push(`${count(c.failed, ['failed', 'failed'])} in Xero (see the failures)`);
  if (c.cancelled > 0) tail.push(`${count(c.cancelled, ['was', 'were'])} cancelled before being sent`);
  if (c.pending > 0) tail.push(`${c.pending.toLocaleString('en')} still to go`);
  return tail.length ? `${head}; ${tail.join('; ')}` : head;
}

export interface EtaInput {
  pending: number;
  /** Documents settled so far (exported or failed) and the time they took. */
  done: number;
  elapsedMs: number;
  /** Xero calls a document costs (measured, or the default estimate). */
  callsPerDocument: number;
  /** Calls the organisation has left in Xero's rolling day. */
  dayRemaining: number;
  perDay: number;
  perMinute: number;
}

export interface Eta {
  etaSeconds: number;
  /** The calls left exceed what today allows: the export carries on when Xero's day window frees. */
  continuesNextDay: boolean;
}

export function exportEta(i: EtaInput): Eta {
  if (i.pending <= 0) return { etaSeconds: 0, continuesNextDay: false };
  const calls = i.pending * i.callsPerDocument;
  const byLimit = (calls / i.perMinute) * 60;
  const observed = i.done > 0 ? (i.elapsedMs / 1000 / i.done) * i.pending : 0;
  let eta = Math.max(byLimit, observed);
  const beyondToday = calls - Math.max(0, i.dayRemaining);
  const continuesNextDay = beyondToday > 0;
  // Each further day's window takes perDay calls; the first frees as today's calls age out.
  if (continuesNextDay) eta += Math.ceil(beyondToday / i.perDay) * 86_400;
  return { etaSeconds: Math.ceil(eta), continuesNextDay };
}
