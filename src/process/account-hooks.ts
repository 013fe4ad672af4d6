import {
  contactSyncHooks,
  reconcileContactSyncSchedules,
  type ContactSyncLifecycleDeps,
} from '../contact-sync/lifecycle';
import { REFERENCE_DATA_KINDS, refreshReferenceData } from '../contact-sync/reference-data';
import type { XeroGateway } from '../xero/gateway';
import type { Settings } from '../domain/settings';
import { retryFailuresCuredByReconnect } from '../sync-log/failures';
import { reconcileReconciliationSchedules, reconciliationHooks } from '../xero-changes/lifecycle';
import type { Logger } from '../log';

/**
 * What the sync side does when an admin connects, saves setup or disconnects (AdminAccess's hooks):
 * the contact-sync schedule follows, a (re)connection retries the orders that failed for want of it,
 * and the organisation's reference data (tax rates, items, accounts, tracking categories) is read at
 * once, so the API and Setup have it before the schedule's first run (hours later).
 */
export function accountHooks(deps: ContactSyncLifecycleDeps & { xeroCall?: XeroGateway['call'] }) {
  const contacts = contactSyncHooks(deps);
  // The reconciliation schedule (issue 13) follows the same events as contact sync's.
  const reconciliation = reconciliationHooks(deps);
  const xeroCall = deps.xeroCall;
  return {
    ...contacts,
    async onSettingsSaved(accountId: string, settings: Settings): Promise<void> {
      const results = await Promise.allSettled([
        contacts.onSettingsSaved(accountId, settings),
        reconciliation.onSettingsSaved(accountId, settings),
      ]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
    async onDisconnected(accountId: string): Promise<void> {
      const results = await Promise.allSettled([
        contacts.onDisconnected(accountId),
        reconciliation.onDisconnected(accountId),
      ]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
    async onConnected(accountId: string): Promise<void> {
      const results = await Promise.allSettled([
        contacts.onConnected(accountId),
        reconciliation.onConnected(accountId),
        retryFailuresCuredByReconnect(deps.db, deps.temporal, accountId),
        ...(xeroCall
          ? REFERENCE_DATA_KINDS.map((kind) => refreshReferenceData(deps.db, { call: xeroCall }, accountId, kind))
          : []),
      ]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
  };
}

/**
 * One contact-sync and one reconciliation schedule per connected account, none for the others: run
 * at every start, it repairs what a failed hook left. A failure is logged, not fatal (the engine
 * still syncs documents without them).
 */
export async function repairSchedules(deps: ContactSyncLifecycleDeps & { log: Logger }): Promise<void> {
  await reconcileContactSyncSchedules(deps).catch((err) =>
    deps.log.error({ err }, 'contact-sync schedules not reconciled'),
  );
  await reconcileReconciliationSchedules(deps).catch((err) =>
    deps.log.error({ err }, 'reconciliation schedules not reconciled'),
  );
}
