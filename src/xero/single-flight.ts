/**
 * One run per key at a time within this process: callers that arrive while it runs share its
 * result. Documents of one organisation arrive together, and each would otherwise make the same
 * Xero read (a reference list never read yet, the organisation's short code, a new customer's
 * contact) — a burst of N orders cost N identical calls.
 */
export function createSingleFlight<T>() {
  const running = new Map<string, Promise<T>>();
  return (key: string, run: () => Promise<T>): Promise<T> => {
    const existing = running.get(key);
    if (existing) return existing;
    const started = run().finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };
}
