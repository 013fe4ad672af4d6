import type { Transaction } from 'kysely';
import type { Db } from '../../src/db/database';
import type { Database } from '../../src/db/schema';
import { missingForInvoices, settingsSchema, type Settings } from '../../src/domain/settings';
import { businessFailure } from '../../src/orders/failures';
import { attachmentLinkData, invoiceLinkData, orderLinks, parseLinkData, paymentIdOf, paymentLinkData } from './links';
import type { Base, InvoiceSummary, OrderModuleDeps, OrderSyncConfig, StoredPayment } from './shared';
import { writeSyncLog } from './sync-log';
import { storedOrderStateSchema } from '../order-gate';
import type { StoredOrderState } from '../../src/orders/messages';
import type { DriftField, XeroPaymentCopy } from '../../src/xero-changes/contract';
import { openDriftOf } from '../../src/xero-changes/drift-store';
import { xeroSideOf } from './xero-drift';

/** Where an order stands before the workflow does anything: admission, stored links, the account's setup. */

export interface OrderContext {
  config: OrderSyncConfig;
  admission?: { status: 'syncing' | 'skipped' | 'cancelled'; reason?: string };
  contact?: { customerId: string; contactId: string };
  /** The document in Xero: an invoice or bill, or (credit notes) the credit note. */
  invoice?: InvoiceSummary & { syncedRevision: number; orderJson?: string; contactId?: string; closed?: boolean };
  /** A credit note's allocation, once made. */
  allocation?: { invoiceId: string; amount: number; allocationId: string };
  attachmentRevision?: number;
  payments: StoredPayment[];
  /** What the last completed run left: the host's newest version and content, removed payments. */
  stored?: StoredOrderState;
  /** What was changed in Xero by someone else (issue 13): absent when nothing was. */
  xero?: {
    closed?: { status: 'VOIDED' | 'DELETED'; at: string };
    payments?: XeroPaymentCopy[];
    /** The open drift's field changes (an empty list: open for a closure or payments only). */
    drift?: { fields: DriftField[] };
  };
}

type AccountIdentity = { id: string; host_app_id: string; external_id: string };

/**
 * Accounts' identities as read: the engine never updates or deletes an account row, so these
 * fields cannot change, and every host event of an order needs them (./host-events.ts).
 */
const identities = new Map<string, AccountIdentity>();
const IDENTITIES_KEPT = 10_000;

export async function accountOf(accountId: string, executor: Transaction<Database> | Db): Promise<AccountIdentity> {
  const kept = identities.get(accountId);
  if (kept) return kept;
  const row = await executor
    .selectFrom('accounts')
    .select(['id', 'host_app_id', 'external_id'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw noSuchAccount(accountId);
  if (identities.size >= IDENTITIES_KEPT) identities.delete(identities.keys().next().value!);
  identities.set(accountId, row);
  return row;
}

const noSuchAccount = (accountId: string) => businessFailure('not_found', `account ${accountId} does not exist`);

export async function settingsOf(db: Db, accountId: string): Promise<Settings> {
  const row = await db.selectFrom('settings').select('settings').where('account_id', '=', accountId).executeTakeFirst();
  const parsed = settingsSchema.safeParse(row?.settings ?? {});
  if (!parsed.success) {
    throw businessFailure(
      'missing_setup',
      `the account's setup is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Sales documents need the revenue account and tax, purchases (bills, supplier credits) the
 * direct-costs account; the bank account is checked by the payment step.
 */
export function requireInvoiceSetup(
  settings: Settings,
  side: 'sales' | 'purchases' = 'sales',
  lines: Array<{ taxCode?: string }> = [],
): void {
  const missing: Array<keyof Settings> = missingForInvoices(settings).filter((m) => m !== 'bankAccountCode');
  if (side === 'purchases') {
    // Bills use the purchases account, and a purchase tax: the sales default (e.g. GST on Income) is
    // never right on an expense, so a line without its own tax needs Setup's tax rate for bills.
    const i = missing.indexOf('revenueAccountCode');
    if (i >= 0) missing.splice(i, 1);
    const t = missing.indexOf('defaultTaxType');
    if (t >= 0) missing.splice(t, 1);
    if (!settings.expenseAccountCode) missing.unshift('expenseAccountCode');
    if (!settings.defaultPurchaseTaxType && lines.some((l) => !l.taxCode)) missing.push('defaultPurchaseTaxType');
  }
  if (missing.length > 0)
    throw businessFailure('missing_setup', `setup is incomplete: choose ${missing.join(', ')} on the Setup page`, {
      missing,
    });
}

/** The order is cancelled for the API and later runs (in the caller's transaction, beside what Xero did). */
export async function markOrderCancelled(trx: Transaction<Database>, order: Base): Promise<void> {
  await trx
    .updateTable('order_syncs')
    .set({ status: 'cancelled', updated_at: new Date() })
    .where('account_id', '=', order.accountId)
    .where('order_number', '=', order.orderNumber)
    .execute();
}

export function createContextActivities({ db, config }: OrderModuleDeps) {
  return {
    /** What a (re)started workflow needs: timings, whether the order syncs at all, and the stored links. */
    async loadOrderContext(input: { accountId: string; orderNumber: string }): Promise<OrderContext> {
      const { accountId, orderNumber } = input;
      const admission = await db
        .selectFrom('order_syncs')
        .select(['status', 'skip_reason', 'state'])
        .where('account_id', '=', accountId)
        .where('order_number', '=', orderNumber)
        .executeTakeFirst();
      const links = await orderLinks(db, accountId, orderNumber);
      const ctx: OrderContext = { config, payments: [] };
      // Unreadable (never written, or by a future version): the links alone decide, as before versions were kept.
      const stored = storedOrderStateSchema.safeParse(admission?.state ?? undefined);
      if (stored.success) ctx.stored = stored.data;
      if (admission)
        ctx.admission = {
          status: admission.status,
          ...(admission.skip_reason ? { reason: admission.skip_reason } : {}),
        };
      for (const link of links) {
        if (link.kind === 'invoice' || link.kind === 'credit_note') {
          const d = parseLinkData(invoiceLinkData, link);
          if (d.allocation) ctx.allocation = d.allocation;
          ctx.invoice = {
            id: link.xero_id,
            number: link.xero_number ?? '',
            status: d.status ?? '',
            total: d.total ?? 0,
            syncedRevision: d.syncedRevision ?? 0,
            ...(d.contactId !== undefined ? { contactId: d.contactId } : {}),
            ...(d.orderJson !== undefined ? { orderJson: d.orderJson } : {}),
            ...(d.xeroUrl !== undefined ? { xeroUrl: d.xeroUrl } : {}),
          };
          if (d.customerId !== undefined && d.contactId !== undefined)
            ctx.contact = { customerId: d.customerId, contactId: d.contactId };
          const side = xeroSideOf(d);
          if (side.closed || side.payments?.length) {
            ctx.xero = {
              ...(side.closed ? { closed: side.closed } : {}),
              ...(side.payments?.length ? { payments: side.payments } : {}),
            };
          }
        } else if (link.kind === 'attachment') {
          ctx.attachmentRevision = parseLinkData(attachmentLinkData, link).revision ?? 0;
        } else if (link.kind === 'payment') {
          const d = parseLinkData(paymentLinkData, link);
          ctx.payments.push({
            id: paymentIdOf(link.host_id),
            xeroPaymentId: link.xero_id,
            amount: d.amount,
            date: d.date,
            ...(d.reference !== undefined ? { reference: d.reference } : {}),
            generation: d.generation ?? 0,
          });
        }
      }
      const drift = ctx.invoice ? await openDriftOf(db, accountId, orderNumber) : undefined;
      if (drift && drift.xeroId.toLowerCase() === ctx.invoice?.id.toLowerCase()) {
        const fields = drift.changes.closedInXero
          ? drift.changes.fields.filter((f) => f.field !== 'status')
          : drift.changes.fields;
        ctx.xero = { ...ctx.xero, drift: { fields } };
      }
      return ctx;
    },

    /**
     * Only orders converted after the account connected to Xero are synced. The first conversion
     * decides, and is stored so the API can answer later events about the order at once.
     */
    async admitOrder(
      input: Base & { convertedAt: string },
    ): Promise<{ status: 'syncing' | 'skipped' | 'cancelled'; reason?: string }> {
      // The account, its connection and the order's admission so far, in one read.
      const known = await db
        .selectFrom('accounts as a')
        .leftJoin('connections as c', 'c.account_id', 'a.id')
        .leftJoin('order_syncs as o', (j) =>
          j.onRef('o.account_id', '=', 'a.id').on('o.order_number', '=', input.orderNumber),
        )
        .select(['a.id', 'c.connected_at', 'o.status', 'o.skip_reason'])
        .where('a.id', '=', input.accountId)
        .executeTakeFirst();
      if (!known) throw noSuchAccount(input.accountId);
      if (known.status) return { status: known.status, ...(known.skip_reason ? { reason: known.skip_reason } : {}) };
      const convertedAt = new Date(input.convertedAt);
      const reason = !known.connected_at
        ? 'order converted while the account was not connected to Xero: not synced'
        : convertedAt.getTime() < known.connected_at.getTime()
          ? 'order converted before the Xero connection: not synced'
          : undefined;
      const status = reason ? 'skipped' : 'syncing';
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('order_syncs')
          .values({
            account_id: input.accountId,
            order_number: input.orderNumber,
            status,
            skip_reason: reason ?? null,
            converted_at: convertedAt,
            workflow_id: input.workflowId,
          })
          .onConflict((oc) => oc.columns(['account_id', 'order_number']).doNothing())
          .returning('status')
          .executeTakeFirst();
        if (row && reason)
          await writeSyncLog(trx, input, { kind: 'invoice', action: 'create', outcome: 'skipped', message: reason });
      });
      return reason ? { status, reason } : { status };
    },
  };
}
