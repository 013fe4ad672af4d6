import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { createOrderSyncClient, type Accepted } from '../../src/client';
import type { Db } from '../../src/db/database';
import type { Account } from '../../src/db/schema';
import {
  orderCancelledSchema,
  orderConvertedSchema,
  orderNumberSchema,
  orderRevisedSchema,
  paymentRemovedSchema,
  paymentSchema,
} from '../../src/domain/order';
import { orderWorkflowId, type OrderSyncView } from '../../src/orders/messages';
import type { Order } from '../../src/domain/order';
import { paymentIdOf } from '../../src/orders/link-ids';
import { documentLinks } from '../../src/documents/links-query';
import { sendApiError } from '../api/errors';
import { acceptableHostUrl, hostEventOptions, parseBody } from '../api/host-event-request';

/**
 * The host's order events (mounted under /api/v1 behind the API-key check):
 *
 *   POST   /accounts/{accountId}/orders                                converted (body: {order, convertedAt?, revision?, updatedAt?})
 *   PUT    /accounts/{accountId}/orders/{orderNumber}                  revised   (body: {order, revision?, updatedAt?})
 *   POST   /accounts/{accountId}/orders/{orderNumber}/payments         payment added (body: payment)
 *   DELETE /accounts/{accountId}/orders/{orderNumber}/payments/{id}    payment removed
 *   POST   /accounts/{accountId}/orders/{orderNumber}/cancel           cancelled (body: {reason?})
 *   POST   /accounts/{accountId}/orders/{orderNumber}/retry            retry a failed sync
 *   GET    /accounts/{accountId}/orders/{orderNumber}                  what the engine knows
 *
 * The route validates and authenticates; the order's workflow decides (update-with-start) and the
 * answer says what it decided: 202 applied; 200 `applied: false` with the reason when the event
 * changes nothing (stale, duplicate, …); 409 not connected, unknown or cancelled order; 422 the order
 * was converted before the connection, so it and its payments are never synced.
 */

/**
 * An order's status, one vocabulary everywhere (the API's `status` and `sync.status`, the Temporal
 * search attribute SyncStatus capitalised):
 *   pending  — on its way to Xero (admitted, a step still to run or running)
 *   synced   — in Xero as the host last sent it
 *   failed   — a step failed; waits for a fix and a retry (listed under failures)
 *   closed   — nothing more to do: cancelled, or paid in full
 *   skipped  — converted before the Xero connection: never synced
 * The workflow's own view wins; without one (not yet started, or no worker answering) the stored
 * admission says what it can.
 */
export type OrderStatus = OrderSyncView['status'];
export function orderStatus(admission: 'syncing' | 'skipped' | 'cancelled', sync: OrderSyncView | null): OrderStatus {
  if (admission === 'skipped') return 'skipped';
  if (sync) return sync.status;
  return admission === 'cancelled' ? 'closed' : 'pending';
}

export interface OrdersRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
  /** Accept a pdfUrl on a loopback or private address (OUTBOUND_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks?: boolean;
}

export function ordersRouter(deps: OrdersRouterDeps): Router {
  const { db } = deps;
  const client = createOrderSyncClient(deps.temporal, { taskQueue: deps.taskQueue });
  const router = Router();
  router.use('/accounts/:accountId/orders', express.json({ limit: '2mb' }), deps.loadAccount);

  const account = (res: Response) => res.locals.account as Account;

  const parse = parseBody;

  /** A pdfUrl the worker would refuse is refused here, naming the field (the worker checks again at fetch time). */
  const safePdfUrl = (order: Order, res: Response) =>
    acceptableHostUrl('order.pdfUrl', order.pdfUrl, res, deps.allowPrivateNetworks === true);

  function orderNumberFrom(param: unknown, res: Response): string | undefined {
    const r = orderNumberSchema.safeParse(param);
    if (r.success) return r.data;
    sendApiError(res, 400, 'invalid_order_number', 'The order number in the URL is not valid.', {
      orderNumber: r.error.issues[0]?.message ?? 'invalid',
    });
    return undefined;
  }

  const eventOptions = (req: Request, res: Response) => hostEventOptions(req, account(res).id);

  /** The workflow's answer as HTTP. `what` names the event in messages ("the payment"). */
  function answer(res: Response, a: Accepted, what: string): void {
    const body = {
      accepted: true,
      applied: a.applied,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.message ? { message: a.message } : {}),
      workflowId: a.workflowId,
      orderNumber: a.orderNumber,
      status: a.status,
    };
    if (a.applied) {
      res.status(202).json(body);
      return;
    }
    switch (a.reason) {
      case 'skipped':
        if (what === 'the conversion') return sendApiError(res, 422, 'converted_before_connection', a.message ?? '');
        return sendApiError(
          res,
          422,
          'order_not_synced',
          `${what.replace(/^the /, '')} not synced: ${a.message ?? ''}`,
        );
      case 'not_connected':
        return sendApiError(res, 409, 'not_connected', a.message ?? 'not connected to Xero');
      case 'unknown_order':
        return sendApiError(res, 409, 'order_not_found', a.message ?? `order ${a.orderNumber} is not known`);
      case 'cancelled':
        return sendApiError(res, 409, 'order_cancelled', a.message ?? `order ${a.orderNumber} was cancelled`);
      case 'invalid':
        return sendApiError(res, 400, 'invalid_request', a.message ?? 'The event is not valid.');
      default:
        // Stale, duplicate, …: acknowledged, and nothing changed.
        res.status(200).json(body);
    }
  }

  router.post('/accounts/:accountId/orders', async (req, res) => {
    const event = parse(orderConvertedSchema, req.body, res);
    if (!event || !(await safePdfUrl(event.order, res))) return;
    answer(res, await client.startOrderSync(account(res).id, event, eventOptions(req, res)), 'the conversion');
  });

  router.put('/accounts/:accountId/orders/:orderNumber', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const event = parse(orderRevisedSchema, req.body, res);
    if (!event || !(await safePdfUrl(event.order, res))) return;
    if (event.order.number !== orderNumber)
      return sendApiError(res, 400, 'invalid_request', 'The order number in the body differs from the URL.', {
        'order.number': `must be ${orderNumber}`,
      });
    answer(res, await client.reviseOrder(account(res).id, event, eventOptions(req, res)), 'the revision');
  });

  router.post('/accounts/:accountId/orders/:orderNumber/payments', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const payment = parse(paymentSchema, req.body, res);
    if (!payment) return;
    answer(res, await client.addPayment(account(res).id, orderNumber, payment, eventOptions(req, res)), 'the payment');
  });

  router.delete('/accounts/:accountId/orders/:orderNumber/payments/:paymentId', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const removed = parse(paymentRemovedSchema, { paymentId: req.params.paymentId }, res);
    if (!removed) return;
    const a = await client.removePayment(account(res).id, orderNumber, removed.paymentId, eventOptions(req, res));
    answer(res, a, 'the payment removal');
  });

  router.post('/accounts/:accountId/orders/:orderNumber/cancel', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const cancel = parse(orderCancelledSchema, req.body, res);
    if (!cancel) return;
    answer(
      res,
      await client.cancelOrder(account(res).id, orderNumber, cancel, eventOptions(req, res)),
      'the cancellation',
    );
  });

  router.post('/accounts/:accountId/orders/:orderNumber/retry', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const { id: accountId } = account(res);
    const state = await client.orderSyncState(accountId, orderNumber);
    if (!state) return sendApiError(res, 409, 'not_running', `order ${orderNumber} has no sync in progress to retry`);
    const { workflowId } = await client.retryOrderSync(accountId, orderNumber);
    res.status(202).json({ accepted: true, applied: true, workflowId, orderNumber });
  });

  const orderOf = (accountId: string, orderNumber: string) =>
    db
      .selectFrom('order_syncs')
      .select(['status', 'skip_reason'])
      .where('account_id', '=', accountId)
      .where('order_number', '=', orderNumber)
      .executeTakeFirst();

  router.get('/accounts/:accountId/orders/:orderNumber', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const { id: accountId } = account(res);
    const order = await orderOf(accountId, orderNumber);
    if (!order) return sendApiError(res, 404, 'order_not_found', `order ${orderNumber} is not known`);
    const links = await documentLinks(db, accountId, orderNumber);
    const invoice = links.find((l) => l.kind === 'invoice');
    const sync = (await client.documentSyncView('order', accountId, orderNumber)) ?? null;
    res.json({
      orderNumber,
      status: orderStatus(order.status, sync),
      ...(order.skip_reason ? { reason: order.skip_reason } : {}),
      workflowId: orderWorkflowId(accountId, orderNumber),
      invoice: invoice
        ? {
            invoiceId: invoice.xero_id,
            invoiceNumber: invoice.xero_number,
            status: (invoice.data as { status?: string }).status ?? null,
            ...((invoice.data as { xeroUrl?: string }).xeroUrl
              ? { xeroUrl: (invoice.data as { xeroUrl?: string }).xeroUrl }
              : {}),
          }
        : null,
      payments: links
        .filter((l) => l.kind === 'payment')
        .map((l) => ({ paymentId: paymentIdOf(l.host_id), xeroPaymentId: l.xero_id })),
      sync,
    });
  });

  return router;
}
