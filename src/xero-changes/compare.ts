import type { DriftChanges, DriftField, XeroDocumentCopy, XeroLineCopy, XeroPaymentCopy } from './contract';

/**
 * What an accountant changed in Xero: a copy Xero has now against the copy the engine last wrote.
 * Pure (table-tested in test/drift-compare.test.ts); workflow code may import it.
 *
 * - A copy older than the engine's last write is stale: the engine's write replaced it, nothing to say.
 * - AUTHORISED ↔ PAID is Xero's own bookkeeping of payments, never a field change: payments the
 *   engine did not write are reported as `paymentsInXero` instead.
 * - VOIDED / DELETED the engine did not write is `closedInXero` (and the status field change).
 * - Amounts compare to the cent, quantities and unit amounts to 4 decimals (Xero's `unitdp`).
 */

/** What the engine knows of its own last write; `partial` when only status and total were kept (older links). */
export type WrittenBaseline = XeroDocumentCopy | { partial: true; status?: string; total?: number };

export interface CompareInput {
  copy: XeroDocumentCopy;
  written: WrittenBaseline | undefined;
  /** Xero payment ids the engine wrote on this document (its payment links). */
  ownPaymentIds: Iterable<string>;
}

export type CompareVerdict = { outcome: 'same' } | { outcome: 'stale' } | { outcome: 'drift'; changes: DriftChanges };

const CLOSED = new Set(['VOIDED', 'DELETED']);
const PAYMENT_STATUSES = new Set(['AUTHORISED', 'PAID']);

const cents = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? a === b : Math.abs(a - b) < 0.005;
const fourDp = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? (a ?? 0) === (b ?? 0) : Math.abs(a - b) < 0.00005;
const round2 = (n: number) => Math.round(n * 100) / 100;
/**
 * Quantities and unit amounts: the engine may write with `unitdp=4` while a copy is read without it
 * (Xero then rounds to 2 decimals), so a 2-decimal value equal to the other one rounded is the same.
 */
const unitNear = (a: number | undefined, b: number | undefined) => {
  if (fourDp(a, b)) return true;
  if (a === undefined || b === undefined) return false;
  return (round2(a) === a && round2(b) === a) || (round2(b) === b && round2(a) === b);
};
/** Xero leaves out what is empty: undefined and '' are the same text. */
const text = (a: string | undefined, b: string | undefined) => (a ?? '') === (b ?? '');

function trackingOf(line: XeroLineCopy): string[] {
  return line.tracking.map((t) => `${t.name}: ${t.option}`).sort();
}

function lineFields(i: number, ours: XeroLineCopy, xeros: XeroLineCopy): DriftField[] {
  const out: DriftField[] = [];
  const at = (f: string) => `lines[${i}].${f}`;
  if (!text(ours.description, xeros.description))
    out.push({ field: at('description'), ours: ours.description ?? '', xeros: xeros.description ?? '' });
  if (!unitNear(ours.quantity, xeros.quantity))
    out.push({ field: at('quantity'), ours: ours.quantity ?? null, xeros: xeros.quantity ?? null });
  if (!unitNear(ours.unitAmount, xeros.unitAmount))
    out.push({ field: at('unitAmount'), ours: ours.unitAmount ?? null, xeros: xeros.unitAmount ?? null });
  if (!text(ours.accountCode, xeros.accountCode))
    out.push({ field: at('accountCode'), ours: ours.accountCode ?? '', xeros: xeros.accountCode ?? '' });
  if (!text(ours.taxType, xeros.taxType))
    out.push({ field: at('taxType'), ours: ours.taxType ?? '', xeros: xeros.taxType ?? '' });
  if (!fourDp(ours.discountRate ?? 0, xeros.discountRate ?? 0))
    out.push({ field: at('discountRate'), ours: ours.discountRate ?? null, xeros: xeros.discountRate ?? null });
  const t1 = trackingOf(ours);
  const t2 = trackingOf(xeros);
  if (t1.join('\n') !== t2.join('\n')) out.push({ field: at('tracking'), ours: t1, xeros: t2 });
  return out;
}

/** Payments on the copy that the engine did not write (deleted ones are not payments). */
export function foreignPayments(copy: XeroDocumentCopy, ownPaymentIds: Iterable<string>): XeroPaymentCopy[] {
  const own = new Set([...ownPaymentIds].map((id) => id.toLowerCase()));
  return copy.payments.filter((p) => p.status !== 'DELETED' && p.paymentId && !own.has(p.paymentId.toLowerCase()));
}

/** Field-level differences, old (ours) → new (Xero's); statuses that payments explain are left out. */
export function fieldChanges(ours: XeroDocumentCopy, xeros: XeroDocumentCopy): DriftField[] {
  const out: DriftField[] = [];
  const explainedByPayments = PAYMENT_STATUSES.has(ours.status) && PAYMENT_STATUSES.has(xeros.status);
  if (ours.status !== xeros.status && !explainedByPayments)
    out.push({ field: 'status', ours: ours.status, xeros: xeros.status });
  if (ours.contactId.toLowerCase() !== xeros.contactId.toLowerCase())
    out.push({
      field: 'contact',
      ours: ours.contactName ?? ours.contactId,
      xeros: xeros.contactName ?? xeros.contactId,
    });
  const simple: Array<'date' | 'dueDate' | 'reference' | 'currencyCode'> = [
    'date',
    'dueDate',
    'reference',
    'currencyCode',
  ];
  for (const f of simple) {
    if (!text(ours[f], xeros[f]))
      out.push({ field: f === 'currencyCode' ? 'currency' : f, ours: ours[f] ?? '', xeros: xeros[f] ?? '' });
  }
  if (!cents(ours.total, xeros.total)) out.push({ field: 'total', ours: ours.total, xeros: xeros.total });
  if (!cents(ours.totalTax, xeros.totalTax))
    out.push({ field: 'totalTax', ours: ours.totalTax, xeros: xeros.totalTax });
  if (ours.lines.length !== xeros.lines.length)
    out.push({ field: 'lines', ours: ours.lines.length, xeros: xeros.lines.length });
  const n = Math.min(ours.lines.length, xeros.lines.length);
  for (let i = 0; i < n; i++) out.push(...lineFields(i, ours.lines[i]!, xeros.lines[i]!));
  return out;
}

/**
 * The verdict on one copy. `same` also when Xero's copy differs only by what the engine itself did
 * (its payments); `stale` when the copy predates the engine's last write.
 */
export function compareWithWritten({ copy, written, ownPaymentIds }: CompareInput): CompareVerdict {
  if (written && !('partial' in written)) {
    if (written.xeroId && copy.xeroId && written.xeroId.toLowerCase() !== copy.xeroId.toLowerCase())
      return { outcome: 'stale' }; // a document the engine no longer keeps (replaced by a re-creation)
    if (copy.updatedDateUtc && written.updatedDateUtc && copy.updatedDateUtc < written.updatedDateUtc)
      return { outcome: 'stale' };
  }
  let fields: DriftField[];
  if (!written) fields = [];
  else if ('partial' in written) {
    // Links written before copies were kept: only what they stored can be compared.
    fields = [];
    if (
      written.status &&
      written.status !== copy.status &&
      !(PAYMENT_STATUSES.has(written.status) && PAYMENT_STATUSES.has(copy.status))
    )
      fields.push({ field: 'status', ours: written.status, xeros: copy.status });
    if (written.total !== undefined && !cents(written.total, copy.total))
      fields.push({ field: 'total', ours: written.total, xeros: copy.total });
  } else fields = fieldChanges(written, copy);

  const changes: DriftChanges = { fields };
  const ourStatus = written?.status;
  if (CLOSED.has(copy.status) && ourStatus !== copy.status) {
    changes.closedInXero = { status: copy.status as 'VOIDED' | 'DELETED', at: copy.updatedDateUtc };
    if (!fields.some((f) => f.field === 'status'))
      fields.unshift({ field: 'status', ours: ourStatus ?? null, xeros: copy.status });
  }
  const payments = foreignPayments(copy, ownPaymentIds);
  if (payments.length > 0) changes.paymentsInXero = payments;
  if (fields.length === 0 && !changes.closedInXero && !changes.paymentsInXero) return { outcome: 'same' };
  return { outcome: 'drift', changes };
}

/** The same drift (same fields old → new, same closure, same payments): seen again, told once. */
export function sameDrift(a: DriftChanges | undefined, b: DriftChanges | undefined): boolean {
  if (!a || !b) return a === b;
  const key = (c: DriftChanges) =>
    JSON.stringify({
      f: c.fields.map((f) => [f.field, f.ours, f.xeros]),
      c: c.closedInXero?.status ?? null,
      p: (c.paymentsInXero ?? []).map((p) => p.paymentId).sort(),
    });
  return key(a) === key(b);
}

/** "total 115.00 → 230.00; lines[0].unitAmount 100 → 200": the fields in words, for logs and failures. */
export function describeFields(fields: DriftField[], limit = 6): string {
  const show = (v: unknown) =>
    v === null || v === undefined || v === ''
      ? '(none)'
      : Array.isArray(v)
        ? v.length === 0
          ? '(none)'
          : v.join(', ')
        : typeof v === 'number'
          ? String(v)
          : String(v);
  const parts = fields.slice(0, limit).map((f) => `${f.field} ${show(f.ours)} → ${show(f.xeros)}`);
  if (fields.length > limit) parts.push(`and ${fields.length - limit} more`);
  return parts.join('; ');
}

// ---- what the document workflow and its activities exchange (workflow-safe types) ----

/** What `checkXeroCopy` found: the workflow keeps it (Xero status, payments made there, the open drift). */
export interface XeroCheckResult {
  outcome: 'same' | 'stale' | 'drift' | 'unknown';
  closed?: { status: 'VOIDED' | 'DELETED'; at: string };
  /** Field changes of the open drift (empty: open for a closure or payments only). */
  fields?: DriftField[];
  /** Payments on the document the engine did not write. */
  payments?: XeroPaymentCopy[];
}

/** What the host's next change meets on a document changed in Xero. */
export type XeroConflict =
  | { what: 'changed'; fields: DriftField[] }
  | { what: 'closed'; closed: { status: 'VOIDED' | 'DELETED'; at: string } }
  | { what: 'overpay'; paymentId: string; amount: number; due: number; xeroPayments: XeroPaymentCopy[] }
  /** A revision of a document paid (partly) in Xero: Xero refuses edits while a payment is on it. */
  | { what: 'paid'; xeroPayments: XeroPaymentCopy[] };
