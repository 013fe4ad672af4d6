import { Invoice } from 'xero-node';
import { invoiceFor, invoiceNumberFor, unitDecimalsFor } from '../../src/domain/invoice-mapping';
import type { Order } from '../../src/domain/order';
import { businessFailure } from '../../src/orders/failures';
import { isDuplicateNumberRefusal } from '../../src/xero/errors';
import { markOrderCancelled, requireInvoiceSetup, settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { facts, recordFact, tellHost } from './host-events';
import { invoiceLinkDataOf, setLinkData, upsertLink } from './links';
import { writeKey, type Base, type InvoiceSummary, type OrderModuleDeps } from './shared';
import { writeSyncLog } from './sync-log';

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

function summary(inv: Invoice): InvoiceSummary {
  return {
    id: inv.invoiceID ?? '',
    number: inv.invoiceNumber ?? '',
    status: String(inv.status ?? ''),
    total: Number(inv.total ?? 0),
  };
}

export function createInvoiceActivities({ db, xero }: OrderModuleDeps) {
  /** Void (authorised) or delete (draft, submitted) one invoice; refuses while payments are on it. */
  async function cancelById(input: Base, invoiceId: string): Promise<{ status: string }> {
    const gw = xero.forAccount(input.accountId);
    const invoice = await gw.invoice(invoiceId);
    let status = String(invoice?.status ?? 'DELETED');
    let action = 'none';
    if (status === 'DRAFT' || status === 'SUBMITTED' || status === 'AUTHORISED') {
      const target = status === 'AUTHORISED' ? Invoice.StatusEnum.VOIDED : Invoice.StatusEnum.DELETED;
      if (
        status === 'AUTHORISED' &&
        ((invoice?.payments ?? []).some((p) => String(p.status ?? '') !== 'DELETED') ||
          Number(invoice?.amountPaid ?? 0) > 0)
      ) {
        throw businessFailure(
          'payments_allocated',
          'the invoice has payments in Xero: remove the payments (in the host) before the order can be cancelled, then retry',
        );
      }
      const updated = await gw.updateInvoice(
        invoiceId,
        { status: target },
        { idempotencyKey: writeKey(input.workflowId, 'cancel', invoiceId) },
      );
      status = String(updated.status ?? target);
      action = target === Invoice.StatusEnum.VOIDED ? 'void' : 'delete';
    } else if (status === 'PAID') {
      throw businessFailure(
        'payments_allocated',
        'the invoice is paid: remove its payments (in the host) before the order can be cancelled, then retry',
      );
    }
    const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber);
    await commitXeroResult(db, async (trx) => {
      await setLinkData(trx, input.accountId, 'invoice', input.orderNumber, { ...data, status });
      await markOrderCancelled(trx, input);
      await recordFact(
        trx,
        input,
        {
          type: 'invoice.updated',
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
              ? `invoice already ${status}`
              : `invoice ${action === 'void' ? 'voided' : 'deleted'} (order cancelled)`,
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
      input: Base & { order: Order; revision: number; contactId: string },
    ): Promise<InvoiceSummary & { syncedRevision: number | null }> {
      const settings = await settingsOf(db, input.accountId);
      requireInvoiceSetup(settings);
      const gw = xero.forAccount(input.accountId);
      const number = invoiceNumberFor(input.order.number, settings);
      const payload = invoiceFor(input.order, settings, input.contactId);
      const ours = (inv: Invoice) => isOurInvoice(inv, input.contactId);
      // Create first: Xero refuses a second sales invoice with this number, and that refusal is the
      // signal to look (a create whose answer was lost, a reset, an earlier run) — one call when all is well.
      let existing: Invoice | undefined;
      let invoice: Invoice;
      let syncedRevision: number | null = input.revision;
      try {
        invoice = await gw.createInvoice(payload, {
          idempotencyKey: writeKey(input.workflowId, 'invoice', input.revision),
          unitdp: unitDecimalsFor(input.order),
        });
      } catch (err) {
        if (!isDuplicateNumberRefusal(err)) throw err;
        const numbered = await gw.invoicesNumbered(number);
        existing = numbered.find(ours);
        if (!existing) throw numberTaken(number, numbered);
        invoice = existing;
        // Its content is unknown (an earlier revision, perhaps): the revise step re-sends this one.
        syncedRevision = null;
      }
      const s = summary(invoice);
      await commitXeroResult(db, async (trx) => {
        const fresh = await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          status: s.status,
          total: s.total,
          syncedRevision: syncedRevision ?? -1,
          contactId: input.contactId,
          customerId: input.order.customer.id,
        });
        await writeSyncLog(trx, input, {
          kind: 'invoice',
          action: existing ? 'adopt' : 'create',
          outcome: 'success',
          xeroId: s.id,
          message: `invoice ${s.number} ${existing ? 'found' : 'created'} (${s.status}, total ${s.total})`,
        });
        if (fresh) {
          await tellHost(
            trx,
            input,
            'invoice.exported',
            {
              invoiceId: s.id,
              invoiceNumber: s.number,
              status: s.status,
              total: s.total,
              ...(settings.exportedJobStatus ? { jobStatus: settings.exportedJobStatus } : {}),
            },
            facts.invoiceExported(input.workflowId),
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
      input: Base & { invoiceId: string; order: Order; revision: number; contactId: string; syncedPayments: number },
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
      requireInvoiceSetup(settings);
      const gw = xero.forAccount(input.accountId);
      const payload = invoiceFor(input.order, settings, input.contactId, { forUpdate: true });
      const invoice = await gw.updateInvoice(input.invoiceId, payload, {
        idempotencyKey: writeKey(input.workflowId, 'revise', input.revision),
        unitdp: unitDecimalsFor(input.order),
      });
      const s = summary(invoice);
      const data = await invoiceLinkDataOf(db, input.accountId, input.orderNumber);
      await commitXeroResult(db, async (trx) => {
        await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          ...data,
          status: s.status,
          total: s.total,
          syncedRevision: input.revision,
          contactId: input.contactId,
          customerId: input.order.customer.id,
        });
        await recordFact(
          trx,
          input,
          {
            type: 'invoice.updated',
            data: {
              invoiceId: s.id,
              invoiceNumber: s.number,
              status: s.status,
              total: s.total,
              revision: input.revision,
            },
            factKey: facts.invoiceRevised(input.workflowId, input.revision),
          },
          {
            kind: 'invoice',
            action: 'update',
            outcome: 'success',
            xeroId: s.id,
            message: `invoice ${s.number} updated to revision ${input.revision} (total ${s.total})`,
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
        const number = invoiceNumberFor(input.orderNumber, settings);
        const found = (await xero.forAccount(input.accountId).invoicesNumbered(number)).find((i) =>
          isOurInvoice(i, input.contactId!),
        );
        if (found?.invoiceID) {
          const s = summary(found);
          await commitXeroResult(db, async (trx) => {
            await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
              status: s.status,
              total: s.total,
              syncedRevision: -1,
              contactId: input.contactId,
            });
            await writeSyncLog(trx, input, {
              kind: 'invoice',
              action: 'adopt',
              outcome: 'success',
              xeroId: s.id,
              message: `invoice ${s.number} found in Xero (${s.status}) while cancelling the order`,
            });
          });
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
          message: 'order cancelled before its invoice was created (none in Xero): nothing to do in Xero',
        });
      });
      return {};
    },
  };
}
