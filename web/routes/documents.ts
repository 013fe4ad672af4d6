import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { createOrderSyncClient, type Accepted } from '../../src/client';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import {
  billEventSchema,
  creditNoteEventSchema,
  dealInvoiceSchema,
  PURCHASE_ORDER_TYPES,
} from '../../src/domain/documents';
import { orderCancelledSchema, paymentRemovedSchema, paymentSchema } from '../../src/domain/order';
import { identifier } from '../../src/domain/text';
import { documentLabel, documentRef, documentWorkflowId, type DocumentKind } from '../../src/documents/kinds';
import { ianaZoneOf, todayIn } from '../../src/documents/org-today';
import { paymentIdOf } from '../../src/orders/link-ids';
import { documentLinks } from '../../src/documents/links-query';
import type { XeroGateway } from '../../src/xero/gateway';
import { sendApiError } from '../api/errors';
import { acceptableHostUrl, hostEventOptions, parseBody } from '../api/host-event-request';

/**
 * The host's other documents (mounted under /api/v1 behind the API-key check), on the same
 * machinery as orders — one workflow per document that decides each event and answers:
 *
 *   PUT    /accounts/{accountId}/bills/{billId}                     create or revise ({bill, revision?, updatedAt?})
 *   POST   /accounts/{accountId}/bills/{billId}/payments            payment added
 *   DELETE /accounts/{accountId}/bills/{billId}/payments/{id}       payment removed
 *   POST   /accounts/{accountId}/bills/{billId}/cancel              cancelled
 *   PUT    /accounts/{accountId}/credit-notes/{creditNoteId}        create or revise ({creditNote, revision?, updatedAt?})
 *   POST   /accounts/{accountId}/credit-notes/{creditNoteId}/cancel cancelled
 *   POST   /accounts/{accountId}/deals/{dealId}/invoice             a CRM deal's invoice, created or revised
 *   GET    …/bills/{id}, …/credit-notes/{id}, …/deals/{dealId}/invoice   what the engine knows, with `xeroUrl`
 *   POST   …/{id}/retry                                             retry a failed sync
 *
 * Answers as for orders: 202 applied; 200 `applied: false` with the reason; 409 not connected,
 * unknown or cancelled document.
 */

export interface DocumentsRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  loadAccount: RequestHandler;
  allowPrivateNetworks?: boolean;
  /** Reads the organisation (its time zone, for a deal invoice's default date); absent: UTC. */
  xeroCall?: XeroGateway['call'];
  /** How long POST …/deals/{id}/invoice waits for Xero's answer to include `xeroUrl` (default 10 s). */
  dealAnswerWaitMs?: number;
}

const hostIdSchema = identifier(100);

const PATHS: Record<Exclude<DocumentKind, 'order'>, string> = {
  bill: 'bills',
  credit_note: 'credit-notes',
  deal: 'deals',
};

export function documentsRouter(deps: DocumentsRouterDeps): Router {
  const { db } = deps;
  const client = createOrderSyncClient(deps.temporal, { taskQueue: deps.taskQueue });
  const router = Router();
  for (const path of Object.values(PATHS)) router.use(`/accounts/:accountId/${path}`, deps.loadAccount);

  const account = (res: Response) => res.locals.account as Account;

  const parse = parseBody;

  function idFrom(param: unknown, res: Response, name: string): string | undefined {
    const r = hostIdSchema.safeParse(param);
    if (r.success) return r.data;
    sendApiError(res, 400, 'invalid_id', `The ${name} in the URL is not valid.`, {
      [name]: r.error.issues[0]?.message ?? 'invalid',
    });
    return undefined;
  }

  const safeUrl = (field: string, url: string | undefined, res: Response) =>
    acceptableHostUrl(field, url, res, deps.allowPrivateNetworks === true);
  const eventOptions = (req: Request, res: Response) => hostEventOptions(req, account(res).id);

  function answer(res: Response, kind: DocumentKind, a: Accepted, extra: Record<string, unknown> = {}): void {
    const body = {
      accepted: true,
      applied: a.applied,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.message ? { message: a.message } : {}),
      kind,
      id: a.orderNumber,
      workflowId: a.workflowId,
      status: a.status,
      ...extra,
    };
    if (a.applied) return void res.status(202).json(body);
    switch (a.reason) {
      case 'not_connected':
        return sendApiError(res, 409, 'not_connected', a.message ?? 'not connected to Xero');
      case 'unknown_order':
        return sendApiError(
          res,
          409,
          'document_not_found',
          a.message ?? `${documentLabel(kind, a.orderNumber)} is not known`,
        );
      case 'cancelled':
        return sendApiError(
          res,
          409,
          'document_cancelled',
          a.message ?? `${documentLabel(kind, a.orderNumber)} was cancelled`,
        );
      case 'invalid':
        return sendApiError(res, 400, 'invalid_request', a.message ?? 'The event is not valid.');
      default:
        res.status(200).json(body);
    }
  }

  // ---- bills ----
  router.put('/accounts/:accountId/bills/:billId', async (req, res) => {
    const billId = idFrom(req.params.billId, res, 'billId');
    if (!billId) return;
    const raw = (req.body ?? {}) as { type?: unknown; bill?: { type?: unknown } };
    const type = String(raw.bill?.type ?? raw.type ?? '')
      .toLowerCase()
      .replace(/[\s-]/g, '_');
    if (PURCHASE_ORDER_TYPES.has(type))
      return sendApiError(
        res,
        400,
        'purchase_orders_not_supported',
        "Purchase orders are not exported to Xero: a purchase order is an order to a supplier, not a bill. Send the supplier's invoice as a bill once it arrives.",
        { type: 'purchase orders are not supported' },
      );
    const event = parse(billEventSchema, req.body, res);
    if (!event || !(await safeUrl('bill.pdfUrl', event.bill.pdfUrl, res))) return;
    answer(res, 'bill', await client.putBill(account(res).id, billId, event, eventOptions(req, res)));
  });

  router.post('/accounts/:accountId/bills/:billId/payments', async (req, res) => {
    const billId = idFrom(req.params.billId, res, 'billId');
    if (!billId) return;
    const payment = parse(paymentSchema, req.body, res);
    if (!payment) return;
    answer(
      res,
      'bill',
      await client.addDocumentPayment('bill', account(res).id, billId, payment, eventOptions(req, res)),
    );
  });

  router.delete('/accounts/:accountId/bills/:billId/payments/:paymentId', async (req, res) => {
    const billId = idFrom(req.params.billId, res, 'billId');
    if (!billId) return;
    const removed = parse(paymentRemovedSchema, { paymentId: req.params.paymentId }, res);
    if (!removed) return;
    const a = await client.removeDocumentPayment(
      'bill',
      account(res).id,
      billId,
      removed.paymentId,
      eventOptions(req, res),
    );
    answer(res, 'bill', a);
  });

  // ---- credit notes ----
  router.put('/accounts/:accountId/credit-notes/:creditNoteId', async (req, res) => {
    const id = idFrom(req.params.creditNoteId, res, 'creditNoteId');
    if (!id) return;
    const event = parse(creditNoteEventSchema, req.body, res);
    if (!event || !(await safeUrl('creditNote.pdfUrl', event.creditNote.pdfUrl, res))) return;
    answer(res, 'credit_note', await client.putCreditNote(account(res).id, id, event, eventOptions(req, res)));
  });

  // ---- CRM deal invoices ----
  const zones = new Map<string, { zone: string; at: number }>();
  async function orgToday(accountId: string): Promise<string> {
    const cached = zones.get(accountId);
    if (cached && Date.now() - cached.at < 10 * 60_000) return todayIn(cached.zone);
    let zone = 'UTC';
    if (deps.xeroCall) {
      try {
        const body = await deps.xeroCall(accountId, (api, t) => api.getOrganisations(t));
        zone = ianaZoneOf(String(body.organisations?.[0]?.timezone ?? ''));
        zones.set(accountId, { zone, at: Date.now() });
      } catch {
        // Not connected, or Xero did not answer: the workflow's own answer says which; UTC meanwhile.
      }
    }
    return todayIn(zone);
  }

  router.post('/accounts/:accountId/deals/:dealId/invoice', async (req, res) => {
    const dealId = idFrom(req.params.dealId, res, 'dealId');
    if (!dealId) return;
    const deal = parse(dealInvoiceSchema, req.body, res);
    if (!deal) return;
    const { id: accountId } = account(res);
    const today = deal.date ? deal.date : await orgToday(accountId);
    const a = await client.putDealInvoice(accountId, dealId, deal, { ...eventOptions(req, res), today });
    // The CRM shows the link on the deal at once: wait (briefly) for Xero's invoice.
    let xeroUrl: string | undefined;
    if (a.applied || a.reason === 'duplicate' || a.reason === 'stale') {
      const until = Date.now() + (deps.dealAnswerWaitMs ?? 10_000);
      for (;;) {
        const view = await client.documentSyncState('deal', accountId, dealId);
        xeroUrl = view?.invoice?.xeroUrl ?? (await storedDocument('deal', accountId, dealId))?.xeroUrl;
        if (xeroUrl || view?.failure || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    answer(res, 'deal', a, xeroUrl ? { xeroUrl } : {});
  });

  // ---- every kind: cancel, retry, read ----
  for (const [kind, path] of Object.entries(PATHS) as Array<[Exclude<DocumentKind, 'order'>, string]>) {
    const suffix = kind === 'deal' ? '/invoice' : '';
    const param = kind === 'bill' ? 'billId' : kind === 'credit_note' ? 'creditNoteId' : 'dealId';

    router.post(`/accounts/:accountId/${path}/:id${suffix}/cancel`, async (req, res) => {
      const id = idFrom(req.params.id, res, param);
      if (!id) return;
      const cancel = parse(orderCancelledSchema, req.body, res);
      if (!cancel) return;
      answer(res, kind, await client.cancelDocument(kind, account(res).id, id, cancel, eventOptions(req, res)));
    });

    router.post(`/accounts/:accountId/${path}/:id${suffix}/retry`, async (req, res) => {
      const id = idFrom(req.params.id, res, param);
      if (!id) return;
      const { id: accountId } = account(res);
      if (!(await client.documentSyncState(kind, accountId, id)))
        return sendApiError(res, 409, 'not_running', `${documentLabel(kind, id)} has no sync in progress to retry`);
      const { workflowId } = await client.retryDocumentSync(kind, accountId, id);
      res.status(202).json({ accepted: true, applied: true, kind, id, workflowId });
    });

    router.get(`/accounts/:accountId/${path}/:id${suffix}`, async (req, res) => {
      const id = idFrom(req.params.id, res, param);
      if (!id) return;
      const { id: accountId } = account(res);
      const stored = await storedDocument(kind, accountId, id);
      if (!stored) return sendApiError(res, 404, 'document_not_found', `${documentLabel(kind, id)} is not known`);
      res.json({ ...stored, sync: (await client.documentSyncView(kind, accountId, id)) ?? null });
    });
  }

  /** What the database says about a document: its status, its Xero document and link, its payments. */
  async function storedDocument(kind: Exclude<DocumentKind, 'order'>, accountId: string, id: string) {
    const ref = documentRef(kind, id);
    const row = await db
      .selectFrom('order_syncs')
      .select(['status'])
      .where('account_id', '=', accountId)
      .where('order_number', '=', ref)
      .executeTakeFirst();
    if (!row) return undefined;
    const links = await documentLinks(db, accountId, ref);
    const doc = links.find((l) => l.kind === 'invoice' || l.kind === 'credit_note');
    const data = (doc?.data ?? {}) as {
      status?: string;
      total?: number;
      xeroUrl?: string;
      allocation?: { invoiceId: string; amount: number };
    };
    return {
      kind,
      id,
      status: row.status,
      workflowId: documentWorkflowId(kind, accountId, id),
      ...(data.xeroUrl ? { xeroUrl: data.xeroUrl } : {}),
      xero: doc
        ? {
            id: doc.xero_id,
            number: doc.xero_number,
            status: data.status ?? null,
            total: data.total ?? null,
            ...(data.xeroUrl ? { xeroUrl: data.xeroUrl } : {}),
          }
        : null,
      ...(data.allocation ? { allocation: data.allocation } : {}),
      payments: links
        .filter((l) => l.kind === 'payment')
        .map((l) => ({ paymentId: paymentIdOf(l.host_id), xeroPaymentId: l.xero_id })),
    };
  }

  return router;
}
