import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { documentLabel, parseDocumentRef, type DocumentKind } from '../../src/documents/kinds';
import { businessFailure } from '../../src/orders/failures';
import {
  compareWithWritten,
  describeFields,
  sameDrift,
  type WrittenBaseline,
  type XeroCheckResult,
  type XeroConflict,
} from '../../src/xero-changes/compare';
import type {
  DriftChanges,
  DriftField,
  DriftSource,
  XeroDocumentCopy,
  XeroPaymentCopy,
} from '../../src/xero-changes/contract';
import { openDriftOf, resolveOpenDrift, upsertOpenDrift } from '../../src/xero-changes/drift-store';
import { xeroDocumentCopySchema } from '../../src/xero-changes/written-copy';
import { settingsOf } from './context';
import { tellHost } from './host-events';
import { invoiceLinkData, orderLinks, parseLinkData, setLinkData } from './links';
import type { Base, OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

/**
 * The document side of "Xero back to the host" (issue 13). The workflow hands each copy of its
 * document read from Xero to `checkXeroCopy` before any write of its own, so a copy is compared with
 * the engine's newest write (a copy taken before it is stale). A drift is stored (`xero_drift`,
 * one open row), told to the host once per fact and remembered with the link (`xeroSide`), which
 * is what a restarted workflow knows of it. `decideXeroConflict` is what the host's next change
 * meets: Setup decides between holding (a failure in plain words) and the host's version winning.
 */

/** What the document's link remembers of Xero's side: a closure the engine did not do, payments it did not write. */
export const xeroSideSchema = z.object({
  closed: z.object({ status: z.enum(['VOIDED', 'DELETED']), at: z.string() }).optional(),
  payments: z
    .array(
      z.object({
        paymentId: z.string(),
        amount: z.number(),
        date: z.string(),
        reference: z.string().optional(),
        accountCode: z.string().optional(),
        status: z.string().optional(),
      }),
    )
    .optional(),
});
export type XeroSide = z.infer<typeof xeroSideSchema>;

const kindOfBase = (b: Base): DocumentKind => b.documentKind ?? 'order';
const labelOfBase = (b: Base) => documentLabel(kindOfBase(b), parseDocumentRef(b.orderNumber).hostId);
const linkKindOf = (b: Base) => (kindOfBase(b) === 'credit_note' ? ('credit_note' as const) : ('invoice' as const));
const xeroWordOf = (b: Base) =>
  kindOfBase(b) === 'credit_note' ? 'credit note' : kindOfBase(b) === 'bill' ? 'bill' : 'invoice';

const money = (n: number) => n.toFixed(2);
const day = (iso: string) => iso.slice(0, 10) || 'an unknown date';

/** The link's stored Xero side and the engine's last written copy (or what older links kept). */
export function writtenOf(data: Record<string, unknown>): WrittenBaseline | undefined {
  const copy = xeroDocumentCopySchema.safeParse(data.written);
  if (copy.success) return copy.data as XeroDocumentCopy;
  const status = typeof data.status === 'string' ? data.status : undefined;
  const total = typeof data.total === 'number' ? data.total : undefined;
  return status === undefined && total === undefined
    ? undefined
    : { partial: true, ...(status ? { status } : {}), ...(total !== undefined ? { total } : {}) };
}

export function xeroSideOf(data: Record<string, unknown>): XeroSide {
  const side = xeroSideSchema.safeParse(data.xeroSide ?? {});
  return side.success ? (side.data as XeroSide) : {};
}

// ---- the words of the failures (plain, "<problem>. What to do: <action>": failure-explanations.ts splits them) ----

export function changedInXeroMessage(label: string, word: string, fields: DriftField[]): string {
  return (
    `${label}'s ${word} was changed in Xero by someone else since the sync last wrote it (${describeFields(fields)}): ` +
    `the host's revision is held so that change is not overwritten. What to do: on the Reconciliation page ` +
    `choose "Send our version again" (the host's version replaces Xero's), "Accept Xero's" (Xero's copy is kept and ` +
    `the host's next revision is written over it) or "Ignore" — or POST the same action to the reconciliation API; ` +
    `to let the host's version always win, set "When a document was changed in Xero" to "The host's version wins" in Setup`
  );
}

export function voidedInXeroMessage(
  label: string,
  word: string,
  closed: { status: 'VOIDED' | 'DELETED'; at: string },
  what: 'revision' | 'payment',
): string {
  const verb = closed.status === 'VOIDED' ? 'voided' : 'deleted';
  return (
    `${label}'s ${word} was ${verb} in Xero on ${day(closed.at)}: a ${verb} ${word} cannot be edited or paid, so the host's ${what} is not synced. ` +
    `What to do: if the document is no longer wanted, cancel it in your app; to create it again in Xero, choose "Send our version again" ` +
    `on the Reconciliation page (or the API), or set "When a document was voided in Xero" to "Create it again" in Setup, then retry`
  );
}

function namedPayments(payments: XeroPaymentCopy[]): string {
  return payments
    .map(
      (p) =>
        `${money(p.amount)} on ${p.date}${p.accountCode ? ` into ${p.accountCode}` : ''} (Xero payment ${p.paymentId})`,
    )
    .join(', ');
}

export function paidInXeroMessage(label: string, conflict: Extract<XeroConflict, { what: 'overpay' }>): string {
  const named = namedPayments(conflict.xeroPayments);
  return (
    `payment ${conflict.paymentId} of ${money(conflict.amount)} would overpay ${label}: only ${money(Math.max(0, conflict.due))} is due, ` +
    `because a payment recorded in Xero already paid it: ${named}. ` +
    `What to do: if that is the same money, remove payment ${conflict.paymentId} in your app (Xero has it already); ` +
    `otherwise delete the payment in Xero, then retry`
  );
}

export function paidRevisionMessage(label: string, word: string, payments: XeroPaymentCopy[]): string {
  return (
    `${label}'s ${word} has a payment recorded in Xero by someone else (${namedPayments(payments)}): Xero refuses to edit ${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word} with a payment on it, so the host's revision is not synced. ` +
    `What to do: delete that payment in Xero and retry (record it in your app if it is real money), or leave the ${word} as it is in Xero`
  );
}

// ---- the activities ----

async function linkOf(db: Db | Transaction<Database>, input: Base) {
  return db
    .selectFrom('entity_links')
    .select(['kind', 'host_id', 'xero_id', 'xero_number', 'data'])
    .where('account_id', '=', input.accountId)
    .where('kind', '=', linkKindOf(input))
    .where('host_id', '=', input.orderNumber)
    .executeTakeFirst();
}

/** Where the host's events say which document: orders as invoice.* events do, other kinds by kind and id (tellHost). */
function documentData(input: Base, copy: XeroDocumentCopy): Record<string, unknown> {
  const family = copy.family === 'credit_note' ? { creditNoteId: copy.xeroId } : { invoiceId: copy.xeroId };
  return { ...family, xeroId: copy.xeroId, xeroNumber: copy.number, xeroType: copy.type };
}

export function createXeroDriftActivities({ db }: OrderModuleDeps) {
  return {
    /**
     * Compares a copy read from Xero with the engine's last write and records what differs: the
     * open drift, the host's events (once per fact: a replayed copy tells nothing new), the link's
     * Xero side. Safe to repeat: everything is keyed by the copy and the document.
     */
    async checkXeroCopy(input: Base & { copy: XeroDocumentCopy; via: DriftSource }): Promise<XeroCheckResult> {
      const { copy } = input;
      const link = await linkOf(db, input);
      if (!link) return { outcome: 'unknown' };
      const data = parseLinkData(invoiceLinkData, link) as Record<string, unknown>;
      const own = (await orderLinks(db, input.accountId, input.orderNumber))
        .filter((l) => l.kind === 'payment')
        .map((l) => l.xero_id);
      // A copy of another Xero document (the one a re-creation replaced) says nothing about this one.
      if (link.xero_id.toLowerCase() !== copy.xeroId.toLowerCase()) return { outcome: 'stale' };
      const verdict = compareWithWritten({ copy, written: writtenOf(data), ownPaymentIds: own });
      if (verdict.outcome === 'stale') return { outcome: 'stale' };
      const word = xeroWordOf(input);
      const logKind =
        linkKindOf(input) === 'credit_note' ? 'credit_note' : kindOfBase(input) === 'bill' ? 'bill' : 'invoice';
      if (verdict.outcome === 'same') {
        await db.transaction().execute(async (trx) => {
          await setLinkData(trx, input.accountId, linkKindOf(input), input.orderNumber, { ...data, xeroSide: {} });
          // Put back in Xero as the engine wrote it: nothing is left to reconcile.
          if (await resolveOpenDrift(trx, input.accountId, input.orderNumber, 'accepted_xero'))
            await writeSyncLog(trx, input, {
              kind: logKind,
              action: 'xero_changed',
              outcome: 'success',
              xeroId: copy.xeroId,
              message: `${word} ${copy.number} in Xero matches what the sync wrote again: the difference is resolved`,
            });
        });
        return { outcome: 'same' };
      }
      const changes = verdict.changes;
      const side: XeroSide = {
        ...(changes.closedInXero ? { closed: changes.closedInXero } : {}),
        ...(changes.paymentsInXero ? { payments: changes.paymentsInXero } : {}),
      };
      // The status field is the closure itself: it is told as voided/deleted, not as a field change.
      const fieldsToTell = changes.closedInXero ? changes.fields.filter((f) => f.field !== 'status') : changes.fields;
      await db.transaction().execute(async (trx) => {
        const before = await openDriftOf(trx, input.accountId, input.orderNumber);
        await upsertOpenDrift(trx, {
          accountId: input.accountId,
          documentRef: input.orderNumber,
          documentKind: kindOfBase(input),
          via: input.via,
          changes,
          copy,
        });
        await setLinkData(trx, input.accountId, linkKindOf(input), input.orderNumber, { ...data, xeroSide: side });
        if (sameDrift(before?.changes, changes)) return;
        const doc = documentData(input, copy);
        const told: string[] = [];
        const fieldsTold =
          fieldsToTell.length > 0 &&
          !sameFields(before?.changes, fieldsToTell) &&
          (await tellHost(
            trx,
            input,
            'document.changed_in_xero',
            {
              ...doc,
              fields: fieldsToTell.map((f) => f.field),
              changes: fieldsToTell.map((f) => ({ field: f.field, old: f.ours, new: f.xeros })),
              via: input.via,
              xeroUpdatedAt: copy.updatedDateUtc,
            },
            `${input.workflowId}|document.changed_in_xero|${copy.xeroId}|${copy.updatedDateUtc}`,
          ));
        if (fieldsTold) told.push(`changed (${describeFields(fieldsToTell)})`);
        if (changes.closedInXero) {
          const closed = changes.closedInXero;
          const type = closed.status === 'VOIDED' ? 'document.voided_in_xero' : 'document.deleted_in_xero';
          if (
            await tellHost(
              trx,
              input,
              type,
              { ...doc, status: closed.status, at: closed.at, via: input.via },
              `${input.workflowId}|${type}|${copy.xeroId}`,
            )
          )
            told.push(`${closed.status === 'VOIDED' ? 'voided' : 'deleted'} on ${day(closed.at)}`);
        }
        for (const p of changes.paymentsInXero ?? []) {
          if (
            await tellHost(
              trx,
              input,
              'payment.received_in_xero',
              {
                ...doc,
                xeroPaymentId: p.paymentId,
                amount: p.amount,
                date: p.date,
                ...(p.accountCode ? { accountCode: p.accountCode } : {}),
                ...(p.reference ? { reference: p.reference } : {}),
                via: input.via,
              },
              `${input.workflowId}|payment.received_in_xero|${p.paymentId}`,
            )
          )
            told.push(`payment of ${money(p.amount)} on ${p.date} recorded (Xero payment ${p.paymentId})`);
        }
        if (told.length > 0)
          await writeSyncLog(trx, input, {
            kind: logKind,
            action: 'xero_changed',
            outcome: 'success',
            xeroId: copy.xeroId,
            message: `${word} ${copy.number} in Xero ${told.join('; ')} by someone else (seen through ${input.via === 'webhook' ? "Xero's webhook" : 'reconciliation'})`,
          });
      });
      return {
        outcome: 'drift',
        ...(changes.closedInXero ? { closed: changes.closedInXero } : {}),
        fields: fieldsToTell,
        ...(changes.paymentsInXero ? { payments: changes.paymentsInXero } : {}),
      };
    },

    /**
     * The host's change meets a document changed in Xero: Setup says what happens. A hold or a
     * failure is a business failure in plain words (the workflow records it and waits); otherwise
     * the verdict tells the workflow to overwrite or to create the document again.
     */
    async decideXeroConflict(
      input: Base & { conflict: XeroConflict; what: 'revision' | 'payment' },
    ): Promise<{ verdict: 'overwrite' | 'recreate' }> {
      const label = labelOfBase(input);
      const word = xeroWordOf(input);
      const c = input.conflict;
      if (c.what === 'overpay') throw businessFailure('paid_in_xero', paidInXeroMessage(label, c), { ...c });
      if (c.what === 'paid')
        throw businessFailure('paid_in_xero', paidRevisionMessage(label, word, c.xeroPayments), {
          xeroPayments: c.xeroPayments,
        });
      const settings = await settingsOf(db, input.accountId);
      if (c.what === 'closed') {
        if (settings.voidedInXero === 'recreate') return { verdict: 'recreate' };
        throw businessFailure('voided_in_xero', voidedInXeroMessage(label, word, c.closed, input.what), {
          status: c.closed.status,
          at: c.closed.at,
        });
      }
      if (settings.xeroChangeWins === 'host') return { verdict: 'overwrite' };
      throw businessFailure('changed_in_xero', changedInXeroMessage(label, word, c.fields), {
        fields: c.fields.map((f) => ({ field: f.field, old: f.ours, new: f.xeros })),
      });
    },

    /**
     * An admin's Accept Xero's / Ignore: Xero's copy becomes what the engine compares with (the
     * same copy seen again is no drift; the host's next revision is written over it), the drift is
     * resolved. False when there was none to resolve (resolved meanwhile, or by an earlier attempt).
     */
    async resolveXeroDrift(input: Base & { action: 'accept_xero' | 'ignore' }): Promise<{ resolved: boolean }> {
      return db.transaction().execute(async (trx) => {
        const open = await openDriftOf(trx, input.accountId, input.orderNumber);
        if (!open) return { resolved: false };
        const link = await linkOf(trx, input);
        if (link && link.xero_id.toLowerCase() === open.xeroId.toLowerCase()) {
          const data = parseLinkData(invoiceLinkData, link) as Record<string, unknown>;
          await setLinkData(trx, input.accountId, linkKindOf(input), input.orderNumber, {
            ...data,
            written: open.xeroCopy,
          });
        }
        const resolution = input.action === 'accept_xero' ? 'accepted_xero' : 'ignored';
        await resolveOpenDrift(trx, input.accountId, input.orderNumber, resolution);
        await writeSyncLog(trx, input, {
          kind: linkKindOf(input) === 'credit_note' ? 'credit_note' : 'invoice',
          action: 'xero_resolve',
          outcome: 'success',
          xeroId: open.xeroId,
          message:
            input.action === 'accept_xero'
              ? `Xero's copy of ${xeroWordOf(input)} ${open.xeroNumber ?? open.xeroId} accepted: the sync compares with it from now on`
              : `the change in Xero to ${xeroWordOf(input)} ${open.xeroNumber ?? open.xeroId} ignored`,
        });
        return { resolved: true };
      });
    },
  };
}

/** The field changes were told already (with the open drift): a new payment alone does not repeat them. */
function sameFields(a: DriftChanges | undefined, fields: DriftField[]): boolean {
  if (!a) return false;
  const key = (fs: DriftField[]) => JSON.stringify(fs.map((f) => [f.field, f.ours, f.xeros]));
  return key(a.fields.filter((f) => !(a.closedInXero && f.field === 'status'))) === key(fields);
}

/**
 * The engine's write went over an accountant's change (Setup's "the host's version wins", or an
 * admin's Send our version again): the open drift is resolved in the write's transaction, and what
 * was overwritten goes into its log entry and host event.
 */
export async function resolveByOverwrite(
  trx: Transaction<Database>,
  input: Base,
  resolution: 'overwritten' | 'sent_ours',
): Promise<{ resolution: string; changes: Array<{ field: string; old: unknown; new: unknown }> } | undefined> {
  const open = await openDriftOf(trx, input.accountId, input.orderNumber);
  if (!(await resolveOpenDrift(trx, input.accountId, input.orderNumber, resolution))) return undefined;
  return {
    resolution,
    changes: (open?.changes.fields ?? []).map((f) => ({ field: f.field, old: f.ours, new: f.xeros })),
  };
}

/** "; it overwrote a change made in Xero (reference SO-1 → PO 77)": for the sync log. */
export function overwriteNote(
  o: { resolution: string; changes: Array<{ field: string; old: unknown; new: unknown }> } | undefined,
): string {
  if (!o) return '';
  const fields = describeFields(o.changes.map((c) => ({ field: c.field, ours: c.new, xeros: c.old })));
  const why =
    o.resolution === 'sent_ours' ? 'an admin chose Send our version again' : "Setup lets the host's version win";
  return `; it overwrote a change an accountant made in Xero${fields ? ` (${fields}, put back)` : ''}: ${why}`;
}
