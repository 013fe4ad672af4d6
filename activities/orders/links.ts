import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { Database, EntityKind, EntityLink } from '../../src/db/schema';
import { businessFailure } from '../../src/orders/failures';

/**
 * entity_links, the memory behind exactly-once: host id ↔ Xero id per kind, with what the engine
 * needs to remember about the Xero side in `data` (JSON, parsed with the schemas below where read).
 */

/** An order's invoice: its Xero state, the host revision it shows, the contact it was made for. */
export const invoiceLinkData = z.looseObject({
  status: z.string().optional(),
  total: z.number().optional(),
  /** -1: adopted, content unknown (the revise step re-sends it). */
  syncedRevision: z.number().optional(),
  contactId: z.string().optional(),
  customerId: z.string().optional(),
  orderJson: z.string().optional(),
  /** Xero's deep link to the document. */
  xeroUrl: z.string().optional(),
  /**
   * Xero's answer to the engine's last write (XeroDocumentCopy, src/xero-changes/written-copy.ts):
   * what a copy read later is compared with. Parsed where read, so an unreadable copy is no failure.
   */
  written: z.unknown().optional(),
  /** A credit note's allocation (exactly once: a retry finds it here or on the credit note in Xero). */
  allocation: z
    .object({
      invoiceId: z.string(),
      amount: z.number(),
      allocationId: z.string(),
      date: z.string().optional(),
      /** Taken off while its invoice (or itself) is revised; put back after. */
      lifted: z.boolean().optional(),
    })
    .optional(),
});

/** The order PDF on the invoice: which revision, and the bytes' hash (part of its write key). */
export const attachmentLinkData = z.looseObject({
  revision: z.number().optional(),
  sha256: z.string().optional(),
  bytes: z.number().optional(),
  invoiceId: z.string().optional(),
});

/** A host payment applied in Xero; `generation` counts the times it was deleted and re-applied. */
export const paymentLinkData = z.looseObject({
  amount: z.number(),
  date: z.string(),
  reference: z.string().optional(),
  generation: z.number().optional(),
});

/** A link's data as its schema says, or a failure naming the link (retrying would read the same row). */
export function parseLinkData<S extends z.ZodType>(
  schema: S,
  link: Pick<EntityLink, 'kind' | 'host_id' | 'data'>,
): z.infer<S> {
  const parsed = schema.safeParse(link.data ?? {});
  if (parsed.success) return parsed.data;
  throw businessFailure(
    'invalid_data',
    `the stored ${link.kind} link of ${link.host_id} is unreadable: ${parsed.error.issues
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ')}`,
  );
}

// Payments are linked per order (two orders may use the same payment id): see src/orders/link-ids.ts.
export { paymentHostId, paymentIdOf } from '../../src/orders/link-ids';

/** Inserts or replaces a link; true when it is new (the first time this host id met Xero). */
export async function upsertLink(
  trx: Transaction<Database>,
  accountId: string,
  kind: EntityKind,
  hostId: string,
  xeroId: string,
  xeroNumber: string | null,
  data: Record<string, unknown>,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('entity_links')
    .values({
      account_id: accountId,
      kind,
      host_id: hostId,
      xero_id: xeroId,
      xero_number: xeroNumber,
      data: JSON.stringify(data),
    })
    .onConflict((oc) => oc.columns(['account_id', 'kind', 'host_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return true;
  await trx
    .updateTable('entity_links')
    .set({ xero_id: xeroId, xero_number: xeroNumber, data: JSON.stringify(data), updated_at: new Date() })
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('host_id', '=', hostId)
    .execute();
  return false;
}

/** Replaces a link's data, keeping its ids. */
export async function setLinkData(
  trx: Transaction<Database>,
  accountId: string,
  kind: EntityKind,
  hostId: string,
  data: Record<string, unknown>,
): Promise<void> {
  await trx
    .updateTable('entity_links')
    .set({ data: JSON.stringify(data), updated_at: new Date() })
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('host_id', '=', hostId)
    .execute();
}

export async function deleteLink(
  trx: Transaction<Database>,
  accountId: string,
  kind: EntityKind,
  hostId: string,
): Promise<void> {
  await trx
    .deleteFrom('entity_links')
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('host_id', '=', hostId)
    .execute();
}

/** The Xero id linked to a host id, if any. */
export async function linkedXeroId(
  db: Db,
  accountId: string,
  kind: EntityKind,
  hostId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('entity_links')
    .select('xero_id')
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('host_id', '=', hostId)
    .executeTakeFirst();
  return row?.xero_id;
}

/** The document's invoice (or credit-note) link data ({} before it exists). */
export async function invoiceLinkDataOf(
  db: Db,
  accountId: string,
  orderNumber: string,
  kind: 'invoice' | 'credit_note' = 'invoice',
) {
  const row = await db
    .selectFrom('entity_links')
    .select(['kind', 'host_id', 'data'])
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('host_id', '=', orderNumber)
    .executeTakeFirst();
  return row ? parseLinkData(invoiceLinkData, row) : {};
}

/** Every link of one document (src/documents/links-query.ts). */
export { documentLinks as orderLinks } from '../../src/documents/links-query';

/** Xero payments already linked to a host payment other than `hostId` (so not this one's). */
export async function paymentsLinkedElsewhere(db: Db, accountId: string, hostId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('entity_links')
    .select('xero_id')
    .where('account_id', '=', accountId)
    .where('kind', '=', 'payment')
    .where('host_id', '!=', hostId)
    .execute();
  return new Set(rows.map((r) => r.xero_id));
}
