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
