import { Invoice } from 'xero-node';
import { sideOf, xeroInvoiceFor, xeroTypeOf, type MappingContext } from '../../src/domain/document-mapping';
import type { HostDocument } from '../../src/domain/documents';
import { invoiceNumberFor, unitDecimalsFor } from '../../src/domain/invoice-mapping';
import type { Order } from '../../src/domain/order';
import type { Settings } from '../../src/domain/settings';
import { documentLabel, parseDocumentRef, type DocumentKind } from '../../src/documents/kinds';
import { carriesMarker, markedUrl } from '../../src/documents/marker';
import { businessFailure } from '../../src/orders/failures';
import { isDuplicateNumberRefusal } from '../../src/xero/errors';
import { markOrderCancelled, requireInvoiceSetup, settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { facts, recordFact, tellHost } from './host-events';
import { invoiceLinkDataOf, setLinkData, upsertLink } from './links';
import { linkFoundWhileCancelling } from './adopt';
import { liftAllocations, restoreAllocations } from './allocations';
import { liveContactId, withContact, withLiveContact } from './live-contact';
import { inOpenPeriod, movedNote, type Redated } from './open-period';
import { checksBeforeWrite, totalsNote, type WrittenTotals } from './pre-write-checks';
import { refreshAfterRefusal } from './reference-lists';
import { activityInfo, writeKey, type Base, type InvoiceSummary, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';
import { xeroUrlFor } from './xero-links';
import { copyOfInvoice } from '../../src/xero-changes/written-copy';
import { overwriteNote, resolveByOverwrite } from './xero-drift';
import { resolveOpenDrift } from '../../src/xero-changes/drift-store';

const kindOfBase = (b: Base): DocumentKind => b.documentKind ?? 'order';
const labelOfBase = (b: Base) => documentLabel(kindOfBase(b), parseDocumentRef(b.orderNumber).hostId);
/** Words for the Xero document of a kind: "invoice", "bill". */
const xeroWord = (b: Base) => (kindOfBase(b) === 'bill' ? 'bill' : 'invoice');

/** The order's Xero invoice: created once, revised with the order, voided or deleted when it is cancelled. */

const CLOSED_STATUSES = new Set(['VOIDED', 'DELETED']);

/** Ours: made for this order's contact (the contact is the host customer's, found by its ContactNumber) and a sales invoice. */
function isOurInvoice(inv: Invoice, contactId: string): boolean {
  return (
    inv.contact?.contactID === contactId &&
    String(inv.type ?? 'ACCREC') === 'ACCREC' &&
    !CLOSED_STATUSES.has(String(inv.status))
  );
}

/** The number belongs to another invoice: a failure that names it (retrying cannot help). */
function numberTaken(number: string, holders: Invoice[]) {
  const named = holders
    .map((i) => `${i.invoiceID} (${String(i.status)}, contact "${i.contact?.name ?? i.contact?.contactID ?? '?'}")`)
    .join(', ');
  return businessFailure(
    'number_taken',
    `invoice number ${number} is already used in Xero by ${named || 'another invoice'}: it is not this order's, so nothing was created. Change the order number (or the invoice prefix in Setup), or remove the other invoice in Xero, then retry`,
    { invoiceNumber: number, conflicting: holders.map((i) => i.invoiceID) },
  );
}

/**
 * The number of a sales invoice created again in place of a voided one, which keeps its number in
 * Xero ("Invoice # must be unique."): the order number with "-R1", "-R2", … for each re-creation.
 */
export function recreatedNumber(number: string, n: number): string {
  return `${number}-R${n}`;
}

function summary(inv: Invoice): InvoiceSummary {
  return {
    id: inv.invoiceID ?? '',
    number: inv.invoiceNumber ?? '',
    status: String(inv.status ?? ''),
    total: Number(inv.total ?? 0),
  };
}

export function createInvoiceActivities({ db, xero, publicUrl }: OrderModuleDeps) {
  /**
   * The Url Xero keeps on the document: orders carry the host's link as it is (their numbers are
   * unique); bills and deal invoices carry it marked, to recognise their own earlier write.
   */
  const urlFor = (input: Base, doc: HostDocument) =>
    kindOfBase(input) === 'order' ? doc.url : markedUrl(doc.url, publicUrl, input.workflowId);

  /**
   * What a create and a revision both do before writing: the setup the document's side needs, its
   * lines checked against the organisation, and the payload for any (re-dated) version of it.
   */
  async function payloadBuilder(
    input: Base & { order: HostDocument; contactId: string },
    settings: Settings,
    forUpdate: boolean,
  ): Promise<{ build: (doc: HostDocument) => Invoice; totals?: WrittenTotals }> {
    const kind = kindOfBase(input);
    const side = sideOf(kind, input.order);
    requireInvoiceSetup(settings, side, input.order.lines);
    const checks = await checksBeforeWrite({ db, xero }, input.accountId, input.order, side, settings);
    const url = urlFor(input, input.order);
    const mapping: MappingContext = {
      settings,
      contactId: input.contactId,
      ...(forUpdate ? { forUpdate } : {}),
      ...(url ? { url } : {}),
      ...(checks.itemAccount ? { itemAccount: checks.itemAccount } : {}),
    };
    const { extraLines, totals } = await checks.verify(
      () => xeroInvoiceFor(kind, input.order, mapping).lineItems ?? [],
      settings.lineAmountTypes,
      unitDecimalsFor(input.order as Order),
    );
    return {
      build: (doc) => xeroInvoiceFor(kind, doc, { ...mapping, extraLines }),
      ...(totals ? { totals } : {}),
    };
  }

  /** Bills and deal invoices: our own earlier write of this document (its Url carries our marker). */
  async function ownEarlierWrite(input: Base, contactId: string): Promise<Invoice | undefined> {
    const recent = await xero.forAccount(input.accountId).recentInvoicesOfContact(contactId);
    return recent.find((i) => carriesMarker(i.url, input.workflowId) && !CLOSED_STATUSES.has(String(i.status)));
  }

  /** Void (authorised) or delete (draft, submitted) one invoice; refuses while payments are on it. */
  async function cancelById(input: Base, invoiceId: string): Promise<{ status: string }> {
    const gw = xero.forAccount(input.accountId);
    const invoice = await gw.invoice(invoiceId);
    let status = String(invoice?.status ?? 'DELETED');
    let action = 'none';
    let answer = invoice;
    if (status === 'DRAFT' || status === 'SUBMITTED' || status === 'AUTHORISED') {
      const target = status === 'AUTHORISED' ? Invoice.StatusEnum.VOIDED : Invoice.StatusEnum.DELETED;
      if (
        status === 'AUTHORISED' &&
        ((invoice?.payments ?? []).some((p) => String(p.status ?? '') !== 'DELETED') ||
          Number(invoice?.amountPaid ?? 0) > 0)
      ) {
        throw businessFailure(
          'payments_allocated',
          `the ${xeroWord(input)} has payments in Xero: remove the payments (in the host) before ${labelOfBase(input)} can be cancelled, then retry`,
        );
      }
      const updated = await gw.updateInvoice(
        invoiceId,
        { status: target },
        { idempotencyKey: writeKey(input.workflowId, 'cancel', invoiceId) },
      );
      status = String(updated.status ?? target);
      answer = updated;
      action = target === Invoice.StatusEnum.VOIDED ? 'void' : 'delete';
    } else if (status === 'PAID') {
      throw businessFailure(
        'payments_allocated',
        `the ${xeroWord(input)} is paid: remove its payments (in the host) before ${labelOfBase(input)} can be cancelled, then retry`,
      );
    }
    const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber);
    await commitXeroResult(db, async (trx) => {
      await setLinkData(trx, input.accountId, 'invoice', input.orderNumber, {
        ...data,
        status,
        ...(answer ? { written: copyOfInvoice(answer) } : {}),
      });
      await markOrderCancelled(trx, input);
      // Already closed in Xero by someone else: the host's cancel agrees with Xero, nothing is left to reconcile.
      if (action === 'none' && CLOSED_STATUSES.has(status))
        await resolveOpenDrift(trx, input.accountId, input.orderNumber, 'accepted_xero');
      await recordFact(
        trx,
        input,
        {
          type: kindOfBase(input) === 'order' ? 'invoice.updated' : 'document.updated',
          data: { invoiceId: invoiceId, status },
          factKey: facts.invoiceCancelled(input.workflowId),
        },
        {
          kind: 'invoice',
          action: action === 'none' ? 'cancel' : action,
          outcome: 'success',
          xeroId: invoiceId,
          message:
            action === 'none'
              ? `${xeroWord(input)} already ${status}`
              : `${xeroWord(input)} ${action === 'void' ? 'voided' : 'deleted'} (${labelOfBase(input)} cancelled)`,
        },
      );
    });
    return { status };
  }

  return {
    /**
     * Creates the invoice, or adopts the one an earlier attempt already created. Xero refuses a
     * second sales invoice with a number: after that refusal the invoice holding the number is adopted
     * only when it is ours — for this order's contact and still open — and otherwise the order fails
     * naming it.
     */
    async createInvoice(
      input: Base & {
        order: HostDocument;
        revision: number;
        contactId: string;
        /** Created again after a void or delete in Xero (issue 13): the document it replaces. */
        replaces?: { id: string; number: string; n: number; resolution: 'overwritten' | 'sent_ours' };
      },
    ): Promise<InvoiceSummary & { syncedRevision: number | null }> {
      const kind = kindOfBase(input);
      const settings = await settingsOf(db, input.accountId);
      const built = await payloadBuilder(input, settings, false);
      const { totals } = built;
      const gw = xero.forAccount(input.accountId);
      let number =
        kind === 'order'
          ? invoiceNumberFor(input.order.number, settings)
          : (built.build(input.order).invoiceNumber ?? '');
      // A voided sales invoice keeps its number in Xero (a deleted one frees it): the invoice made
      // again in its place is numbered "<number>-R<n>" (the n-th re-creation); see recreatedNumber.
      // Sales invoices only: a bill's number is the supplier's and need not be unique.
      const uniqueNumber = number !== '' && String(xeroTypeOf(kind, input.order)) === 'ACCREC';
      if (uniqueNumber && input.replaces) {
        const holders = await gw.invoicesNumbered(number);
        if (holders.length > 0 && holders.every((i) => String(i.status) === 'VOIDED'))
          number = recreatedNumber(number, input.replaces.n);
      }
      const renumbered = uniqueNumber && input.replaces ? number : undefined;
      const build = (doc: HostDocument) => {
        const inv = built.build(doc);
        if (renumbered) inv.invoiceNumber = renumbered;
        return inv;
      };
      let dated: Redated = { date: input.order.date };
      // The customer's contact as it stands (a stale link replaced meanwhile), and as the write went through.
      let contactId = await liveContactId(db, input);
      const ours = (inv: Invoice) => isOurInvoice(inv, contactId);
      let existing: Invoice | undefined;
      let invoice: Invoice | undefined;
      let syncedRevision: number | null = input.revision;
      // Bills and deal invoices have no unique number to be refused on: a retried attempt (its first
      // answer lost, perhaps after Xero forgot the key) looks for its own write before writing again.
      if (kind !== 'order' && (activityInfo()?.attempt ?? 1) > 1) {
        existing = await ownEarlierWrite(input, contactId);
        invoice = existing;
      }
      if (!invoice) {
        // Create first: Xero refuses a second sales invoice with this number, and that refusal is the
        // signal to look (a create whose answer was lost, a reset, an earlier run) — one call when all is well.
        try {
          // A contact Xero no longer has is resolved again and the create sent once more (live-contact.ts).
          const { result: r } = await withLiveContact({ db, xero }, { ...input, contactId }, (cid, relinked) => {
            contactId = cid;
            return inOpenPeriod(settings, gw, input.order, (doc, redated) =>
              gw.createInvoice(withContact(build(doc), cid), {
                idempotencyKey: writeKey(
                  input.workflowId,
                  'invoice',
                  input.revision,
                  ...(input.replaces ? ['recreate', input.replaces.n] : []),
                  ...(relinked ? ['contact', cid] : []),
                  ...(redated ? ['open-period'] : []),
                ),
                unitdp: unitDecimalsFor(input.order as Order),
              }),
            );
          });
          invoice = r.result;
          dated = r.dated;
        } catch (err) {
          if (kind !== 'order' || !isDuplicateNumberRefusal(err)) {
            await refreshAfterRefusal({ db, xero }, input.accountId, err);
            throw err;
          }
          const numbered = await gw.invoicesNumbered(number);
          existing = numbered.find(ours);
          if (!existing) throw numberTaken(number, numbered);
          invoice = existing;
        }
      }
      // An adopted document's content is unknown (an earlier revision, perhaps): the revise step re-sends this one.
      if (existing) syncedRevision = null;
      const s0 = summary(invoice);
      const xeroUrl = await xeroUrlFor(db, xero, input.accountId, xeroTypeOf(kind, input.order), s0.id);
      const s = { ...s0, ...(xeroUrl ? { xeroUrl } : {}) };
      const word = xeroWord(input);
      await commitXeroResult(db, async (trx) => {
        const fresh = await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          status: s.status,
          total: s.total,
          syncedRevision: syncedRevision ?? -1,
          contactId,
          customerId: input.order.customer?.id ?? `xero:${contactId}`,
          ...(xeroUrl ? { xeroUrl } : {}),
          written: copyOfInvoice(invoice),
        });
        await writeSyncLog(trx, input, {
          kind: kind === 'bill' ? 'bill' : 'invoice',
          action: existing ? 'adopt' : 'create',
          outcome: 'success',
          xeroId: s.id,
          message: `${word} ${s.number || '(numbered by Xero)'} ${existing ? 'found' : 'created'} (${s.status}, total ${s.total})${movedNote(dated)}${existing ? '' : totalsNote(totals)}`,
          ...(xeroUrl ? { xeroUrl } : {}),
        });
        const replaced = input.replaces ? await resolveByOverwrite(trx, input, input.replaces.resolution) : undefined;
        if (input.replaces)
          await writeSyncLog(trx, input, {
            kind: kind === 'bill' ? 'bill' : 'invoice',
            action: 'recreate',
            outcome: 'success',
            xeroId: s.id,
            message: `${word} ${s.number} created again in Xero in place of ${input.replaces.number || input.replaces.id}, which was voided or deleted there${overwriteNote(replaced)}`,
          });
        if (fresh || input.replaces) {
          await tellHost(
            trx,
            input,
            kind === 'order' ? 'invoice.exported' : 'document.exported',
            {
              ...(input.replaces
                ? { replaces: { invoiceId: input.replaces.id, invoiceNumber: input.replaces.number } }
                : {}),
              invoiceId: s.id,
              invoiceNumber: s.number,
              status: s.status,
              total: s.total,
              ...(xeroUrl ? { xeroUrl } : {}),
              ...(dated.movedFrom ? { date: dated.date, dateMovedFrom: dated.movedFrom } : {}),
              ...(totals && !existing ? { totals } : {}),
              ...(kind === 'order' && settings.exportedJobStatus ? { jobStatus: settings.exportedJobStatus } : {}),
            },
            input.replaces
              ? `${facts.invoiceExported(input.workflowId)}|recreate:${input.replaces.n}`
              : facts.invoiceExported(input.workflowId),
          );
        }
      });
      return { ...s, syncedRevision };
    },

    /**
     * Sends a revised order to the invoice: lines, totals, reference, dates. Lines are replaced (no
     * LineItemIDs are sent, so Xero drops the old ones and adds the new). Xero refuses to edit an
     * invoice with payments allocated, so with payments the workflow first removes them
     * ('payments_first') and re-applies them after this update.
     */
    async reviseInvoice(
      input: Base & {
        invoiceId: string;
        order: HostDocument;
        revision: number;
        contactId: string;
        syncedPayments: number;
        /** Written over an accountant's change in Xero (issue 13): how its drift is resolved. */
        overwrites?: 'overwritten' | 'sent_ours';
      },
    ): Promise<
      { outcome: 'updated'; invoice: InvoiceSummary } | { outcome: 'skipped' } | { outcome: 'payments_first' }
    > {
      const settings = await settingsOf(db, input.accountId);
      if (!settings.syncInvoiceEdits) {
        await writeSyncLog(db, input, {
          kind: 'invoice',
          action: 'update',
          outcome: 'skipped',
          xeroId: input.invoiceId,
          message: `revision ${input.revision} not sent: setup does not sync edits of exported invoices`,
        });
        return { outcome: 'skipped' };
      }
      if (input.syncedPayments > 0) return { outcome: 'payments_first' };
      const { build, totals } = await payloadBuilder(input, settings, true);
      const gw = xero.forAccount(input.accountId);
      // Xero refuses to edit a document with a credit note allocated: ours come off first and go back after.
      const credits = await liftAllocations(db, gw, input.accountId, input.invoiceId);
      // As for a create: a contact Xero no longer has is resolved again (live-contact.ts).
      const live = { ...input, contactId: await liveContactId(db, input) };
      const {
        result: { result: invoice, dated },
        contactId,
      } = await withLiveContact({ db, xero }, live, (cid, relinked) =>
        inOpenPeriod(settings, gw, input.order, (doc, redated) =>
          gw.updateInvoice(input.invoiceId, withContact(build(doc), cid), {
            idempotencyKey: writeKey(
              input.workflowId,
              'revise',
              input.revision,
              ...(relinked ? ['contact', cid] : []),
              ...(redated ? ['open-period'] : []),
            ),
            unitdp: unitDecimalsFor(input.order as Order),
          }),
        ),
      ).catch(async (err: unknown) => {
        await refreshAfterRefusal({ db, xero }, input.accountId, err);
        throw err;
      });
      if (credits > 0)
        await restoreAllocations(db, gw, input.accountId, input.workflowId, input.invoiceId, labelOfBase(input));
      const s = summary(invoice);
      const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber);
      await commitXeroResult(db, async (trx) => {
        await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          ...data,
          status: s.status,
          total: s.total,
          syncedRevision: input.revision,
          contactId,
          customerId: input.order.customer?.id ?? `xero:${contactId}`,
          written: copyOfInvoice(invoice),
        });
        const overwrote = input.overwrites ? await resolveByOverwrite(trx, input, input.overwrites) : undefined;
        const type = kindOfBase(input) === 'order' ? 'invoice.updated' : 'document.updated';
        await recordFact(
          trx,
          input,
          {
            type,
            data: {
              invoiceId: s.id,
              invoiceNumber: s.number,
              status: s.status,
              total: s.total,
              revision: input.revision,
              ...(totals ? { totals } : {}),
              ...(overwrote ? { overwroteXeroChange: overwrote } : {}),
            },
            // Send our version again may re-send a revision already told: this write is its own fact.
            factKey:
              (input.overwrites === 'sent_ours' ? facts.scheduled(type) : undefined) ??
              facts.invoiceRevised(input.workflowId, input.revision),
          },
          {
            kind: kindOfBase(input) === 'bill' ? 'bill' : 'invoice',
            action: 'update',
            outcome: 'success',
            xeroId: s.id,
            message: `${xeroWord(input)} ${s.number} updated to revision ${input.revision} (total ${s.total})${movedNote(dated)}${totalsNote(totals)}${overwriteNote(overwrote)}`,
          },
        );
      });
      return { outcome: 'updated', invoice: s };
    },

    /** Cancelled order: void an authorised invoice, delete a draft or submitted one (Xero's only allowed moves). */
    async cancelInvoice(input: Base & { invoiceId: string }): Promise<{ status: string }> {
      return cancelById(input, input.invoiceId);
    },

    /**
     * Cancelled before the workflow knew of an invoice: a create whose answer was lost may still
     * have made one, so Xero is asked (by number, for this order's contact) before concluding there
     * is nothing to void.
     */
    async cancelUnsyncedOrder(
      input: Base & { contactId?: string },
    ): Promise<{ status?: string; invoice?: InvoiceSummary & { syncedRevision: null } }> {
      if (input.contactId) {
        const settings = await settingsOf(db, input.accountId);
        const found =
          kindOfBase(input) === 'order'
            ? (
                await xero.forAccount(input.accountId).invoicesNumbered(invoiceNumberFor(input.orderNumber, settings))
              ).find((i) => isOurInvoice(i, input.contactId!))
            : await ownEarlierWrite(input, input.contactId);
        if (found?.invoiceID) {
          const s = summary(found);
          await linkFoundWhileCancelling(
            db,
            input,
            'invoice',
            s,
            input.contactId,
            `${xeroWord(input)} ${s.number} found in Xero (${s.status}) while cancelling ${labelOfBase(input)}`,
          );
          const { status } = await cancelById(input, s.id);
          return { status, invoice: { ...s, status, syncedRevision: null } };
        }
      }
      await db.transaction().execute(async (trx) => {
        await markOrderCancelled(trx, input);
        await writeSyncLog(trx, input, {
          kind: 'invoice',
          action: 'cancel',
          outcome: 'skipped',
          message: `${labelOfBase(input)} cancelled before its ${xeroWord(input)} was created (none in Xero): nothing to do in Xero`,
        });
      });
      return {};
    },
  };
}
