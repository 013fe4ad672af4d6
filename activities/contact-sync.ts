import { heartbeatingXero } from './heartbeating-xero';
import { Context } from '@temporalio/activity';
import type { Db } from '../src/db/database';
import type { ReferenceDataKind } from '../src/db/schema-contact-sync';
import { withFailureMapping } from '../src/orders/failures';
import { pullContactsPage, type PullPageInput, type PullPageResult } from '../src/contact-sync/pull';
import { pushContactBatch, type PushBatchResult } from '../src/contact-sync/push';
import { refreshReferenceData } from '../src/contact-sync/reference-data';
import {
  accountInfo,
  advanceWatermark,
  connectionState,
  finishRun,
  startRun,
  type ConnectionState,
  type RunRef,
} from '../src/contact-sync/runs';
import { deleteContactSync, pauseContactSync } from '../src/contact-sync/schedules';
import type { ContactSyncCounts, ContactSyncMode } from '../src/contact-sync/shared';
import type { XeroDeps } from '../src/contact-sync/xero-contacts';

export interface ContactSyncDeps {
  db: Db;
  /** The Xero gateway (its `call` door: token, shared rate limiter, typed errors). */
  xero: XeroDeps;
}

/**
 * The contact-sync workflow's activities. Errors go through the engine's one mapping
 * (src/orders/failures.ts): 429s and limiter waits retry after exactly the wait, 5xx with backoff,
 * "not connected" and Xero refusals are non-retryable business failures.
 */
export function createContactSyncActivities(deps: ContactSyncDeps) {
  const { db } = deps;
  const xero = heartbeatingXero(deps.xero);
  return withFailureMapping({
    async beginContactSync(input: {
      run: RunRef;
      mode: ContactSyncMode;
    }): Promise<{ connection: ConnectionState; since: string | null }> {
      // An account removed: nothing to sync or record, and its schedule goes with it.
      if (!(await accountInfo(db, input.run.accountId))) {
        if (input.mode === 'sync')
          await deleteContactSync(Context.current().client, input.run.accountId).catch(() => undefined);
        return { connection: 'not_connected', since: null };
      }
      const connection = await connectionState(db, input.run.accountId);
      const { since } = await startRun(db, input.run, input.mode);
      // The token lifecycle pauses the schedule when Xero refuses the connection; this is the safety net.
      if (connection === 'needs_reconnect' && input.mode === 'sync')
        await pauseContactSync(Context.current().client, input.run.accountId).catch(() => undefined);
      return { connection, since: since?.toISOString() ?? null };
    },

    async pullContactsPage(input: PullPageInput): Promise<PullPageResult> {
      return pullContactsPage(db, xero, input);
    },

    async finishContactPull(input: { accountId: string; watermark: string }): Promise<void> {
      await advanceWatermark(db, input.accountId, new Date(input.watermark));
    },

    async pushContactBatch(input: { run: RunRef; batchNo: number; batchSize?: number }): Promise<PushBatchResult> {
      return pushContactBatch(db, xero, input.run, input.batchNo, input.batchSize);
    },

    async refreshReferenceData(input: { accountId: string; kind: ReferenceDataKind }): Promise<number> {
      return refreshReferenceData(db, xero, input.accountId, input.kind);
    },

    async finishContactSync(input: {
      run: RunRef;
      mode: ContactSyncMode;
      status: 'done' | 'failed' | 'not-connected';
      counts: ContactSyncCounts;
      error?: string;
    }): Promise<void> {
      await finishRun(db, input.run, input.mode, { status: input.status, counts: input.counts, error: input.error });
      // Xero refused the refresh token during this run: no more runs until the admin reconnects.
      if (input.status === 'not-connected' && (await connectionState(db, input.run.accountId)) === 'needs_reconnect') {
        await pauseContactSync(Context.current().client, input.run.accountId).catch(() => undefined);
      }
    },
  });
}

export type ContactSyncActivities = ReturnType<typeof createContactSyncActivities>;
