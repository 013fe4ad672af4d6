import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { orderWorkflowId } from '../src/client';
import type { UnexpectedAnswer } from './orders';
import type { BareWorkflowInput } from './workflows/bare';

/** What an order's workflow history shows: the activities it ran, the updates it took. */

const EventType = temporal.api.enums.v1.EventType;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** An event's time, epoch ms. */
const eventMs = (e: HistoryEvent) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round(Number(e.eventTime?.nanos ?? 0) / 1e6);

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

/**
 * One workflow's history as "+ms EventType (activity)" from its start: where a slow order spent its
 * time (waiting for a workflow task, an activity task, an activity's retries).
 */
export async function timeline(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const start = events[0] ? eventMs(events[0]) : 0;
  const names = new Map<string, string>();
  return events.map((e) => {
    const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', '');
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const of =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId;
    const what = scheduled?.activityType?.name ?? (of !== undefined && of !== null ? names.get(String(of)) : undefined);
    const attempt = e.activityTaskStartedEventAttributes?.attempt;
    return `+${eventMs(e) - start} ${type}${what ? ` ${what}` : ''}${attempt && attempt > 1 ? ` attempt ${attempt}` : ''}`;
  });
}

/**
 * Where one workflow's time went between its events: waiting for a workflow task to be picked up
 * (scheduled → started), running workflow tasks (started → completed), and running activities
 * (their last attempt's started → completed).
 */
export async function timeSpent(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const at = new Map(events.map((e) => [String(e.eventId), eventMs(e)]));
  const since = (id: unknown, e: (typeof events)[number]) => eventMs(e) - (at.get(String(id)) ?? eventMs(e));
  let workflowTaskQueuedMs = 0;
  let workflowTaskRunMs = 0;
  let activityRunMs = 0;
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes)
      workflowTaskQueuedMs += since(e.workflowTaskStartedEventAttributes.scheduledEventId, e);
    if (e.workflowTaskCompletedEventAttributes)
      workflowTaskRunMs += since(e.workflowTaskCompletedEventAttributes.startedEventId, e);
    if (e.activityTaskCompletedEventAttributes)
      activityRunMs += since(e.activityTaskCompletedEventAttributes.startedEventId, e);
  }
  return { workflowTaskQueuedMs, workflowTaskRunMs, activityRunMs };
}
