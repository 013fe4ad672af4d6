import { contactSyncHooks, type ContactSyncLifecycleDeps } from '../contact-sync/lifecycle';
import { retryFailuresCuredByReconnect } from '../sync-log/failures';

/**
 * What the sync side does when an admin connects, saves setup or disconnects (AdminAccess's hooks):
 * the contact-sync schedule follows, and a (re)connection retries the orders that failed for want of it.
 */
export function accountHooks(deps: ContactSyncLifecycleDeps) {
  const contacts = contactSyncHooks(deps);
  return {
    ...contacts,
    async onConnected(accountId: string): Promise<void> {
      const [schedule, retried] = await Promise.allSettled([
        contacts.onConnected(accountId),
        retryFailuresCuredByReconnect(deps.db, deps.temporal, accountId),
      ]);
      for (const r of [schedule, retried]) if (r.status === 'rejected') throw r.reason;
    },
  };
}
