import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { orderWorkflowId } from '../src/client';
import type { UnexpectedAnswer } from './orders';
import type { BareWorkflowInput } from './workflows/bare';

/** What an order's workflow history shows: the activities it ran, the updates it took. */

const EventType = temporal.api.enums.v1.EventType;

/** Activities one workflow ran: scheduled ones, and local ones (recorded as markers). */
export async function countActivities(client: Client, workflowId: string): Promise<BareWorkflowInput> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let activities = 0;
  let localActivities = 0;
  for (const e of history.events ?? []) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) activities++;
    else if (
      e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
    )
      localActivities++;
  }
  return { activities, localActivities };
}

/** For an answer the bench did not expect: how many updates the order's workflow accepted, and their ids. */
export async function explainUnexpected(client: Client, answers: readonly UnexpectedAnswer[]) {
  return Promise.all(
    answers.slice(0, 5).map(async (a) => {
      try {
        const history = await client.workflow.getHandle(orderWorkflowId(a.accountId, a.orderNumber)).fetchHistory();
        const updates = (history.events ?? [])
          .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
          .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? '?');
        return { ...a, updatesAccepted: updates.length, updateIds: updates, historyEvents: history.events?.length };
      } catch (err) {
        return { ...a, history: (err as Error).message };
      }
    }),
  );
}
