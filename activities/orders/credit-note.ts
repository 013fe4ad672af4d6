import { CreditNote } from 'xero-node';
import {
  creditNoteNumberFor,
  sideOf,
  xeroCreditNoteFor,
  xeroTypeOf,
  type MappingContext,
} from '../../src/domain/document-mapping';
import type { Settings } from '../../src/domain/settings';
import type { AppliesTo, HostDocument } from '../../src/domain/documents';
import { unitDecimalsFor } from '../../src/domain/invoice-mapping';
import type { Order } from '../../src/domain/order';
import { documentLabel, documentRef, parseDocumentRef } from '../../src/documents/kinds';
import { businessFailure } from '../../src/orders/failures';
import { isDuplicateNumberRefusal, XeroApiError } from '../../src/xero/errors';
import { markOrderCancelled, requireInvoiceSetup, settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { facts, recordFact, tellHost } from './host-events';
import { linkFoundWhileCancelling } from './adopt';
import { checksBeforeWrite, totalsNote, type WrittenTotals } from './pre-write-checks';
import { refreshAfterRefusal } from './reference-lists';
import { liveContactId, withContact, withLiveContact } from './live-contact';
import { inOpenPeriod, movedNote, type Redated } from './open-period';
import { invoiceLinkDataOf, setLinkData, upsertLink } from './links';
import { copyOfCreditNote } from '../../src/xero-changes/written-copy';
import { overwriteNote, resolveByOverwrite } from './xero-drift';
import { activityInfo, writeKey, type Base, type InvoiceSummary, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';
import { xeroDate as xeroDateOf } from './payment';
import { xeroUrlFor } from './xero-links';

/**
 * A credit note in Xero (sales ACCRECCREDIT or purchases ACCPAYCREDIT): created once, revised,
 * voided or deleted when cancelled, and allocated exactly once to the order's invoice or the bill
 * it applies to, once both are in Xero.
 *
 * Exactly once: sales credit-note numbers are unique in Xero, so a create is refused when an
 * earlier attempt already wrote it, and the holder is adopted when it is ours. Purchase credit
 * notes carry the supplier's number (not unique): a retried attempt looks first for a credit note
 * of this contact with this number and date that no other host document is linked to.
 */

const CLOSED = new Set(['VOIDED', 'DELETED']);

function summary(cn: CreditNote): InvoiceSummary {
  return {
    id: cn.creditNoteID ?? '',
    number: cn.creditNoteNumber ?? '',
    status: String(cn.status ?? ''),
    total: Number(cn.total ?? 0),
  };
}

const labelOf = (b: Base) => documentLabel('credit_note', parseDocumentRef(b.orderNumber).hostId);

export function createCreditNoteActivities({ db, xero }: OrderModuleDeps) {
  /** A credit note of this contact with this number and date that no other host document is linked to. */
  async function findOwn(input: Base, contactId: string, number: string, date: string) {
    const candidates = (await xero.forAccount(input.accountId).creditNotesOfContact(contactId)).filter(
      (c) =>
        c.creditNoteNumber === number &&
        !CLOSED.has(String(c.status)) &&
        String(c.contact?.contactID ?? contactId) === contactId &&
        xeroDateOf(c.date) === date,
    );
    if (candidates.length === 0) return undefined;
    const linked = await db
      .selectFrom('entity_links')
      .select('xero_id')
      .where('account_id', '=', input.accountId)
      .where('kind', '=', 'credit_note')
      .where('host_id', '!=', input.orderNumber)
      .where(
        'xero_id',
        'in',
        candidates.map((c) => c.creditNoteID ?? ''),
      )
      .execute();
    const taken = new Set(linked.map((l) => l.xero_id));
    return candidates.find((c) => !taken.has(c.creditNoteID ?? ''));
  }

  /** Void an authorised credit note, delete a draft or submitted one. */
  async function cancelById(input: Base, creditNoteId: string): Promise<{ status: string }> {
    const gw = xero.forAccount(input.accountId);
    const cn = await gw.creditNote(creditNoteId);
    let status = String(cn?.status ?? 'DELETED');
    let answer = cn;
    if (status === 'DRAFT' || status === 'SUBMITTED' || status === 'AUTHORISED') {
      const target = status === 'AUTHORISED' ? CreditNote.StatusEnum.VOIDED : CreditNote.StatusEnum.DELETED;
      const updated = await gw.updateCreditNote(creditNoteId, { status: target } as CreditNote, {
        idempotencyKey: writeKey(input.workflowId, 'cancel', creditNoteId),
      });
      status = String(updated.status ?? target);
      answer = updated;
    }
    const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber, 'credit_note');
    await commitXeroResult(db, async (trx) => {
      await setLinkData(trx, input.accountId, 'credit_note', input.orderNumber, {
        ...data,
        status,
        ...(answer ? { written: copyOfCreditNote(answer) } : {}),
      });
      await markOrderCancelled(trx, input);
      await recordFact(
        trx,
        input,
        {
          type: 'document.updated',
          data: { creditNoteId: creditNoteId, status },
          factKey: `${input.workflowId}|document.cancelled`,
        },
        {
          kind: 'credit_note',
          action: 'cancel',
          outcome: 'success',
          xeroId: creditNoteId,
          message: `credit note ${status === 'VOIDED' ? 'voided' : status === 'DELETED' ? 'deleted' : status} (${labelOf(input)} cancelled)`,
        },
      );
    });
    return { status };
  }

  /**
   * What a create and a revision both do before writing: the setup the side needs, the checks
   * before writing (currency, codes, totals), and the payload for any (re-dated) version.
   */
  async function payloadBuilder(
    input: Base & { order: HostDocument; contactId: string },
    settings: Settings,
    forUpdate: boolean,
  ): Promise<{ build: (doc: HostDocument) => CreditNote; totals?: WrittenTotals }> {
    const side = sideOf('credit_note', input.order);
    requireInvoiceSetup(settings, side, input.order.lines);
    const checks = await checksBeforeWrite({ db, xero }, input.accountId, input.order, side, settings);
    const mapping: MappingContext = {
      settings,
      contactId: input.contactId,
      ...(forUpdate ? { forUpdate } : {}),
      ...(checks.itemAccount ? { itemAccount: checks.itemAccount } : {}),
    };
    const { extraLines, totals } = await checks.verify(
      () => xeroCreditNoteFor(input.order, mapping).lineItems ?? [],
      settings.lineAmountTypes,
      unitDecimalsFor(input.order as Order),
    );
    return {
      build: (doc) => xeroCreditNoteFor(doc, { ...mapping, extraLines }),
      ...(totals ? { totals } : {}),
    };
  }

  return {
    async createCreditNote(
      input: Base & {
        order: HostDocument;
        revision: number;
        contactId: string;
        /** Created again after a void or delete in Xero (issue 13): the credit note it replaces. */
        replaces?: { id: string; number: string; n: number; resolution: 'overwritten' | 'sent_ours' };
      },
    ): Promise<InvoiceSummary & { syncedRevision: number | null }> {
      const doc = input.order;
      const settings = await settingsOf(db, input.accountId);
      const side = sideOf('credit_note', doc);
      const built = await payloadBuilder(input, settings, false);
      const { totals } = built;
      const gw = xero.forAccount(input.accountId);
      let number = creditNoteNumberFor(doc, settings);
      let dated: Redated = { date: doc.date };
      let existing: CreditNote | undefined;
      // The customer's contact as it stands (a stale link replaced meanwhile), and as the write went through.
      let contactId = await liveContactId(db, input);
      // As for sales invoices: a voided sales credit note keeps its number, the new one is "<number>-R<n>".
      if (input.replaces && side === 'sales' && number) {
        const holders = (await gw.creditNotesOfContact(contactId)).filter((c) => c.creditNoteNumber === number);
        if (holders.length > 0 && holders.every((c) => String(c.status) === 'VOIDED'))
          number = `${number}-R${input.replaces.n}`;
      }
      const renumbered = input.replaces && side === 'sales' ? number : undefined;
      const build = (d: HostDocument) => {
        const cn = built.build(d);
        if (renumbered) cn.creditNoteNumber = renumbered;
        return cn;
      };
      if (side === 'purchases' && (activityInfo()?.attempt ?? 1) > 1)
        existing = await findOwn(input, contactId, number, doc.date);
      let cn = existing;
      if (!cn) {
        try {
          // A contact Xero no longer has is resolved again and the create sent once more (live-contact.ts).
          const { result: r } = await withLiveContact({ db, xero }, { ...input, contactId }, (cid, relinked) => {
            contactId = cid;
            return inOpenPeriod(settings, gw, doc, (d, redated) =>
              gw.createCreditNote(withContact(build(d), cid), {
                idempotencyKey: writeKey(
                  input.workflowId,
                  'credit_note',
                  input.revision,
                  ...(input.replaces ? ['recreate', input.replaces.n] : []),
                  ...(relinked ? ['contact', cid] : []),
                  ...(redated ? ['open-period'] : []),
                ),
                unitdp: unitDecimalsFor(doc as Order),
              }),
            );
          });
          cn = r.result;
          dated = r.dated;
        } catch (err) {
          if (side !== 'sales' || !isDuplicateNumberRefusal(err)) {
            await refreshAfterRefusal({ db, xero }, input.accountId, err);
            throw err;
          }
          existing = await findOwn(input, contactId, number, doc.date);
          if (!existing)
            throw businessFailure(
              'number_taken',
              `credit note number ${number} is already used in Xero by another credit note: nothing was created. Change the number (or the credit-note prefix in Setup), then retry`,
              { creditNoteNumber: number },
            );
          cn = existing;
        }
      }
      const s0 = summary(cn);
      const xeroUrl = await xeroUrlFor(db, xero, input.accountId, xeroTypeOf('credit_note', doc), s0.id);
      const s = { ...s0, ...(xeroUrl ? { xeroUrl } : {}) };
      const syncedRevision = existing ? null : input.revision;
      await commitXeroResult(db, async (trx) => {
        const fresh = await upsertLink(trx, input.accountId, 'credit_note', input.orderNumber, s.id, s.number, {
          status: s.status,
          total: s.total,
          syncedRevision: syncedRevision ?? -1,
          contactId,
          customerId: doc.customer?.id ?? `xero:${contactId}`,
          ...(xeroUrl ? { xeroUrl } : {}),
          written: copyOfCreditNote(cn),
        });
        await writeSyncLog(trx, input, {
          kind: 'credit_note',
          action: existing ? 'adopt' : 'create',
          outcome: 'success',
          xeroId: s.id,
          message: `credit note ${s.number} ${existing ? 'found' : 'created'} (${s.status}, total ${s.total})${movedNote(dated)}${existing ? '' : totalsNote(totals)}`,
          ...(xeroUrl ? { xeroUrl } : {}),
        });
        const replaced = input.replaces ? await resolveByOverwrite(trx, input, input.replaces.resolution) : undefined;
        if (input.replaces)
          await writeSyncLog(trx, input, {
            kind: 'credit_note',
            action: 'recreate',
            outcome: 'success',
            xeroId: s.id,
            message: `credit note ${s.number} created again in Xero in place of ${input.replaces.number || input.replaces.id}, which was voided or deleted there${overwriteNote(replaced)}`,
          });
        if (fresh || input.replaces)
          await tellHost(
            trx,
            input,
            'document.exported',
            {
              ...(input.replaces
                ? { replaces: { creditNoteId: input.replaces.id, creditNoteNumber: input.replaces.number } }
                : {}),
              creditNoteId: s.id,
              creditNoteNumber: s.number,
              status: s.status,
              total: s.total,
              ...(xeroUrl ? { xeroUrl } : {}),
              ...(totals && !existing ? { totals } : {}),
            },
            input.replaces
              ? `${input.workflowId}|document.exported|recreate:${input.replaces.n}`
              : `${input.workflowId}|document.exported`,
          );
      });
      return { ...s, syncedRevision };
    },

    async reviseCreditNote(
      input: Base & {
        creditNoteId: string;
        order: HostDocument;
        revision: number;
        contactId: string;
        /** Written over an accountant's change in Xero (issue 13): how its drift is resolved. */
        overwrites?: 'overwritten' | 'sent_ours';
      },
    ): Promise<{ outcome: 'updated'; invoice: InvoiceSummary; allocationLifted?: boolean } | { outcome: 'skipped' }> {
      const doc = input.order;
      const settings = await settingsOf(db, input.accountId);
      if (!settings.syncInvoiceEdits) {
        await writeSyncLog(db, input, {
          kind: 'credit_note',
          action: 'update',
          outcome: 'skipped',
          xeroId: input.creditNoteId,
          message: `revision ${input.revision} not sent: setup does not sync edits of exported documents`,
        });
        return { outcome: 'skipped' };
      }
      const { build, totals } = await payloadBuilder(input, settings, true);
      const gw = xero.forAccount(input.accountId);
      // Xero refuses to edit an allocated credit note: the allocation comes off, and the workflow
      // allocates again after the revision (with the revised amount).
      const before = await invoiceLinkDataOf(db, input.accountId, input.orderNumber, 'credit_note');
      if (before.allocation) {
        if (!before.allocation.lifted)
          await gw.deleteCreditNoteAllocation(input.creditNoteId, before.allocation.allocationId);
        const { allocation: _lifted, ...rest } = before;
        await commitXeroResult(db, (trx) => setLinkData(trx, input.accountId, 'credit_note', input.orderNumber, rest));
      }
      // As for a create: a contact Xero no longer has is resolved again (live-contact.ts).
      const live = { ...input, contactId: await liveContactId(db, input) };
      const { result: cn } = await withLiveContact({ db, xero }, live, (cid, relinked) =>
        gw.updateCreditNote(input.creditNoteId, withContact(build(doc), cid), {
          idempotencyKey: writeKey(input.workflowId, 'revise', input.revision, ...(relinked ? ['contact', cid] : [])),
          unitdp: unitDecimalsFor(doc as Order),
        }),
      ).catch(async (err: unknown) => {
        await refreshAfterRefusal({ db, xero }, input.accountId, err);
        throw err;
      });
      const s = summary(cn);
      const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber, 'credit_note');
      await commitXeroResult(db, async (trx) => {
        await setLinkData(trx, input.accountId, 'credit_note', input.orderNumber, {
          ...data,
          status: s.status,
          total: s.total,
          syncedRevision: input.revision,
          written: copyOfCreditNote(cn),
        });
        const overwrote = input.overwrites ? await resolveByOverwrite(trx, input, input.overwrites) : undefined;
        await recordFact(
          trx,
          input,
          {
            type: 'document.updated',
            data: {
              creditNoteId: s.id,
              status: s.status,
              total: s.total,
              revision: input.revision,
              ...(totals ? { totals } : {}),
              ...(overwrote ? { overwroteXeroChange: overwrote } : {}),
            },
            // Send our version again may re-send a revision already told: this write is its own fact.
            factKey:
              (input.overwrites === 'sent_ours' ? facts.scheduled('document.updated') : undefined) ??
              `${input.workflowId}|document.updated|rev:${input.revision}`,
          },
          {
            kind: 'credit_note',
            action: 'update',
            outcome: 'success',
            xeroId: s.id,
            message: `credit note ${s.number} updated to revision ${input.revision} (total ${s.total})${totalsNote(totals)}${overwriteNote(overwrote)}`,
          },
        );
      });
      return {
        outcome: 'updated',
        invoice: { ...s, ...(data.xeroUrl ? { xeroUrl: data.xeroUrl } : {}) },
        ...(before.allocation ? { allocationLifted: true } : {}),
      };
    },

    /**
     * Cancelled before the workflow knew of a credit note in Xero: a create whose answer was lost
     * may still have made one, so Xero is asked (this contact, number and date) before concluding
     * there is nothing to void.
     */
    async cancelUnsyncedCreditNote(
      input: Base & { creditNote: HostDocument; contactId?: string },
    ): Promise<{ status?: string; invoice?: InvoiceSummary & { syncedRevision: null } }> {
      const doc = input.creditNote;
      if (input.contactId) {
        const settings = await settingsOf(db, input.accountId);
        const found = await findOwn(input, input.contactId, creditNoteNumberFor(doc, settings), doc.date);
        if (found?.creditNoteID) {
          const s = summary(found);
          await linkFoundWhileCancelling(
            db,
            input,
            'credit_note',
            s,
            input.contactId,
            `credit note ${s.number} found in Xero (${s.status}) while cancelling ${labelOf(input)}`,
          );
          const { status } = await cancelById(input, s.id);
          return { status, invoice: { ...s, status, syncedRevision: null } };
        }
      }
      await db.transaction().execute(async (trx) => {
        await markOrderCancelled(trx, input);
        await writeSyncLog(trx, input, {
          kind: 'credit_note',
          action: 'cancel',
          outcome: 'skipped',
          message: `${labelOf(input)} cancelled before it was created (none in Xero): nothing to do in Xero`,
        });
      });
      return {};
    },

    /** Void an authorised credit note, delete a draft or submitted one. */
    async cancelCreditNote(input: Base & { creditNoteId: string }): Promise<{ status: string }> {
      return cancelById(input, input.creditNoteId);
    },

    /**
     * Allocates the credit note to the Xero document of what it applies to, once that exists
     * (until then: `waiting`). Exactly once: a second scheduling asks Xero for the credit note's
     * allocations first; the allocation is stored with the credit note's link.
     */
    async allocateCreditNote(
      input: Base & { creditNoteId: string; appliesTo: AppliesTo; total: number; date: string; lookFirst: boolean },
    ): Promise<
      | { outcome: 'allocated'; invoiceId: string; amount: number; allocationId: string }
      | { outcome: 'waiting'; message: string }
    > {
      const target = documentLabel(input.appliesTo.kind, input.appliesTo.id);
      const link = await db
        .selectFrom('entity_links')
        .select(['xero_id', 'data'])
        .where('account_id', '=', input.accountId)
        .where('kind', '=', 'invoice')
        .where('host_id', '=', documentRef(input.appliesTo.kind, input.appliesTo.id))
        .executeTakeFirst();
      if (!link)
        return { outcome: 'waiting', message: `waiting for ${target} to be in Xero before allocating the credit` };
      const invoiceId = link.xero_id;
      const amount = input.appliesTo.amount ?? input.total;
      const gw = xero.forAccount(input.accountId);
      let allocationId: string | undefined;
      if (input.lookFirst || (activityInfo()?.attempt ?? 1) > 1) {
        const cn = await gw.creditNote(input.creditNoteId);
        const found = (cn?.allocations ?? []).find(
          (a) => a.invoice?.invoiceID === invoiceId && Math.abs(Number(a.amount) - amount) < 0.005,
        );
        allocationId = found ? (found.allocationID ?? `${input.creditNoteId}:${invoiceId}`) : undefined;
      }
      if (!allocationId) {
        try {
          const a = await gw.allocateCreditNote(
            input.creditNoteId,
            { invoiceId, amount, date: input.date },
            { idempotencyKey: writeKey(input.workflowId, 'allocate', invoiceId, amount) },
          );
          allocationId = a.allocationID ?? `${input.creditNoteId}:${invoiceId}`;
        } catch (err) {
          if (err instanceof XeroApiError && err.kind === 'validation')
            throw businessFailure(
              'xero_rejected',
              `Xero refused to allocate ${amount.toFixed(2)} of ${labelOf(input)} to ${target}: ${err.message}. Correct the amount or the documents (same contact and currency, both authorised, no more than what remains on either), then retry`,
              { xero: err.validationMessages, appliesTo: input.appliesTo },
            );
          throw err;
        }
      }
      const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber, 'credit_note');
      const allocation = { invoiceId, amount, allocationId, date: input.date };
      await commitXeroResult(db, async (trx) => {
        await setLinkData(trx, input.accountId, 'credit_note', input.orderNumber, { ...data, allocation });
        await recordFact(
          trx,
          input,
          {
            type: 'document.allocated',
            data: { creditNoteId: input.creditNoteId, invoiceId, amount, appliesTo: input.appliesTo },
            factKey: `${input.workflowId}|document.allocated|${invoiceId}`,
          },
          {
            kind: 'credit_note',
            action: 'allocate',
            outcome: 'success',
            xeroId: input.creditNoteId,
            message: `${amount.toFixed(2)} of ${labelOf(input)} allocated to ${target}`,
          },
        );
      });
      return { outcome: 'allocated', invoiceId, amount, allocationId };
    },
  };
}
