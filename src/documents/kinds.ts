/**
 * The kinds of host document the engine syncs, and how each is named everywhere a document is
 * keyed: workflow ids, `order_syncs.order_number`, `entity_links.host_id`, `sync_log.host_ref`.
 * Workflow code imports this module: no Node APIs here.
 *
 * Orders keep the keys they always had (the order number alone), so stored rows and running
 * workflows of orders need no migration. Every other kind is namespaced with U+001E, a control
 * character no host id may contain (src/domain/text.ts), so a bill "7" never meets order "7", and
 * payment links (ref + U+001F + payment id, src/orders/link-ids.ts) stay unambiguous.
 */

export const DOCUMENT_KINDS = ['order', 'bill', 'credit_note', 'deal'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

const KIND_SEPARATOR = '\u001e';

/** The stored key of a host document (see above). */
export function documentRef(kind: DocumentKind, hostId: string): string {
  return kind === 'order' ? hostId : `${kind}${KIND_SEPARATOR}${hostId}`;
}

/** The kind and host id a stored key stands for. */
export function parseDocumentRef(ref: string): { kind: DocumentKind; hostId: string } {
  const at = ref.indexOf(KIND_SEPARATOR);
  if (at < 0) return { kind: 'order', hostId: ref };
  const kind = ref.slice(0, at) as DocumentKind;
  return DOCUMENT_KINDS.includes(kind) ? { kind, hostId: ref.slice(at + 1) } : { kind: 'order', hostId: ref };
}

/** One workflow per document: `order:{accountId}:{number}`, `bill:{accountId}:{billId}`, … (engine account id). */
export function documentWorkflowId(kind: DocumentKind, accountId: string, hostId: string): string {
  return `${kind}:${accountId}:${hostId}`;
}

/** Words for people: "order 1001", "bill B-7", "credit note CN-3", "deal D-9". */
export function documentLabel(kind: DocumentKind, hostId: string): string {
  return `${KIND_WORDS[kind]} ${hostId}`;
}

export const KIND_WORDS: Record<DocumentKind, string> = {
  order: 'order',
  bill: 'bill',
  credit_note: 'credit note',
  deal: 'deal',
};

/** A stored key as people read it (sync log, failures). */
export function displayRef(ref: string): string {
  const { kind, hostId } = parseDocumentRef(ref);
  return kind === 'order' ? hostId : documentLabel(kind, hostId);
}

/** Which Xero endpoint family holds a kind's document. */
export function xeroFamilyOf(kind: DocumentKind): 'invoice' | 'credit_note' {
  return kind === 'credit_note' ? 'credit_note' : 'invoice';
}

/** Does this document get a PDF attached? Orders: unless told not to (one is rendered); others: when they give one. */
export function attachesPdf(kind: DocumentKind, doc: { attachPdf?: boolean; pdfUrl?: string }): boolean {
  if (doc.attachPdf === false) return false;
  if (kind === 'order') return true;
  return !!doc.pdfUrl;
}

/** The key of a document's contact step: a Xero contact chosen by the host, or the host's customer id. */
export function contactKeyOf(doc: { xeroContactId?: string; customer?: { id: string } }): string {
  return doc.xeroContactId ? `xero:${doc.xeroContactId}` : (doc.customer?.id ?? '');
}
