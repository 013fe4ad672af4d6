import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per process. The engine's counters are module-level so the hot paths (gateway,
 * limiter, sync log) only increment a number in memory; nothing is computed until a scrape.
 */
export const registry = new Registry();

let processMetrics = false;

/** Node's own figures (CPU, memory, event-loop lag, GC, handles), once per process. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}
