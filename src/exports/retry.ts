import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/database';
import { documentWorkflowId } from '../documents/kinds';
import { retrySignal } from '../orders/messages';
import { DOCUMENT_KIND_OF, exportView } from './store';

/**
 * "Retry failed documents" of an export (host API and admin page alike): each failed document's own
 * workflow gets the `retry` signal, as the failures list does; a document whose workflow has ended
 * is left out (it is not retried from here). Undefined when the account has no such export.
 */
export async function retryFailedExportItems(
  db: Db,
  temporal: Client,
  accountId: string,
  exportId: string,
): Promise<{ retried: string[] } | undefined> {
  const view = await exportView(db, accountId, exportId);
  if (!view) return undefined;
  const retried: string[] = [];
  for (const item of view.items.filter((i) => i.outcome === 'failed')) {
    try {
      await temporal.workflow
        .getHandle(documentWorkflowId(DOCUMENT_KIND_OF[item.kind], accountId, item.id))
        .signal(retrySignal);
      retried.push(item.id);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { retried };
}
