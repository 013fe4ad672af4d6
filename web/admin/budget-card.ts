import type { Db } from '../../src/db/database';
import { accountXeroBudget, type AccountXeroBudget } from '../../src/xero/budget-queries';
import { queueWords, type BudgetLimits } from '../../src/xero/budget';
import type { ConnectionState } from '../../src/xero/connections';
import { timeView, type TimeView } from './dashboard';

/**
 * The account home's "Xero budget" panel (web/views/_budget.eta) in plain words: calls in the last
 * minute and 24 hours against Xero's limits with a meter each, calls in progress, Xero's request to
 * wait, the documents waiting and when they will be done. Rendered for the page and for `…/live`.
 */

export interface BudgetMeter {
  used: number;
  limit: number;
  /** "12 of 60" */
  text: string;
  /** Meter fill, capped at the limit. */
  value: number;
  /** At or past 90 %: shown amber. */
  high: boolean;
}

export interface BudgetCard {
  /** Changes whenever what the panel shows does (the live page compares it). */
  key: string;
  minute: BudgetMeter;
  day: BudgetMeter;
  inFlight: string;
  blocked: { until: TimeView; reason: string } | null;
  queue: string;
  /** "in about 4 min", "tomorrow ~09:40 UTC"; empty when nothing waits. */
  eta: string;
  doneAt: TimeView | null;
  /** Why it takes that long, when a limit sets the pace. */
  pace: string;
}

const n = (x: number) => x.toLocaleString('en-GB');

const meter = (used: number, limit: number): BudgetMeter => ({
  used,
  limit,
  text: `${n(used)} of ${n(limit)}`,
  value: Math.min(used, limit),
  high: used >= limit * 0.9,
});

/** Xero's X-Rate-Limit-Problem in words. */
const PROBLEM: Record<string, string> = {
  minute: 'the limit of calls a minute',
  day: 'the limit of calls a day',
  concurrent: 'too many calls at once',
  appminute: "the app's limit across all organisations",
};

export function budgetCard(a: AccountXeroBudget): BudgetCard {
  const b = a.budget;
  const paces: Record<string, string> = {
    none: '',
    minute: `Paced by Xero's limit of ${n(b.minute.limit)} calls a minute.`,
    day: `Xero's ${n(b.day.limit)} calls a day are used up: the rest goes as the last 24 hours' calls age out.`,
    blocked: 'Xero asked to wait before the next call.',
    connection: 'Nothing goes to Xero until the organisation is connected again.',
  };
  const blocked = b.blocked
    ? {
        until: timeView(b.blocked.until),
        reason: PROBLEM[(b.blocked.reason ?? '').toLowerCase()] ?? 'its rate limit',
      }
    : null;
  const waiting = b.queue.documents > 0;
  const card: Omit<BudgetCard, 'key'> = {
    minute: meter(b.minute.used, b.minute.limit),
    day: meter(b.day.used, b.day.limit),
    inFlight: `${n(b.concurrent.inFlight)} of ${n(b.concurrent.limit)}`,
    blocked,
    queue: queueWords(b),
    eta: waiting ? b.eta.words : '',
    doneAt: waiting && b.eta.doneAt ? timeView(b.eta.doneAt) : null,
    pace: waiting ? (paces[b.eta.limitedBy] ?? '') : '',
  };
  // Seconds left change every poll; the words are what the admin reads.
  const key = [
    card.minute.used,
    card.day.used,
    b.concurrent.inFlight,
    blocked?.until.iso ?? '',
    b.queue.documents,
    card.eta,
    b.eta.limitedBy,
  ].join('|');
  return { key, ...card };
}

/** The panel for an account, or undefined when there is nothing to show (never connected, nothing waiting). */
export async function budgetSection(
  db: Db,
  accountId: string,
  connection: ConnectionState,
  limits: BudgetLimits,
): Promise<BudgetCard | undefined> {
  const budget = await accountXeroBudget(db, accountId, { limits });
  if (connection.status === 'not_connected' && budget.budget.queue.documents === 0) return undefined;
  return budgetCard(budget);
}
