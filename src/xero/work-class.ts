import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Whether the Xero calls being made serve bulk work (an export's documents) or live work. Bulk
 * calls leave the rate limiter's reserve to live ones (src/xero/rate-limiter.ts) and wait longer to
 * share a batch, so a backlog at the organisation's limit never holds up what a user is waiting for.
 * Set around an activity by the order activities (their input says `bulk`), read by the gateway.
 */
const bulk = new AsyncLocalStorage<boolean>();

export function runAsBulk<T>(fn: () => Promise<T>): Promise<T> {
  return bulk.run(true, fn);
}

export function isBulkWork(): boolean {
  return bulk.getStore() === true;
}
