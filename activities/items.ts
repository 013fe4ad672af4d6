import { heartbeatingXero } from './heartbeating-xero';
import type { Db } from '../src/db/database';
import { withFailureMapping } from '../src/orders/failures';
import type { RunRef } from '../src/contact-sync/runs';
import type { XeroDeps } from '../src/contact-sync/xero-contacts';
import { pushItemBatch } from '../src/items/push';
import type { ItemBatchResult } from '../src/items/shared';

export interface ItemActivityDeps {
  db: Db;
  /** The Xero gateway's `call` door (token, shared rate limiter, typed errors). */
  xero: XeroDeps;
}

/**
 * The item push's one activity, used by the on-demand item-push workflow and by the contact-sync
 * run's item phase. Errors go through the engine's one mapping (src/orders/failures.ts): 429s and
 * limiter waits retry after the wait, 5xx with backoff; Xero's refusals of single items are results.
 */
export function createItemActivities(deps: ItemActivityDeps) {
  const { db } = deps;
  const xero = heartbeatingXero(deps.xero);
  return withFailureMapping({
    /** One batch (≤ 50 items), idempotent per `batchKey`: a retry resends the stored bodies or returns the stored result. */
    async pushItemBatch(input: { run: RunRef; batchKey: string; batchSize?: number }): Promise<ItemBatchResult> {
      return pushItemBatch(db, xero, input.run, input.batchKey, input.batchSize);
    },
  });
}

export type ItemActivities = ReturnType<typeof createItemActivities>;
