import { z } from 'zod';

/** Every event the engine tells a host about. The JSON body a host receives is a `HostEvent`. */
export const HOST_EVENT_TYPES = [
  'invoice.exported',
  'invoice.updated',
  // Bills, credit notes and deal invoices (data.kind, data.documentId, data.xeroUrl); orders keep invoice.*.
  'document.exported',
  'document.updated',
  'document.allocated',
  'payment.synced',
  'sync.failed',
  'sync.resolved',
  'connection.lost',
  'contacts.pulled',
  // A host item (src/items/) written to Xero, or refused by it (data.errors: Xero's messages).
  'item.synced',
  'item.failed',
  // A bulk export finished (src/exports/): counts, each document's outcome, the sentence.
  'export.completed',
  // Changes an accountant made in Xero to a document the engine wrote (issue 13; activities/orders/xero-drift.ts):
  // which fields (old → new), a void or delete the engine did not do, a payment the engine did not write.
  'document.changed_in_xero',
  'document.voided_in_xero',
  'document.deleted_in_xero',
  'payment.received_in_xero',
  // A contact linked to a host contact, changed in Xero (data.changes: field, old, new; src/xero-changes/).
  'contact.changed_in_xero',
] as const;

export type HostEventType = (typeof HOST_EVENT_TYPES)[number];

export const hostEventSchema = z.object({
  /**
   * Unique per event, and stable per business fact (an invoice exported, a revision or a payment
   * synced): hosts use it to ignore a redelivery.
   */
  id: z.string(),
  type: z.enum(HOST_EVENT_TYPES),
  /** The host's own account id. */
  accountId: z.string(),
  occurredAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export type HostEvent = z.infer<typeof hostEventSchema>;
