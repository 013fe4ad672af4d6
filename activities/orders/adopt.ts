import type { Db } from '../../src/db/database';
import { commitXeroResult } from './heartbeat';
import { upsertLink } from './links';
import type { Base, InvoiceSummary } from './shared';
import { writeSyncLog } from './sync-log';

/**
 * A document found in Xero while cancelling (its create's answer was lost): linked, with its content
 * unknown (revision -1), and logged as adopted, before it is voided or deleted.
 */
export async function linkFoundWhileCancelling(
  db: Db,
  input: Base,
  linkKind: 'invoice' | 'credit_note',
  s: InvoiceSummary,
  contactId: string,
  message: string,
): Promise<void> {
  await commitXeroResult(db, async (trx) => {
    await upsertLink(trx, input.accountId, linkKind, input.orderNumber, s.id, s.number, {
      status: s.status,
      total: s.total,
      syncedRevision: -1,
      contactId,
    });
    await writeSyncLog(trx, input, { kind: linkKind, action: 'adopt', outcome: 'success', xeroId: s.id, message });
  });
}
