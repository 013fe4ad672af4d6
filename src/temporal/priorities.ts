import type { Priority } from '@temporalio/common';

/**
 * Task-queue priorities (Temporal's priority keys: lower runs first, 1–5, default 3). A live
 * document sync — what a user is waiting for — goes before any bulk export; exports are fair across
 * accounts (the fairness key is the account), so one customer's backlog cannot starve another's.
 * The dev server and docker-compose enable the matching features (src/temporal/dev-server.ts).
 */
export const LIVE_PRIORITY_KEY = 2;
export const EXPORT_PRIORITY_KEY = 4;

export function exportPriority(accountId: string): Priority {
  return { priorityKey: EXPORT_PRIORITY_KEY, fairnessKey: accountId };
}

export function livePriority(accountId: string): Priority {
  return { priorityKey: LIVE_PRIORITY_KEY, fairnessKey: accountId };
}
