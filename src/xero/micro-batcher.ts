/**
 * Coalesces calls that arrive within a short window (per key, e.g. per tenant) into one batch, so
 * one Xero request (and one rate-limit permit) serves many orders. Each caller gets its own element's
 * result or error; a failure of the whole request fails every caller, whose own retry then runs
 * alone or in the next batch.
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
  const open = new Map<string, { waiting: Array<Waiting<I, O>>; timer: NodeJS.Timeout }>();

  function flush(key: string): void {
    const batch = open.get(key);
    if (!batch) return;
    open.delete(key);
    clearTimeout(batch.timer);
    const { waiting } = batch;
    opts
      .run(
        key,
        waiting.map((w) => w.item),
      )
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
    submit(key: string, item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        let batch = open.get(key);
        if (!batch) {
          batch = { waiting: [], timer: setTimeout(() => flush(key), opts.windowMs) };
          open.set(key, batch);
        }
        batch.waiting.push({ item, resolve, reject });
        if (batch.waiting.length >= opts.maxSize) flush(key);
      });
    },
  };
}
