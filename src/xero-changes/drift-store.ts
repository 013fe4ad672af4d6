import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database';
import type { Database } from '../db/schema';
import type { DriftChanges, DriftSource, XeroDocumentCopy } from './contract';
import { xeroDocumentCopySchema } from './written-copy';

/**
 * `xero_drift`: at most one open row per document (a unique partial index), updated by newer
 * copies, resolved once (kept for the record). Called in the caller's transaction, beside the host
 * events and the sync-log entry of the same fact.
 */

export type DriftResolution = 'sent_ours' | 'accepted_xero' | 'ignored' | 'overwritten';

const paymentSchema = z.object({
  paymentId: z.string(),
  amount: z.number(),
  date: z.string(),
  reference: z.string().optional(),
  accountCode: z.string().optional(),
  status: z.string().optional(),
});
export const driftChangesSchema = z.object({
  fields: z.array(z.object({ field: z.string(), ours: z.unknown(), xeros: z.unknown() })),
  closedInXero: z.object({ status: z.enum(['VOIDED', 'DELETED']), at: z.string() }).optional(),
  paymentsInXero: z.array(paymentSchema).optional(),
});

export interface OpenDrift {
  id: string;
  xeroId: string;
  xeroNumber: string | null;
  via: DriftSource;
  changes: DriftChanges;
  xeroCopy: XeroDocumentCopy;
  detectedAt: Date;
}

type Executor = Transaction<Database> | Db;

export async function openDriftOf(
  db: Executor,
  accountId: string,
  documentRef: string,
): Promise<OpenDrift | undefined> {
  const row = await db
    .selectFrom('xero_drift')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('document_ref', '=', documentRef)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (!row) return undefined;
  const changes = driftChangesSchema.safeParse(row.changes);
  const copy = xeroDocumentCopySchema.safeParse(row.xero_copy);
  // Unreadable (written by a future version): treated as no drift rather than failing the document.
  if (!changes.success || !copy.success) return undefined;
  return {
    id: row.id,
    xeroId: row.xero_id,
    xeroNumber: row.xero_number,
    via: row.via,
    changes: changes.data as DriftChanges,
    xeroCopy: copy.data as XeroDocumentCopy,
    detectedAt: row.detected_at,
  };
}

/** Opens the document's drift, or replaces the open one's changes with the newer copy's. */
export async function upsertOpenDrift(
  trx: Transaction<Database>,
  row: {
    accountId: string;
    documentRef: string;
    documentKind: string;
    via: DriftSource;
    changes: DriftChanges;
    copy: XeroDocumentCopy;
  },
): Promise<'opened' | 'updated'> {
  const values = {
    xero_id: row.copy.xeroId,
    xero_number: row.copy.number || null,
    via: row.via,
    changes: JSON.stringify(row.changes),
    xero_copy: JSON.stringify(row.copy),
  };
  const updated = await trx
    .updateTable('xero_drift')
    .set({ ...values, updated_at: new Date() })
    .where('account_id', '=', row.accountId)
    .where('document_ref', '=', row.documentRef)
    .where('status', '=', 'open')
    .returning('id')
    .executeTakeFirst();
  if (updated) return 'updated';
  await trx
    .insertInto('xero_drift')
    .values({ account_id: row.accountId, document_ref: row.documentRef, document_kind: row.documentKind, ...values })
    .execute();
  return 'opened';
}

/** Resolves the open drift; false when there was none (already resolved by an earlier attempt). */
export async function resolveOpenDrift(
  trx: Executor,
  accountId: string,
  documentRef: string,
  resolution: DriftResolution,
): Promise<boolean> {
  const now = new Date();
  const row = await trx
    .updateTable('xero_drift')
    .set({ status: 'resolved', resolution, resolved_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('document_ref', '=', documentRef)
    .where('status', '=', 'open')
    .returning('id')
    .executeTakeFirst();
  return !!row;
}
