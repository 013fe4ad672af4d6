import type { Client } from '@temporalio/client';
import { AccountIdKey } from '../temporal/search-attributes';
import { ITEM_PUSH_WORKFLOW_TYPE, itemPushWorkflowId, itemsChangedSignal, type ItemPushInput } from './shared';

/**
 * Asks for the account's pending items to be pushed now: starts `items:{accountId}`, or signals it
 * when it is running (one more pass after this signal, so nothing sent now waits for the schedule).
 */
export async function requestItemPush(
  client: Client,
  target: { accountId: string; taskQueue: string },
  opts: Pick<ItemPushInput, 'batchSize'> = {},
): Promise<{ workflowId: string }> {
  const workflowId = itemPushWorkflowId(target.accountId);
  const input: ItemPushInput = { accountId: target.accountId, ...opts };
  await client.workflow.signalWithStart(ITEM_PUSH_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: target.taskQueue,
    args: [input],
    signal: itemsChangedSignal,
    signalArgs: [],
    typedSearchAttributes: [{ key: AccountIdKey, value: target.accountId }],
    // A pass takes seconds to minutes; one stuck for hours is ended and the next request starts afresh.
    workflowRunTimeout: '2 hours',
  });
  return { workflowId };
}
