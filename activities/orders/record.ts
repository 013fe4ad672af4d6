import type { Db } from '../../src/db/database';
import { explainFailures } from '../../src/domain/failure-explanations';
import type { HostEventType } from '../../src/host-webhooks/events';
import { loadSettings } from '../../src/settings/store';
import { failureFactsOf } from '../../src/sync-log/failures';
import { markOrderCancelled } from './context';
import { facts, recordFact } from './host-events';
import type { Base, OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/** Xero's answers that a record it was asked about is not there (a 404, or a validation naming it). */
const NOT_FOUND = /could not be found|cannot be found|not found in Xero/i;

/**
 * For a "not found" failure: the document's Xero side as the engine knows it (its number and id),
 * so the explanation can say which invoice, bill or credit note Xero no longer has.
 */
async function documentOf(
  db: Db,
  input: Base,
  error: Record<string, unknown> | undefined,
  message: string,
): Promise<{ word: string; number?: string; id?: string } | undefined> {
  const messages = Array.isArray(error?.messages) ? error.messages.filter((m) => typeof m === 'string') : [];
  if (error?.kind !== 'not_found' && ![message, ...messages].some((m) => NOT_FOUND.test(m))) return undefined;
  const kind = input.documentKind ?? 'order';
  const linkKind = kind === 'credit_note' ? 'credit_note' : 'invoice';
  const link = await db
    .selectFrom('entity_links')
    .select(['xero_id', 'xero_number'])
    .where('account_id', '=', input.accountId)
    .where('kind', '=', linkKind)
    .where('host_id', '=', input.orderNumber)
    .executeTakeFirst();
  if (!link) return undefined;
  return {
    word: kind === 'credit_note' ? 'credit note' : kind === 'bill' ? 'bill' : 'invoice',
    ...(link.xero_number ? { number: link.xero_number } : {}),
    id: link.xero_id,
  };
}

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
        // A failure is stored (and reaches the host) with every problem's reason and remedy in plain
        // words, as the setup stood when it failed; `explanation` is the first (main) one.
        let error = input.error ?? null;
        let explanations: ReturnType<typeof explainFailures> | undefined;
        if (input.outcome === 'failure') {
          const document = await documentOf(trx as Db, input, input.error, input.message);
          if (document && error) error = { ...error, document };
          explanations = explainFailures(
            failureFactsOf({ message: input.message, error }),
            await loadSettings(trx as Db, input.accountId),
          );
        }
        const explanation = explanations?.[0];
        if (error && explanations) error = { ...error, explanation, explanations };
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
              ...(explanation ? { explanation, explanations } : {}),
            },
            factKey: facts.scheduled(input.hostEvent),
          },
          entry,
        );
      });
    },
  };
}
