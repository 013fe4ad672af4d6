import type { Db } from '../src/db/database';

/**
 * When each order reached Xero, read from the engine's sync log (the record the pages show): an
 * order is done once every step asked for (its invoice's PDF attached, its payment applied) has a
 * success entry. Read incrementally by id, with a margin, because ids are handed out at insert and
 * a transaction that started earlier may commit later.
 */

export type DoneStep = 'invoice' | 'attachment' | 'payment';

const ID_MARGIN = 2_000;

export interface WaitResult {
  /** performance.now() at which each order was seen done (to within one poll). */
  doneAt: Map<string, number>;
  /** Orders with a failure entry and not done. */
  failed: string[];
  timedOut: boolean;
}

export const orderKey = (accountId: string, orderNumber: string) => `${accountId}/${orderNumber}`;

export class SyncProgress {
  private lastId = 0;
  private readonly steps = new Map<string, Set<string>>();
  private readonly failures = new Set<string>();
  private readonly seenIds = new Set<string>();
  private stopped = false;

  constructor(private readonly db: Db) {}

  /** Ends every wait (its scenario is closing: the database goes next). */
  stop(): void {
    this.stopped = true;
  }

  /** Reads entries written since the last poll. */
  async poll(): Promise<void> {
    if (this.stopped) return;
    const rows = await this.db
      .selectFrom('sync_log')
      .select(['id', 'account_id', 'host_ref', 'kind', 'outcome'])
      .where('id', '>', String(Math.max(0, this.lastId - ID_MARGIN)))
      .where('outcome', 'in', ['success', 'failure'])
      .orderBy('id')
      .execute();
    for (const r of rows) {
      if (this.seenIds.has(r.id)) continue;
      this.seenIds.add(r.id);
      this.lastId = Math.max(this.lastId, Number(r.id));
      if (!r.host_ref) continue;
      const key = orderKey(r.account_id, r.host_ref);
      if (r.outcome === 'failure') this.failures.add(key);
      else {
        const set = this.steps.get(key) ?? new Set<string>();
        set.add(r.kind);
        this.steps.set(key, set);
      }
    }
  }

  /** Sync-log failures seen so far among `keys` (all when omitted). */
  failureCount(keys?: Iterable<string>): number {
    if (!keys) return this.failures.size;
    let n = 0;
    for (const k of keys) if (this.failures.has(k)) n++;
    return n;
  }

  private isDone(key: string, steps: readonly DoneStep[]): boolean {
    const seen = this.steps.get(key);
    return !!seen && steps.every((s) => seen.has(s));
  }

  /**
   * Polls until every key is done (or failed and not done: a business failure waits for a retry
   * that will not come in a benchmark), or the time is up.
   */
  async waitUntilDone(
    keys: readonly string[],
    steps: readonly DoneStep[],
    opts: { timeoutMs: number; pollMs?: number; doneAt?: Map<string, number>; onProgress?: (done: number) => void },
  ): Promise<WaitResult> {
    const doneAt = opts.doneAt ?? new Map<string, number>();
    const deadline = performance.now() + opts.timeoutMs;
    let shown = -1;
    for (;;) {
      await this.poll();
      const now = performance.now();
      for (const k of keys) if (!doneAt.has(k) && this.isDone(k, steps)) doneAt.set(k, now);
      const failed = keys.filter((k) => !doneAt.has(k) && this.failures.has(k));
      if (doneAt.size !== shown) opts.onProgress?.((shown = doneAt.size));
      if (doneAt.size + failed.length >= keys.length) return { doneAt, failed, timedOut: false };
      if (now > deadline || this.stopped) return { doneAt, failed, timedOut: true };
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  }
}
