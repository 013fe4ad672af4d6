import { z } from 'zod';
import { billEventSchema, creditNoteEventSchema } from '../domain/documents';
import { orderConvertedSchema } from '../domain/order';
import { identifier } from '../domain/text';

/**
 * An export request: up to 5,000 documents, each validated on its own. An invalid item or a draft
 * is refused for that item, with the reason, never for the whole export; the valid ones become the
 * events their document workflows take (the same schemas as the per-kind API).
 */

export const EXPORT_KINDS = ['invoice', 'bill', 'credit_note'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const MAX_EXPORT_DOCUMENTS = 5000;

export const exportRequestSchema = z.object({
  documents: z
    .array(z.unknown())
    .min(1, 'an export needs at least one document')
    .max(MAX_EXPORT_DOCUMENTS, `at most ${MAX_EXPORT_DOCUMENTS.toLocaleString('en')} documents per export`),
  /** Send `export.completed` to the host when the export has finished (default true). */
  notify: z.boolean().default(true),
});

const itemEnvelope = z.object({
  kind: z.enum(EXPORT_KINDS, { error: 'expected invoice, bill or credit_note' }),
  id: identifier(100),
  approved: z.boolean({ error: 'expected true or false' }),
  document: z.record(z.string(), z.unknown(), { error: 'expected the document as an object' }),
  revision: z.number().int().nonnegative().optional(),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});

/** What a document's workflow is sent: the per-kind API's event body. */
export type ExportEvent =
  | { kind: 'invoice'; event: z.infer<typeof orderConvertedSchema> }
  | { kind: 'bill'; event: z.infer<typeof billEventSchema> }
  | { kind: 'credit_note'; event: z.infer<typeof creditNoteEventSchema> };

export type ParsedItem =
  ({ ok: true; id: string } & ExportEvent) | { ok: false; kind: string; id: string; reason: string };

const WORDS: Record<ExportKind, string> = { invoice: 'invoice', bill: 'bill', credit_note: 'credit note' };

function issuesText(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'document'}: ${i.message}`)
    .join('; ');
}

export function parseExportItem(raw: unknown, index: number): ParsedItem {
  const rawId = (raw as { id?: unknown } | null)?.id;
  const rawKind = (raw as { kind?: unknown } | null)?.kind;
  const fallback = {
    kind: typeof rawKind === 'string' ? rawKind : '?',
    id: typeof rawId === 'string' ? rawId : `#${index + 1}`,
  };
  const envelope = itemEnvelope.safeParse(raw);
  if (!envelope.success) return { ok: false, ...fallback, reason: issuesText(envelope.error) };
  const { kind, id, approved, document, revision, updatedAt } = envelope.data;
  if (!approved)
    return { ok: false, kind, id, reason: `a draft ${WORDS[kind]}: only approved documents are exported to Xero` };
  const version = { ...(revision !== undefined ? { revision } : {}), ...(updatedAt ? { updatedAt } : {}) };
  if (kind === 'invoice') {
    // An invoice is the host's order: its number is the id (the key live syncs use too).
    const number = document.number ?? id;
    if (number !== id)
      return { ok: false, kind, id, reason: `document.number ${JSON.stringify(number)} is not the item's id` };
    const e = orderConvertedSchema.safeParse({ order: { ...document, number }, ...version });
    return e.success
      ? { ok: true, kind, id, event: e.data }
      : {
          ok: false,
          kind,
          id,
          reason: issuesText(e.error)
            .replace(/^order\./, 'document.')
            .replace(/; order\./g, '; document.'),
        };
  }
  if (kind === 'bill') {
    const e = billEventSchema.safeParse({ bill: document, ...version });
    return e.success
      ? { ok: true, kind, id, event: e.data }
      : { ok: false, kind, id, reason: issuesText(e.error).replace(/\bbill\./g, 'document.') };
  }
  const e = creditNoteEventSchema.safeParse({ creditNote: document, ...version });
  return e.success
    ? { ok: true, kind, id, event: e.data }
    : { ok: false, kind, id, reason: issuesText(e.error).replace(/\bcreditNote\./g, 'document.') };
}

/** Every item parsed; a document listed twice in one export is refused the second time. */
export function parseExportItems(documents: unknown[]): ParsedItem[] {
  const seen = new Set<string>();
  return documents.map((raw, i) => {
    const item = parseExportItem(raw, i);
    const key = `${item.kind}\u001f${item.id}`;
    if (seen.has(key)) return { ok: false, kind: item.kind, id: item.id, reason: 'listed twice in this export' };
    seen.add(key);
    return item;
  });
}
