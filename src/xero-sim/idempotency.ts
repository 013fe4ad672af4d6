import { createHash } from 'node:crypto';

/**
 * Xero's Idempotency-Key: the first answer to a key (errors included) is kept for a while and given
 * again to a repeat, which creates nothing; the same key on a different request is refused. Keys
 * belong to one app and tenant. A repeat that arrives while the first is still being processed
 * waits for its answer.
 */

export const MAX_KEY_LENGTH = 128;

export interface StoredAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  answer?: StoredAnswer;
  pending?: Promise<StoredAnswer | undefined>;
  resolve?: (a: StoredAnswer | undefined) => void;
}

/** A kept answer as persisted with the simulator's state (keys still being processed are not kept). */
export interface PersistedIdempotencyEntry {
  id: string;
  fingerprint: string;
  expiresAt: number;
  answer: StoredAnswer;
}

export type IdempotencyLookup =
  | { kind: 'new'; complete: (answer: StoredAnswer | undefined) => void }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'wait'; answer: Promise<StoredAnswer | undefined> }
  | { kind: 'mismatch' };

export function fingerprintOf(method: string, path: string, query: string, body: Buffer): string {
  return createHash('sha256')
    .update(method)
    .update('\u0000')
    .update(path)
    .update('\u0000')
    .update(query)
    .update('\u0000')
    .update(body)
    .digest('hex');
}

export class IdempotencyStore {
  private entries = new Map<string, Entry>();

  constructor(private windowMs: number) {}

  setWindow(ms: number): void {
    this.windowMs = ms;
  }

  clear(): void {
    this.entries.clear();
  }

  size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    if (this.entries.size < 256) return;
    for (const [k, e] of this.entries) if (e.answer && e.expiresAt <= now) this.entries.delete(k);
  }

  lookup(scope: string, key: string, fingerprint: string, now: number): IdempotencyLookup {
    this.sweep(now);
    const id = `${scope}\u0000${key}`;
    const existing = this.entries.get(id);
    if (existing && (existing.pending || existing.expiresAt > now)) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (existing.answer) return { kind: 'replay', answer: existing.answer };
      if (existing.pending) return { kind: 'wait', answer: existing.pending };
    }
    const entry: Entry = { fingerprint, expiresAt: now + this.windowMs };
    entry.pending = new Promise((resolve) => (entry.resolve = resolve));
    this.entries.set(id, entry);
    return {
      kind: 'new',
      complete: (answer) => {
        entry.pending = undefined;
        entry.resolve?.(answer);
        // An answer that is not kept (a Xero-side failure) leaves the key free for the retry.
        if (answer) {
          entry.answer = answer;
        } else if (this.entries.get(id) === entry) {
          this.entries.delete(id);
        }
      },
    };
  }

  /** The kept answers (for the persisted state). */
  exportEntries(): PersistedIdempotencyEntry[] {
    const out: PersistedIdempotencyEntry[] = [];
    for (const [id, e] of this.entries)
      if (e.answer) out.push({ id, fingerprint: e.fingerprint, expiresAt: e.expiresAt, answer: e.answer });
    return out;
  }

  /** Replaces every entry with persisted ones. */
  importEntries(entries: PersistedIdempotencyEntry[]): void {
    this.entries.clear();
    for (const e of entries) {
      if (!e || typeof e.id !== 'string' || !e.answer || !Buffer.isBuffer(e.answer.body)) continue;
      this.entries.set(e.id, { fingerprint: e.fingerprint, expiresAt: e.expiresAt, answer: e.answer });
    }
  }

  /** Moves every key's expiry as if `ms` had passed (the control API's expiry trigger). */
  expireAll(): void {
    for (const e of this.entries.values()) if (e.answer) e.expiresAt = 0;
  }
}
