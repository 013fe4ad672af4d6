import { sql } from 'kysely';
import type { Db } from '../../src/db/database';
import { displayRef } from '../../src/documents/kinds';
import { businessFailure } from '../../src/orders/failures';
import type { AccountGateway } from '../../src/xero/gateway';
import { XeroApiError } from '../../src/xero/errors';
import { commitXeroResult } from './heartbeat';
import { invoiceLinkData, parseLinkData, setLinkData } from './links';
import { writeKey } from './shared';

/**
 * Xero refuses to edit an invoice or a bill with a credit note allocated to it. A revision of either
 * side therefore takes our own allocations off first and puts them back after (exactly once: each
 * step is marked on the credit note's link, so a retry picks up where the last attempt stopped).
 */

type Allocation = { invoiceId: string; amount: number; allocationId: string; date?: string; lifted?: boolean };

/** The engine's credit notes allocated to this Xero invoice (lifted or not). */
async function creditsOn(db: Db, accountId: string, invoiceId: string) {
  const rows = await db
    .selectFrom('entity_links')
    .select(['kind', 'host_id', 'xero_id', 'data'])
    .where('account_id', '=', accountId)
    .where('kind', '=', 'credit_note')
    .where(sql<string>`data->'allocation'->>'invoiceId'`, '=', invoiceId)
    .execute();
  return rows.map((r) => {
    const data = parseLinkData(invoiceLinkData, r);
    return { hostId: r.host_id, creditNoteId: r.xero_id, data, allocation: data.allocation as Allocation };
  });
}

/** Takes our allocations off the invoice (those not yet taken off); returns how many are off now. */
export async function liftAllocations(db: Db, gw: AccountGateway, accountId: string, invoiceId: string) {
  const credits = await creditsOn(db, accountId, invoiceId);
  for (const c of credits.filter((c) => !c.allocation.lifted)) {
    await gw.deleteCreditNoteAllocation(c.creditNoteId, c.allocation.allocationId);
    await commitXeroResult(db, (trx) =>
      setLinkData(trx, accountId, 'credit_note', c.hostId, {
        ...c.data,
        allocation: { ...c.allocation, lifted: true },
      }),
    );
  }
  return credits.length;
}

/** Puts the lifted allocations back on the (revised) invoice. */
export async function restoreAllocations(
  db: Db,
  gw: AccountGateway,
  accountId: string,
  workflowId: string,
  invoiceId: string,
  what: string,
) {
  for (const c of (await creditsOn(db, accountId, invoiceId)).filter((c) => c.allocation.lifted)) {
    const { amount } = c.allocation;
    let allocationId: string;
    try {
      const a = await gw.allocateCreditNote(
        c.creditNoteId,
        { invoiceId, amount, date: c.allocation.date ?? new Date().toISOString().slice(0, 10) },
        { idempotencyKey: writeKey(workflowId, 'reallocate', c.hostId, amount) },
      );
      allocationId = a.allocationID ?? `${c.creditNoteId}:${invoiceId}`;
    } catch (err) {
      if (err instanceof XeroApiError && err.kind === 'validation')
        throw businessFailure(
          'xero_rejected',
          `${what} was revised, but Xero refused to allocate ${displayRef(c.hostId)} (${amount.toFixed(2)}) to it again: ${err.message}. Correct the credit note's amount (or the revision), then retry`,
          { xero: err.validationMessages, creditNote: displayRef(c.hostId) },
        );
      throw err;
    }
    await commitXeroResult(db, (trx) =>
      setLinkData(trx, accountId, 'credit_note', c.hostId, {
        ...c.data,
        allocation: { invoiceId, amount, allocationId, ...(c.allocation.date ? { date: c.allocation.date } : {}) },
      }),
    );
  }
}
