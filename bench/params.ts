/**
 * The bench's sizes and timings, each overridable by an environment variable so a quick run is
 * possible (e.g. BENCH_B_ORDERS=50 BENCH_C_ORDERS=100 npm run bench). Defaults are issue 14's.
 */

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a non-negative number, got "${raw}"`);
  return n;
};

export function benchParams() {
  return {
    /** Which measures to run, e.g. "a,d". */
    only: (process.env.BENCH_ONLY ?? 'a,b,c,d,e')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    /** Xero's minute as the simulator and the limiter count it where limits are on (6 s = 10x). */
    minuteMs: num('BENCH_MINUTE_MS', 6_000),
    /** Host requests in flight at once when it sends a burst. */
    concurrency: num('BENCH_CONCURRENCY', 20),
    /** How long any one measure may wait for its orders. */
    timeoutMs: num('BENCH_TIMEOUT_MS', 15 * 60_000),
    a: { orders: num('BENCH_A_ORDERS', 200), organisations: num('BENCH_A_ORGS', 4) },
    b: {
      orders: num('BENCH_B_ORDERS', 500),
      organisations: num('BENCH_B_ORGS', 4),
      customersPerOrg: num('BENCH_B_CUSTOMERS', 10),
      /**
       * Xero's real minute: calls per order is what a customer at the limit sees, and a compressed
       * minute across 4 organisations hardly lets the limit bind (about 4 minutes for 500 orders).
       */
      minuteMs: num('BENCH_B_MINUTE_MS', 60_000),
    },
    c: {
      orders: num('BENCH_C_ORDERS', 1_000),
      customers: num('BENCH_C_CUSTOMERS', 20),
      liveEveryMs: num('BENCH_C_LIVE_EVERY_MS', 2_000),
    },
    d: { orders: num('BENCH_D_ORDERS', 30) },
    e: { orders: num('BENCH_E_ORDERS', 100), outageMs: num('BENCH_E_OUTAGE_MS', 30_000) },
  };
}

export type BenchParams = ReturnType<typeof benchParams>;
