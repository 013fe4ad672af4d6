import type { Client } from '@temporalio/client';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import type { Settings } from '../domain/settings';
import { loadSettings } from '../settings/store';
import { connectionState } from '../contact-sync/runs';
import { reconciliationScheduleId } from './contract';
import { deleteReconciliation, ensureReconciliationSchedule } from './reconciliation-schedules';

/**
 * The account's reconciliation schedule follows its connection and setup, as contact sync's does:
 *   connected (or reconnected) → created, or resumed
 *   setup saved                → interval updated (kept paused while the connection needs reconnecting)
 *   disconnected               → removed
 *   needs reconnecting         → paused by the first run that finds it so
 *   account removed            → removed by its next run, and by the start-up reconcile
 */

export interface ReconciliationLifecycleDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

export function reconciliationHooks(deps: ReconciliationLifecycleDeps) {
  const target = (accountId: string) => ({ accountId, taskQueue: deps.taskQueue });
  return {
    async onConnected(accountId: string): Promise<void> {
      await ensureReconciliationSchedule(deps.temporal, target(accountId), await loadSettings(deps.db, accountId));
    },
    async onSettingsSaved(accountId: string, settings: Settings): Promise<void> {
      const state = await connectionState(deps.db, accountId);
      if (state === 'not_connected') return;
      await ensureReconciliationSchedule(deps.temporal, target(accountId), settings, {
        paused: state === 'needs_reconnect',
      });
    },
    async onDisconnected(accountId: string): Promise<void> {
      await deleteReconciliation(deps.temporal, accountId);
    },
  };
}

/** One reconciliation schedule per connected account, none for the others. Run at start. */
export async function reconcileReconciliationSchedules(
  deps: ReconciliationLifecycleDeps & { log: Logger },
): Promise<{ ensured: number; removed: number }> {
  const connections = await deps.db.selectFrom('connections').select(['account_id', 'status']).execute();
  let ensured = 0;
  for (const c of connections) {
    await ensureReconciliationSchedule(
      deps.temporal,
      { accountId: c.account_id, taskQueue: deps.taskQueue },
      await loadSettings(deps.db, c.account_id),
      { paused: c.status === 'needs_reconnect' },
    );
    ensured++;
  }
  const connected = new Set(connections.map((c) => reconciliationScheduleId(c.account_id)));
  let removed = 0;
  for await (const s of deps.temporal.schedule.list()) {
    if (!s.scheduleId.startsWith(reconciliationScheduleId('')) || connected.has(s.scheduleId)) continue;
    // Only this engine's task queue: another deployment may share the namespace.
    const handle = deps.temporal.schedule.getHandle(s.scheduleId);
    const described = await handle.describe().catch(() => undefined);
    if (!described || described.action.taskQueue !== deps.taskQueue) continue;
    await handle.delete().catch(() => undefined);
    removed++;
  }
  if (ensured + removed > 0) deps.log.info({ ensured, removed }, 'reconciliation schedules reconciled');
  return { ensured, removed };
}
