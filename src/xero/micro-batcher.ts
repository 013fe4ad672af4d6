/**
 * Coalesces calls that arrive within a short window (per key, e.g. per tenant) into one batch, so
 * one Xero request (and one rate-limit permit) serves many orders. Each caller gets its own element's
 * result or error; a failure of the whole request fails every caller, whose own retry then runs
 * alone or in the next batch.
 *
 * One batch per key is in flight at a time: calls that arrive while it is (waiting for a rate-limit
 * permit, say) join the next batch, which goes when the first is answered — so a lone call on a quiet
 * system waits only the window, and a backlog at the tenant's limit goes out in full batches.
 */
export interface MicroBatcherOptions<I, O> {
  windowMs: number;
  maxSize: number;
  /** Runs one batch; answers one result (or Error) per item, in the items' order. */
  run(key: string, items: I[]): Promise<Array<O | Error>>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export function createMicroBatcher<I, O>(opts: MicroBatcherOptions<I, O>) {
  const open = new Map<string, { waiting: Array<Waiting<I, O>>; timer: NodeJS.Timeout; due: boolean }>();
  const inFlight = new Map<string, number>();

  /** The window has passed: send now, or as soon as the batch in flight is answered. */
  function due(key: string): void {
    const batch = open.get(key);
    if (!batch) return;
    if ((inFlight.get(key) ?? 0) > 0) batch.due = true;
    else flush(key);
  }

  function flush(key: string): void {
    const batch = open.get(key);
    if (!batch) return;
    open.delete(key);
    clearTimeout(batch.timer);
    const { waiting } = batch;
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    const settled = () => {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left > 0) inFlight.set(key, left);
      else inFlight.delete(key);
      if (open.get(key)?.due) flush(key);
    };
    opts
      .run(
        key,
        waiting.map((w) => w.item),
      )
      .finally(settled)
      .then(
        (results) => {
          waiting.forEach((w, i) => {
            const r = results[i];
            if (r === undefined)
              w.reject(new Error(`batch answered ${results.length} results for ${waiting.length} items`));
            else if (r instanceof Error) w.reject(r);
            else w.resolve(r);
          });
        },
        (err: unknown) => waiting.forEach((w) => w.reject(err)),
      );
  }

  return {
    /** `windowMs`: this key's window when the call opens a batch (bulk work can wait longer). */
    submit(key: string, item: I, windowMs = opts.windowMs): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        let batch = open.get(key);
        if (!batch) {
          batch = { waiting: [], timer: setTimeout(() => due(key), windowMs), due: false };
          open.set(key, batch);
        }
        batch.waiting.push({ item, resolve, reject });
        if (batch.waiting.length >= opts.maxSize) flush(key);
      });
    },
  };
}
