import type { Db } from '../../src/db/database';
import { explainFailure } from '../../src/domain/failure-explanations';
import type { HostEventType } from '../../src/host-webhooks/events';
import { loadSettings } from '../../src/settings/store';
import { failureFactsOf } from '../../src/sync-log/failures';
import { markOrderCancelled } from './context';
import { facts, recordFact } from './host-events';
import type { Base, OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/** What the workflow decided itself, in the sync log and (when the host should hear) the outbox. */
export function createRecordActivities({ db }: OrderModuleDeps) {
  return {
    /** Sync log (and host event) for what the workflow decided itself: failures, skips, a cancel before any invoice. */
    async recordOrderEvent(
      input: Base & {
        kind: string;
        action: string;
        outcome: 'success' | 'failure' | 'skipped';
        message: string;
        error?: Record<string, unknown>;
        hostEvent?: HostEventType;
        orderCancelled?: boolean;
      },
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // A failure is stored (and reaches the host) with its reason and remedy in plain words, as the setup stood when it failed.
        const explanation =
          input.outcome === 'failure'
            ? explainFailure(
                failureFactsOf({ message: input.message, error: input.error ?? null }),
                await loadSettings(trx as Db, input.accountId),
              )
            : undefined;
        const error = input.error ? { ...input.error, ...(explanation ? { explanation } : {}) } : null;
        const entry = { kind: input.kind, action: input.action, outcome: input.outcome, message: input.message, error };
        if (input.orderCancelled) {
          await markOrderCancelled(trx, input);
        }
        if (!input.hostEvent) {
          await writeSyncLog(trx, input, entry);
          return;
        }
        await recordFact(
          trx,
          input,
          {
            type: input.hostEvent,
            data: {
              kind: input.kind,
              action: input.action,
              message: input.message,
              ...(error ? { error } : {}),
              ...(explanation ? { explanation } : {}),
            },
            factKey: facts.scheduled(input.hostEvent),
          },
          entry,
        );
      });
    },
  };
}
