import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/database';
import { cancelExportSignal, exportWorkflowId } from './messages';
import { cancelQueued } from './store';

/**
 * "Cancel export" (host API and admin page alike): what has not been handed over is not sent. It
 * stops at once in the database (a wave being handed over finishes), then the export workflow is
 * told. Undefined when the account has no such export.
 */
export async function cancelExport(
  db: Db,
  temporal: Client,
  accountId: string,
  exportId: string,
): Promise<{ cancelled: number } | undefined> {
  const head = await db
    .selectFrom('exports')
    .select('id')
    .where('id', '=', exportId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!head) return undefined;
  const cancelled = await cancelQueued(db, exportId);
  try {
    await temporal.workflow.getHandle(exportWorkflowId(accountId, exportId)).signal(cancelExportSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return { cancelled };
}
