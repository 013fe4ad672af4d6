/**
 * One run per key at a time within this process: callers that arrive while it runs share its
 * result. Documents of one organisation arrive together, and each would otherwise make the same
 * Xero read (a reference list never read yet, the organisation's short code, a new customer's
 * contact) — a burst of N orders cost N identical calls.
 *
 * `reuseMs`: a successful result also serves callers for this long after it settled, since a caller
 * that looked in the database just before the first read stored its answer arrives just after.
 */
export function createSingleFlight<T>(opts: { reuseMs?: number } = {}) {
  const running = new Map<string, Promise<T>>();
  return (key: string, run: () => Promise<T>): Promise<T> => {
    const existing = running.get(key);
    if (existing) return existing;
    const started = run();
    running.set(key, started);
    const forget = () => {
      if (running.get(key) === started) running.delete(key);
    };
    started.then(() => (opts.reuseMs ? setTimeout(forget, opts.reuseMs).unref() : forget()), forget);
    return started;
  };
}
