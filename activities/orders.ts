import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { Invoice, type Payment as XeroPayment } from 'xero-node';
import type { Db } from '../src/db/database';
import type { Database, EntityKind } from '../src/db/schema';
import {
  contactFor,
  invoiceFor,
  invoiceNumberFor,
  orderPdfFileName,
  unitDecimalsFor,
} from '../src/domain/invoice-mapping';
import type { Customer, Order, Payment } from '../src/domain/order';
import { missingForInvoices, settingsSchema, type Settings } from '../src/domain/settings';
import { enqueueHostEvent } from '../src/host-webhooks/outbox';
import { explainFailure } from '../src/domain/failure-explanations';
import { failureFactsOf } from '../src/sync-log/failures';
import { loadSettings } from '../src/settings/store';
import type { HostEventType } from '../src/host-webhooks/events';
import { businessFailure, withFailureMapping } from '../src/orders/failures';
import { idempotencyKey } from '../src/orders/idempotency';
import { fetchHostPdf, type HostPdf } from '../src/orders/host-pdf';
import { renderOrderPdf } from '../src/pdf/order-pdf';
import { XeroApiError } from '../src/xero/errors';
import type { XeroGateway } from '../src/xero/gateway';

/**
 * The order workflow's activities: all of its I/O, each safe to run again. Every Xero write carries
 * an Idempotency-Key from (workflow id, step, revision or generation); creations first look for
 * their own earlier write (invoice by number, contact by ContactNumber, payment on the invoice),
 * because Xero keeps idempotency keys for minutes only. Links, the sync log and the host event of a
 * write are stored in one transaction, after Xero answered.
 */

export interface OrderSyncConfig {
  /** A closed order (paid or cancelled) completes after this long without events. */
  quietPeriodMs: number;
  /** Activity start-to-close timeout: how soon a step of a dead worker is retried elsewhere. */
  activityTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Continue as new past this many history events (Temporal also suggests it). */
  continueAsNewAfterEvents?: number;
}

export const DEFAULT_ORDER_SYNC_CONFIG: OrderSyncConfig = {
  quietPeriodMs: 60 * 60_000,
  activityTimeoutMs: 60_000,
  retryInitialMs: 1_000,
  retryMaxMs: 5 * 60_000,
};

export interface OrderActivityDeps {
  db: Db;
  xero: XeroGateway;
  orders?: Partial<OrderSyncConfig>;
  /** Fetches the host's PDF (tests may point it anywhere); default: HTTP GET with limits. */
  fetchPdf?: (url: string) => Promise<HostPdf>;
}

export interface InvoiceSummary {
  id: string;
  number: string;
  status: string;
  total: number;
}

export interface StoredPayment {
  id: string;
  xeroPaymentId: string;
  amount: number;
  date: string;
  reference?: string;
  generation: number;
}

export interface OrderContext {
  config: OrderSyncConfig;
  admission?: { status: 'syncing' | 'skipped' | 'cancelled'; reason?: string };
  contact?: { customerId: string; contactId: string };
  invoice?: InvoiceSummary & { syncedRevision: number; orderJson?: string; contactId?: string; closed?: boolean };
  attachmentRevision?: number;
  payments: StoredPayment[];
}

interface Base {
  accountId: string;
  workflowId: string;
  orderNumber: string;
}

const CLOSED_STATUSES = new Set(['VOIDED', 'DELETED']);

/** Parses Xero's "/Date(1539993600000+0000)/" (or an ISO string) to YYYY-MM-DD. */
export function xeroDate(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return undefined;
  const m = /\/Date\((-?\d+)/.exec(value);
  if (m) return new Date(Number(m[1])).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}

function summary(inv: Invoice): InvoiceSummary {
  return {
    id: inv.invoiceID ?? '',
    number: inv.invoiceNumber ?? '',
    status: String(inv.status ?? ''),
    total: Number(inv.total ?? 0),
  };
}

export function createOrderActivities(deps: OrderActivityDeps) {
  const config: OrderSyncConfig = { ...DEFAULT_ORDER_SYNC_CONFIG, ...deps.orders };
  const { db } = deps;
  const fetchPdf = deps.fetchPdf ?? fetchHostPdf;

  async function account(accountId: string, executor: Transaction<Database> | Db = db) {
    const row = await executor
      .selectFrom('accounts')
      .select(['id', 'host_app_id', 'external_id'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!row) throw businessFailure('not_found', `account ${accountId} does not exist`);
    return row;
  }

  async function settingsOf(accountId: string): Promise<Settings> {
    const row = await db
      .selectFrom('settings')
      .select('settings')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    const parsed = settingsSchema.safeParse(row?.settings ?? {});
    if (!parsed.success) {
      throw businessFailure(
        'missing_setup',
        `the account's setup is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  }

  function requireInvoiceSetup(settings: Settings) {
    const missing = missingForInvoices(settings).filter((m) => m !== 'bankAccountCode');
    if (missing.length > 0)
      throw businessFailure('missing_setup', `setup is incomplete: choose ${missing.join(', ')} on the Setup page`, {
        missing,
      });
  }

  async function upsertLink(
    trx: Transaction<Database>,
    accountId: string,
    kind: EntityKind,
    hostId: string,
    xeroId: string,
    xeroNumber: string | null,
    data: Record<string, unknown>,
  ) {
    const inserted = await trx
      .insertInto('entity_links')
      .values({
        account_id: accountId,
        kind,
        host_id: hostId,
        xero_id: xeroId,
        xero_number: xeroNumber,
        data: JSON.stringify(data),
      })
      .onConflict((oc) => oc.columns(['account_id', 'kind', 'host_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return true;
    await trx
      .updateTable('entity_links')
      .set({ xero_id: xeroId, xero_number: xeroNumber, data: JSON.stringify(data), updated_at: new Date() })
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .where('host_id', '=', hostId)
      .execute();
    return false;
  }

  async function invoiceLinkData(accountId: string, orderNumber: string): Promise<Record<string, unknown>> {
    const row = await db
      .selectFrom('entity_links')
      .select('data')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'invoice')
      .where('host_id', '=', orderNumber)
      .executeTakeFirst();
    return row?.data ?? {};
  }

  interface LogEntry {
    kind: string;
    action: string;
    outcome: 'success' | 'failure' | 'skipped';
    xeroId?: string | null;
    message?: string | null;
    error?: Record<string, unknown> | null;
  }

  async function log(trx: Transaction<Database> | Db, base: Base, entry: LogEntry) {
    const info = activityInfo();
    await trx
      .insertInto('sync_log')
      .values({
        account_id: base.accountId,
        kind: entry.kind,
        action: entry.action,
        host_ref: base.orderNumber,
        outcome: entry.outcome,
        xero_id: entry.xeroId ?? null,
        message: entry.message ?? null,
        error: entry.error ? JSON.stringify(entry.error) : null,
        workflow_id: base.workflowId,
        run_id: info?.workflowExecution?.runId ?? null,
      })
      .execute();
  }

  async function tellHost(
    trx: Transaction<Database> | Db,
    base: Base,
    type: HostEventType,
    data: Record<string, unknown>,
  ) {
    // Inside the caller's transaction: PGlite has one connection, a second query outside would wait forever.
    const acct = await account(base.accountId, trx);
    await enqueueHostEvent(trx as Db, {
      hostAppId: acct.host_app_id,
      accountId: acct.id,
      hostAccountId: acct.external_id,
      type,
      orderingKey: base.workflowId,
      data: { orderNumber: base.orderNumber, ...data },
    });
  }

  const contactsInFlight = new Map<string, Promise<{ contactId: string }>>();

  async function resolveContactOnce(input: Base & { customer: Customer }): Promise<{ contactId: string }> {
    const { customer } = input;
    const known = await db
      .selectFrom('entity_links')
      .select('xero_id')
      .where('account_id', '=', input.accountId)
      .where('kind', '=', 'contact')
      .where('host_id', '=', customer.id)
      .executeTakeFirst();
    if (known) return { contactId: known.xero_id };
    const settings = await settingsOf(input.accountId);
    const gw = deps.xero.forAccount(input.accountId);
    const wanted = contactFor(customer, settings);
    let contact = await gw.contactByNumber(customer.id);
    let action = 'match_number';
    if (!contact) {
      const named = await gw.contactsNamed(wanted.name ?? '');
      contact = named.find((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE') ?? undefined;
      action = 'match_name';
    }
    if (!contact) {
      try {
        contact = await gw.createContact(wanted, {
          idempotencyKey: writeKey(input.workflowId, 'contact', customer.id),
        });
        action = 'create';
      } catch (err) {
        // Two orders of one new customer race: both searched, found nothing and created; Xero
        // refuses the loser (name and ContactNumber are unique). The winner's contact is the one.
        if (!(err instanceof XeroApiError) || err.kind !== 'validation') throw err;
        contact =
          (await gw.contactByNumber(customer.id)) ??
          (await gw.contactsNamed(wanted.name ?? '')).find((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE');
        if (!contact) throw err;
        action = 'match_after_race';
      }
    }
    const contactId = contact.contactID!;
    await db.transaction().execute(async (trx) => {
      await upsertLink(trx, input.accountId, 'contact', customer.id, contactId, contact.contactNumber ?? null, {
        name: contact.name,
      });
      await log(trx, input, {
        kind: 'contact',
        action,
        outcome: 'success',
        xeroId: contactId,
        message: `${action === 'create' ? 'created' : 'linked'} contact "${contact.name}"`,
      });
    });
    return { contactId };
  }

  const activities = {
    /** What a (re)started workflow needs: timings, whether the order syncs at all, and the stored links. */
    async loadOrderContext(input: { accountId: string; orderNumber: string }): Promise<OrderContext> {
      const { accountId, orderNumber } = input;
      const admission = await db
        .selectFrom('order_syncs')
        .select(['status', 'skip_reason'])
        .where('account_id', '=', accountId)
        .where('order_number', '=', orderNumber)
        .executeTakeFirst();
      const links = await db
        .selectFrom('entity_links')
        .selectAll()
        .where('account_id', '=', accountId)
        .where((eb) =>
          eb.or([
            eb.and([eb('kind', 'in', ['invoice', 'attachment']), eb('host_id', '=', orderNumber)]),
            eb.and([
              eb('kind', '=', 'payment'),
              eb(sql<string>`left(host_id, ${orderNumber.length + 1})`, '=', `${orderNumber}/`),
            ]),
          ]),
        )
        .execute();
      const ctx: OrderContext = { config, payments: [] };
      if (admission)
        ctx.admission = {
          status: admission.status,
          ...(admission.skip_reason ? { reason: admission.skip_reason } : {}),
        };
      for (const link of links) {
        const d = link.data as Record<string, unknown>;
        if (link.kind === 'invoice') {
          ctx.invoice = {
            id: link.xero_id,
            number: link.xero_number ?? '',
            status: String(d.status ?? ''),
            total: Number(d.total ?? 0),
            syncedRevision: Number(d.syncedRevision ?? 0),
            ...(typeof d.contactId === 'string' ? { contactId: d.contactId } : {}),
            ...(typeof d.orderJson === 'string' ? { orderJson: d.orderJson } : {}),
          };
          if (typeof d.customerId === 'string' && typeof d.contactId === 'string')
            ctx.contact = { customerId: d.customerId, contactId: d.contactId };
        } else if (link.kind === 'attachment') {
          ctx.attachmentRevision = Number(d.revision ?? 0);
        } else if (link.kind === 'payment') {
          ctx.payments.push({
            id: link.host_id.slice(orderNumber.length + 1),
            xeroPaymentId: link.xero_id,
            amount: Number(d.amount),
            date: String(d.date),
            ...(typeof d.reference === 'string' ? { reference: d.reference } : {}),
            generation: Number(d.generation ?? 0),
          });
        }
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
      await account(input.accountId);
      const existing = await db
        .selectFrom('order_syncs')
        .select(['status', 'skip_reason'])
        .where('account_id', '=', input.accountId)
        .where('order_number', '=', input.orderNumber)
        .executeTakeFirst();
      if (existing)
        return { status: existing.status, ...(existing.skip_reason ? { reason: existing.skip_reason } : {}) };
      const connection = await db
        .selectFrom('connections')
        .select(['connected_at'])
        .where('account_id', '=', input.accountId)
        .executeTakeFirst();
      const convertedAt = new Date(input.convertedAt);
      const reason = !connection
        ? 'order converted while the account was not connected to Xero: not synced'
        : convertedAt.getTime() < connection.connected_at.getTime()
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
          await log(trx, input, { kind: 'invoice', action: 'create', outcome: 'skipped', message: reason });
      });
      return reason ? { status, reason } : { status };
    },

    /** The Xero contact for the order's customer: the stored link, else by ContactNumber, else by exact name, else a new one. */
    async resolveContact(input: Base & { customer: Customer }): Promise<{ contactId: string }> {
      // Orders of one new customer often arrive together: within this worker they share one lookup
      // (and one create); across workers the loser of the race links to the winner's contact.
      const key = `${input.accountId}\u0000${input.customer.id}`;
      const running = contactsInFlight.get(key);
      if (running) return running;
      const resolving = resolveContactOnce(input).finally(() => contactsInFlight.delete(key));
      contactsInFlight.set(key, resolving);
      return resolving;
    },

    /** Creates the invoice, or adopts the one an earlier attempt already created (same number). */
    async createInvoice(
      input: Base & { order: Order; revision: number; contactId: string },
    ): Promise<InvoiceSummary & { syncedRevision: number | null }> {
      const settings = await settingsOf(input.accountId);
      requireInvoiceSetup(settings);
      const gw = deps.xero.forAccount(input.accountId);
      const number = invoiceNumberFor(input.order.number, settings);
      const payload = invoiceFor(input.order, settings, input.contactId);
      const existing = (await gw.invoicesNumbered(number)).find((i) => !CLOSED_STATUSES.has(String(i.status)));
      let invoice: Invoice;
      // Found on a retry of this very activity: our own write with this payload. Found otherwise
      // (a reset, an earlier run, someone in Xero): its content is unknown, so the revise step re-sends it.
      let syncedRevision: number | null = input.revision;
      if (existing) {
        invoice = existing;
        if ((activityInfo()?.attempt ?? 1) <= 1) syncedRevision = null;
      } else {
        invoice = await gw.createInvoice(payload, {
          idempotencyKey: writeKey(input.workflowId, 'invoice', input.revision),
          unitdp: unitDecimalsFor(input.order),
        });
      }
      const s = summary(invoice);
      await db.transaction().execute(async (trx) => {
        const fresh = await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          status: s.status,
          total: s.total,
          syncedRevision: syncedRevision ?? -1,
          contactId: input.contactId,
          customerId: input.order.customer.id,
        });
        await log(trx, input, {
          kind: 'invoice',
          action: existing ? 'adopt' : 'create',
          outcome: 'success',
          xeroId: s.id,
          message: `invoice ${s.number} ${existing ? 'found' : 'created'} (${s.status}, total ${s.total})`,
        });
        if (fresh) {
          await tellHost(trx, input, 'invoice.exported', {
            invoiceId: s.id,
            invoiceNumber: s.number,
            status: s.status,
            total: s.total,
            ...(settings.exportedJobStatus ? { jobStatus: settings.exportedJobStatus } : {}),
          });
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
      const settings = await settingsOf(input.accountId);
      if (!settings.syncInvoiceEdits) {
        await log(db, input, {
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
      const gw = deps.xero.forAccount(input.accountId);
      const payload = invoiceFor(input.order, settings, input.contactId, { forUpdate: true });
      const invoice = await gw.updateInvoice(input.invoiceId, payload, {
        idempotencyKey: writeKey(input.workflowId, 'revise', input.revision),
        unitdp: unitDecimalsFor(input.order),
      });
      const s = summary(invoice);
      const data = await invoiceLinkData(input.accountId, input.orderNumber);
      await db.transaction().execute(async (trx) => {
        await upsertLink(trx, input.accountId, 'invoice', input.orderNumber, s.id, s.number, {
          ...data,
          status: s.status,
          total: s.total,
          syncedRevision: input.revision,
          contactId: input.contactId,
          customerId: input.order.customer.id,
        });
        await log(trx, input, {
          kind: 'invoice',
          action: 'update',
          outcome: 'success',
          xeroId: s.id,
          message: `invoice ${s.number} updated to revision ${input.revision} (total ${s.total})`,
        });
        await tellHost(trx, input, 'invoice.updated', {
          invoiceId: s.id,
          invoiceNumber: s.number,
          status: s.status,
          total: s.total,
          revision: input.revision,
        });
      });
      return { outcome: 'updated', invoice: s };
    },

    /**
     * Attaches the order PDF (the host's, or one rendered here) under a file name fixed per order,
     * so a revision replaces it rather than adding a copy. The key includes the bytes' hash: a host
     * PDF that changed between retries is a different body, which must not reuse a key.
     */
    async attachOrderPdf(
      input: Base & { invoiceId: string; order: Order; revision: number },
    ): Promise<{ fileName: string; bytes: number }> {
      const settings = await settingsOf(input.accountId);
      const pdf = input.order.pdfUrl
        ? await fetchPdf(input.order.pdfUrl)
        : { bytes: await renderOrderPdf(input.order, settings), contentType: 'application/pdf' };
      const fileName = orderPdfFileName(input.order.number);
      const sha = createHash('sha256').update(pdf.bytes).digest('hex');
      const gw = deps.xero.forAccount(input.accountId);
      const attachment = await gw.attachToInvoice(
        input.invoiceId,
        { fileName, bytes: pdf.bytes, contentType: pdf.contentType },
        {
          idempotencyKey: writeKey(input.workflowId, 'attach', input.revision, sha),
        },
      );
      await db.transaction().execute(async (trx) => {
        await upsertLink(
          trx,
          input.accountId,
          'attachment',
          input.orderNumber,
          attachment?.attachmentID ?? fileName,
          fileName,
          { revision: input.revision, sha256: sha, bytes: pdf.bytes.length, invoiceId: input.invoiceId },
        );
        await log(trx, input, {
          kind: 'attachment',
          action: 'upload',
          outcome: 'success',
          xeroId: attachment?.attachmentID ?? null,
          message: `${fileName} (${pdf.bytes.length} bytes, revision ${input.revision}) attached to the invoice`,
        });
      });
      return { fileName, bytes: pdf.bytes.length };
    },

    /**
     * Applies a host payment to the invoice, into the configured bank account. When an earlier
     * attempt may have written it (lookFirst), the invoice's payments are checked first: one with
     * the same amount, date and reference that no other host payment is linked to is this one.
     */
    async createPayment(
      input: Base & { invoiceId: string; payment: Payment; generation: number; lookFirst: boolean },
    ): Promise<{ outcome: 'created'; xeroPaymentId: string } | { outcome: 'skipped'; reason: string }> {
      const settings = await settingsOf(input.accountId);
      const hostId = `${input.orderNumber}/${input.payment.id}`;
      if (!settings.syncPayments) {
        const reason = 'setup does not sync payments';
        await log(db, input, {
          kind: 'payment',
          action: 'create',
          outcome: 'skipped',
          message: `payment ${input.payment.id}: ${reason}`,
        });
        return { outcome: 'skipped', reason };
      }
      if (!settings.bankAccountCode)
        throw businessFailure(
          'missing_setup',
          'setup is incomplete: choose the bank account for payments (bankAccountCode)',
          { missing: ['bankAccountCode'] },
        );
      const gw = deps.xero.forAccount(input.accountId);
      const p = input.payment;
      let xeroPayment: XeroPayment | undefined;
      if (input.lookFirst || (activityInfo()?.attempt ?? 1) > 1) {
        const invoice = await gw.invoice(input.invoiceId);
        const linked = new Set(
          (
            await db
              .selectFrom('entity_links')
              .select('xero_id')
              .where('account_id', '=', input.accountId)
              .where('kind', '=', 'payment')
              .where('host_id', '!=', hostId)
              .execute()
          ).map((r) => r.xero_id),
        );
        xeroPayment = (invoice?.payments ?? []).find(
          (x) =>
            x.paymentID &&
            !linked.has(x.paymentID) &&
            String(x.status ?? 'AUTHORISED') !== 'DELETED' &&
            Math.abs(Number(x.amount) - p.amount) < 0.005 &&
            xeroDate(x.date) === p.date &&
            (x.reference ?? '') === (p.reference ?? ''),
        );
      }
      xeroPayment ??= await gw.createPayment(
        {
          invoice: { invoiceID: input.invoiceId },
          account: { code: settings.bankAccountCode },
          date: p.date,
          amount: p.amount,
          ...(p.reference ? { reference: p.reference } : {}),
        },
        { idempotencyKey: writeKey(input.workflowId, 'payment', p.id, input.generation) },
      );
      const xeroPaymentId = xeroPayment.paymentID!;
      await db.transaction().execute(async (trx) => {
        await upsertLink(trx, input.accountId, 'payment', hostId, xeroPaymentId, null, {
          amount: p.amount,
          date: p.date,
          ...(p.reference ? { reference: p.reference } : {}),
          generation: input.generation,
        });
        await log(trx, input, {
          kind: 'payment',
          action: 'create',
          outcome: 'success',
          xeroId: xeroPaymentId,
          message: `payment ${p.id} of ${p.amount.toFixed(2)} applied`,
        });
        await tellHost(trx, input, 'payment.synced', {
          paymentId: p.id,
          xeroPaymentId,
          amount: p.amount,
          invoiceId: input.invoiceId,
        });
      });
      return { outcome: 'created', xeroPaymentId };
    },

    /** Removes a payment in Xero (Status DELETED): removed in the host, or taken off for a revision. */
    async deletePayment(
      input: Base & { paymentId: string; xeroPaymentId: string; generation: number; reason: 'removed' | 'revision' },
    ): Promise<void> {
      const gw = deps.xero.forAccount(input.accountId);
      try {
        await gw.deletePayment(input.xeroPaymentId, {
          idempotencyKey: writeKey(input.workflowId, 'unpay', input.paymentId, input.generation),
        });
      } catch (err) {
        // Already gone (deleted in Xero, or by our earlier attempt): the goal is reached.
        if (!(err instanceof XeroApiError && err.kind === 'not_found')) {
          const current = await gw.invoice(await invoiceIdOf(input));
          const stillThere = (current?.payments ?? []).some(
            (x) => x.paymentID === input.xeroPaymentId && String(x.status ?? '') !== 'DELETED',
          );
          if (stillThere || !current) throw err;
        }
      }
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('entity_links')
          .where('account_id', '=', input.accountId)
          .where('kind', '=', 'payment')
          .where('host_id', '=', `${input.orderNumber}/${input.paymentId}`)
          .execute();
        await log(trx, input, {
          kind: 'payment',
          action: 'delete',
          outcome: 'success',
          xeroId: input.xeroPaymentId,
          message:
            input.reason === 'removed'
              ? `payment ${input.paymentId} removed`
              : `payment ${input.paymentId} taken off to revise the invoice; it is re-applied next`,
        });
      });
    },

    /** Cancelled order: void an authorised invoice, delete a draft or submitted one (Xero's only allowed moves). */
    async cancelInvoice(input: Base & { invoiceId: string }): Promise<{ status: string }> {
      const gw = deps.xero.forAccount(input.accountId);
      const invoice = await gw.invoice(input.invoiceId);
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
          input.invoiceId,
          { status: target },
          { idempotencyKey: writeKey(input.workflowId, 'cancel', input.invoiceId) },
        );
        status = String(updated.status ?? target);
        action = target === Invoice.StatusEnum.VOIDED ? 'void' : 'delete';
      } else if (status === 'PAID') {
        throw businessFailure(
          'payments_allocated',
          'the invoice is paid: remove its payments (in the host) before the order can be cancelled, then retry',
        );
      }
      const data = await invoiceLinkData(input.accountId, input.orderNumber);
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('entity_links')
          .set({ data: JSON.stringify({ ...data, status }), updated_at: new Date() })
          .where('account_id', '=', input.accountId)
          .where('kind', '=', 'invoice')
          .where('host_id', '=', input.orderNumber)
          .execute();
        await trx
          .updateTable('order_syncs')
          .set({ status: 'cancelled', updated_at: new Date() })
          .where('account_id', '=', input.accountId)
          .where('order_number', '=', input.orderNumber)
          .execute();
        await log(trx, input, {
          kind: 'invoice',
          action: action === 'none' ? 'cancel' : action,
          outcome: 'success',
          xeroId: input.invoiceId,
          message:
            action === 'none'
              ? `invoice already ${status}`
              : `invoice ${action === 'void' ? 'voided' : 'deleted'} (order cancelled)`,
        });
        await tellHost(trx, input, 'invoice.updated', { invoiceId: input.invoiceId, status });
      });
      return { status };
    },

    /** Sync log (and host event) for what the workflow decided itself: failures, skips, a cancel before any invoice. */
    async recordOrderEvent(
      input: Base & {
        kind: string;
        action: string;
        outcome: 'success' | 'failure' | 'skipped';
        message: string;
        error?: Record<string, unknown>;
        hostEvent?: HostEventType;
        orderCancelled?: boolean;
      },
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // A failure is stored (and reaches the host) with its reason and remedy in plain words, as the setup stood when it failed.
        const explanation =
          input.outcome === 'failure'
            ? explainFailure(
                failureFactsOf({ message: input.message, error: input.error ?? null }),
                await loadSettings(trx as Db, input.accountId),
              )
            : undefined;
        const error = input.error ? { ...input.error, ...(explanation ? { explanation } : {}) } : null;
        await log(trx, input, {
          kind: input.kind,
          action: input.action,
          outcome: input.outcome,
          message: input.message,
          error,
        });
        if (input.orderCancelled) {
          await trx
            .updateTable('order_syncs')
            .set({ status: 'cancelled', updated_at: new Date() })
            .where('account_id', '=', input.accountId)
            .where('order_number', '=', input.orderNumber)
            .execute();
        }
        if (input.hostEvent)
          await tellHost(trx, input, input.hostEvent, {
            kind: input.kind,
            action: input.action,
            message: input.message,
            ...(error ? { error } : {}),
            ...(explanation ? { explanation } : {}),
          });
      });
    },
  };

  async function invoiceIdOf(input: Base): Promise<string> {
    const row = await db
      .selectFrom('entity_links')
      .select('xero_id')
      .where('account_id', '=', input.accountId)
      .where('kind', '=', 'invoice')
      .where('host_id', '=', input.orderNumber)
      .executeTakeFirst();
    return row?.xero_id ?? '';
  }

  return withFailureMapping(activities);
}

/**
 * The Idempotency-Key of a write, scoped to this scheduling of the activity: Temporal's retries of
 * it (a lost answer, a killed worker) repeat the key; a retry after a business failure is a new
 * scheduling and so a new request. Otherwise Xero would answer a retry within its key window with
 * the stored refusal (same body) or refuse the corrected body (same key, different request).
 * Creations stay exactly-once because each looks for its own earlier write first.
 */
function writeKey(workflowId: string, step: string, ...qualifiers: Array<string | number>): string {
  const info = activityInfo();
  return idempotencyKey(
    workflowId,
    step,
    ...qualifiers,
    ...(info ? [`${info.workflowExecution?.runId ?? ''}/${info.activityId}`] : []),
  );
}

function activityInfo() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
