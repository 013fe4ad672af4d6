import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createOrderSyncClient, type Accepted } from '../src/client';
import type { Db } from '../src/db/database';
import type { ExportProgress } from '../src/exports/messages';
import { exportSentence } from '../src/exports/progress';
import type { ExportEvent } from '../src/exports/request';
import { cancelQueued, exportView, markHandedOver, nextQueued } from '../src/exports/store';
import { enqueueHostEventOnce } from '../src/host-webhooks/outbox';
import { exportPriority } from '../src/temporal/priorities';

/**
 * The export workflow's I/O: hand queued documents to their own workflows (the same machinery as
 * live syncs, at the export's lower priority and fair per account), read the export's progress,
 * and finish it (the sentence, `export.completed`). A document is handed over by an
 * update-with-start with an id derived from the export and the item, so a retried hand-over is the
 * same event to the document's workflow, never a second document in Xero.
 */

export interface ExportActivityDeps {
  db: Db;
  temporalClient?: Client;
}

/** Hand-overs in flight at once: each waits for the document's workflow to answer. */
const HANDOVER_CONCURRENCY = 10;

/** Answers that mean the document will not be synced now (the rest: applied, or already there). */
const REFUSING_REASONS: Record<string, string> = {
  not_connected: 'the account is not connected to Xero',
  cancelled: 'the document was cancelled',
};

export function createExportActivities({ db, temporalClient }: ExportActivityDeps) {
  function requireClient(): Client {
    if (!temporalClient)
      throw new Error('this worker was started without a Temporal client (ActivityDeps.temporalClient)');
    return temporalClient;
  }

  async function handOver(
    accountId: string,
    exportId: string,
    seq: number,
    item: ExportEvent & { id: string },
  ): Promise<Accepted> {
    const sync = createOrderSyncClient(requireClient(), { taskQueue: Context.current().info.taskQueue });
    const opts = { eventId: `export-${exportId}-${seq}`, priority: exportPriority(accountId) };
    switch (item.kind) {
      case 'invoice':
        // The user chose to export it now: that is its conversion, whenever the host converted it.
        return sync.startOrderSync(accountId, { ...item.event, convertedAt: new Date().toISOString() }, opts);
      case 'bill':
        return sync.putBill(accountId, item.id, item.event, opts);
      case 'credit_note':
        return sync.putCreditNote(accountId, item.id, item.event, opts);
    }
  }

  return {
    async handOverExportWave(input: {
      accountId: string;
      exportId: string;
      max: number;
    }): Promise<{ handedOver: number }> {
      const queued = await nextQueued(db, input.exportId, input.max);
      let done = 0;
      // A worker shutting down cancels this activity: the calls waiting for the documents' answers stop too.
      await requireClient().withAbortSignal(Context.current().cancellationSignal, async () => {
        for (let i = 0; i < queued.length; i += HANDOVER_CONCURRENCY) {
          await Promise.all(
            queued.slice(i, i + HANDOVER_CONCURRENCY).map(async (row) => {
              const item = { kind: row.kind, id: row.host_id, event: row.event } as ExportEvent & { id: string };
              const answer = await handOver(input.accountId, input.exportId, row.seq, item);
              const refusal = !answer.applied && answer.reason ? REFUSING_REASONS[answer.reason] : undefined;
              if (refusal)
                await db
                  .updateTable('export_items')
                  .set({ state: 'refused', reason: refusal })
                  .where('export_id', '=', input.exportId)
                  .where('seq', '=', row.seq)
                  .execute();
              else await markHandedOver(db, input.exportId, row.seq);
              done++;
              Context.current().heartbeat(done);
            }),
          );
        }
      });
      return { handedOver: done };
    },

    async readExportProgress(input: { accountId: string; exportId: string }): Promise<ExportProgress> {
      const view = await exportView(db, input.accountId, input.exportId);
      if (!view) throw new Error(`export ${input.exportId} not found`);
      const queued = await db
        .selectFrom('export_items')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('export_id', '=', input.exportId)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      const { total, exported, refused, failed, pending, cancelled } = view;
      const q = Number(queued?.n ?? 0);
      return {
        phase: q > 0 ? 'handing_over' : 'settling',
        total,
        exported,
        refused,
        failed,
        pending,
        cancelled,
        queued: q,
      };
    },

    async cancelExportQueue(input: { exportId: string }): Promise<number> {
      return cancelQueued(db, input.exportId);
    },

    async finishExport(input: {
      accountId: string;
      exportId: string;
      cancelled: boolean;
    }): Promise<{ sentence: string }> {
      const view = await exportView(db, input.accountId, input.exportId);
      if (!view) throw new Error(`export ${input.exportId} not found`);
      const sentence = exportSentence(
        view,
        view.items.map((i) => i.kind),
      );
      const head = await db
        .selectFrom('exports')
        .innerJoin('accounts', 'accounts.id', 'exports.account_id')
        .select(['exports.notify', 'accounts.host_app_id', 'accounts.external_id'])
        .where('exports.id', '=', input.exportId)
        .executeTakeFirstOrThrow();
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('exports')
          .set({ status: input.cancelled ? 'cancelled' : 'completed', sentence, completed_at: new Date() })
          .where('id', '=', input.exportId)
          .execute();
        if (head.notify)
          await enqueueHostEventOnce(trx, {
            hostAppId: head.host_app_id,
            accountId: input.accountId,
            hostAccountId: head.external_id,
            type: 'export.completed',
            orderingKey: `export:${input.accountId}:${input.exportId}`,
            factKey: `export:${input.exportId}|completed`,
            data: {
              exportId: input.exportId,
              status: input.cancelled ? 'cancelled' : 'completed',
              total: view.total,
              exported: view.exported,
              refused: view.refused,
              failed: view.failed,
              cancelled: view.cancelled,
              sentence,
              items: view.items,
            },
          });
      });
      return { sentence };
    },
  };
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
