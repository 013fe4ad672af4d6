import type { Client } from '@temporalio/client';
import type { Db } from '../db/database';
import type { Logger } from '../log';
import type { Settings } from '../domain/settings';
import { loadSettings } from '../settings/store';
import { connectionState } from './runs';
import { deleteContactSync, ensureContactSyncSchedule } from './schedules';
import { contactSyncScheduleId } from './shared';

/**
 * The account's contact-sync schedule follows its connection and setup:
 *   connected (or reconnected) → created, or resumed
 *   setup saved                → interval updated (kept paused while the connection needs reconnecting)
 *   disconnected               → removed (a reconnect creates it afresh)
 *   needs reconnecting         → paused by the first run that finds it so (activities/contact-sync.ts)
 *   account removed            → removed by its next run, and by the start-up reconcile
 * These are AdminAccess's hooks (src/access/wiring.ts); a failing hook is logged, and the start-up
 * reconcile repairs whatever a failed hook left behind.
 */

export interface ContactSyncLifecycleDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

export function contactSyncHooks(deps: ContactSyncLifecycleDeps) {
  const target = (accountId: string) => ({ accountId, taskQueue: deps.taskQueue });
  return {
    async onConnected(accountId: string): Promise<void> {
      await ensureContactSyncSchedule(deps.temporal, target(accountId), await loadSettings(deps.db, accountId));
    },
    async onSettingsSaved(accountId: string, settings: Settings): Promise<void> {
      const state = await connectionState(deps.db, accountId);
      if (state === 'not_connected') return;
      await ensureContactSyncSchedule(deps.temporal, target(accountId), settings, {
        paused: state === 'needs_reconnect',
      });
    },
    async onDisconnected(accountId: string): Promise<void> {
      await deleteContactSync(deps.temporal, accountId);
    },
  };
}

/**
 * Makes the schedules match the database: one per connected account (paused when it needs
 * reconnecting), none for accounts without a connection. Run by the worker at start.
 */
export async function reconcileContactSyncSchedules(
  deps: ContactSyncLifecycleDeps & { log: Logger },
): Promise<{ ensured: number; removed: number }> {
  const connections = await deps.db.selectFrom('connections').select(['account_id', 'status']).execute();
  let ensured = 0;
  for (const c of connections) {
    await ensureContactSyncSchedule(
      deps.temporal,
      { accountId: c.account_id, taskQueue: deps.taskQueue },
      await loadSettings(deps.db, c.account_id),
      { paused: c.status === 'needs_reconnect' },
    );
    ensured++;
  }
  const connected = new Set(connections.map((c) => contactSyncScheduleId(c.account_id)));
  let removed = 0;
  for await (const s of deps.temporal.schedule.list()) {
    if (!s.scheduleId.startsWith(contactSyncScheduleId('')) || connected.has(s.scheduleId)) continue;
    // Only schedules of this engine's task queue: another deployment may share the namespace.
    const handle = deps.temporal.schedule.getHandle(s.scheduleId);
    const described = await handle.describe().catch(() => undefined);
    if (!described || described.action.taskQueue !== deps.taskQueue) continue;
    await handle.delete().catch(() => undefined);
    removed++;
  }
  if (ensured + removed > 0) deps.log.info({ ensured, removed }, 'contact-sync schedules reconciled');
  return { ensured, removed };
}
