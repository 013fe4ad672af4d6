import express, { Router, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { createOrderSyncClient } from '../../src/client';
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
import { orderWorkflowId } from '../../src/orders/messages';
import { friendlyFieldErrors, sendApiError } from '../api/errors';

/**
 * The host's order events (mounted under /api/v1 behind the API-key check):
 *
 *   POST   /accounts/{accountId}/orders                                converted (body: {order, convertedAt?})
 *   PUT    /accounts/{accountId}/orders/{orderNumber}                  revised   (body: {order, revision?})
 *   POST   /accounts/{accountId}/orders/{orderNumber}/payments         payment added (body: payment)
 *   DELETE /accounts/{accountId}/orders/{orderNumber}/payments/{id}    payment removed
 *   POST   /accounts/{accountId}/orders/{orderNumber}/cancel           cancelled (body: {reason?})
 *   POST   /accounts/{accountId}/orders/{orderNumber}/retry            retry a failed sync
 *   GET    /accounts/{accountId}/orders/{orderNumber}                  what the engine knows
 *
 * Accepted events answer 202 with the workflow id; the work happens in the order's workflow.
 * Events that cannot apply answer 409 (not connected, unknown or cancelled order) or 422 (the
 * order was converted before the connection, so it and its payments are never synced).
 */

export interface OrdersRouterDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Sets `res.locals.account` for `:accountId` (the host's id) or answers 404 itself. */
  loadAccount: RequestHandler;
}

const NOT_CONNECTED =
  'not connected to Xero: connect the account first (orders converted before the connection are never synced)';
const BEFORE_CONNECTION = 'order converted before the Xero connection: not synced';

export function ordersRouter(deps: OrdersRouterDeps): Router {
  const { db } = deps;
  const client = createOrderSyncClient(deps.temporal, { taskQueue: deps.taskQueue });
  const router = Router();
  router.use('/accounts/:accountId/orders', express.json({ limit: '2mb' }), deps.loadAccount);

  const account = (res: Response) => res.locals.account as Account;

  function parse<S extends z.ZodType>(schema: S, body: unknown, res: Response): z.infer<S> | undefined {
    const r = schema.safeParse(body ?? {});
    if (r.success) return r.data;
    sendApiError(res, 400, 'invalid_request', 'The request body is not valid.', friendlyFieldErrors(r.error));
    return undefined;
  }

  function orderNumberFrom(param: unknown, res: Response): string | undefined {
    const r = orderNumberSchema.safeParse(param);
    if (r.success) return r.data;
    sendApiError(res, 400, 'invalid_order_number', 'The order number in the URL is not valid.', {
      orderNumber: r.error.issues[0]?.message ?? 'invalid',
    });
    return undefined;
  }

  const connectionOf = (accountId: string) =>
    db
      .selectFrom('connections')
      .select(['connected_at', 'status'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
  const orderOf = (accountId: string, orderNumber: string) =>
    db
      .selectFrom('order_syncs')
      .select(['status', 'skip_reason'])
      .where('account_id', '=', accountId)
      .where('order_number', '=', orderNumber)
      .executeTakeFirst();

  /** For events about an existing order: answers and returns false when it cannot apply. */
  async function knownSyncedOrder(
    res: Response,
    accountId: string,
    orderNumber: string,
    what: string,
    allowCancelled = false,
  ): Promise<boolean> {
    const order = await orderOf(accountId, orderNumber);
    if (!order) {
      sendApiError(
        res,
        409,
        'order_not_found',
        `order ${orderNumber} is not known: report its conversion (POST …/orders) before ${what}`,
      );
      return false;
    }
    if (order.status === 'skipped') {
      sendApiError(res, 422, 'order_not_synced', `${what} not synced: ${order.skip_reason ?? BEFORE_CONNECTION}`);
      return false;
    }
    if (order.status === 'cancelled' && !allowCancelled) {
      sendApiError(res, 409, 'order_cancelled', `order ${orderNumber} was cancelled: ${what} not synced`);
      return false;
    }
    if (!(await connectionOf(accountId))) {
      sendApiError(res, 409, 'not_connected', NOT_CONNECTED);
      return false;
    }
    return true;
  }

  const accepted = (res: Response, workflowId: string, orderNumber: string) =>
    res.status(202).json({ accepted: true, workflowId, orderNumber });

  router.post('/accounts/:accountId/orders', async (req, res) => {
    const event = parse(orderConvertedSchema, req.body, res);
    if (!event) return;
    const { id: accountId } = account(res);
    const orderNumber = event.order.number;
    const convertedAt = event.convertedAt ? new Date(event.convertedAt) : new Date();
    const existing = await orderOf(accountId, orderNumber);
    if (existing?.status === 'skipped')
      return sendApiError(res, 422, 'order_not_synced', existing.skip_reason ?? BEFORE_CONNECTION);
    if (!existing) {
      const connection = await connectionOf(accountId);
      const reason = !connection
        ? 'order converted while the account was not connected to Xero: not synced'
        : convertedAt < connection.connected_at
          ? BEFORE_CONNECTION
          : undefined;
      // Remembered either way: the first conversion decides whether the order ever syncs.
      await db
        .insertInto('order_syncs')
        .values({
          account_id: accountId,
          order_number: orderNumber,
          status: reason ? 'skipped' : 'syncing',
          skip_reason: reason ?? null,
          converted_at: convertedAt,
          workflow_id: orderWorkflowId(accountId, orderNumber),
        })
        .onConflict((oc) => oc.columns(['account_id', 'order_number']).doNothing())
        .execute();
      if (!connection) return sendApiError(res, 409, 'not_connected', NOT_CONNECTED);
      if (reason) return sendApiError(res, 422, 'converted_before_connection', reason);
    }
    const { workflowId } = await client.startOrderSync(accountId, {
      order: event.order,
      convertedAt: convertedAt.toISOString(),
    });
    accepted(res, workflowId, orderNumber);
  });

  router.put('/accounts/:accountId/orders/:orderNumber', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const event = parse(orderRevisedSchema, req.body, res);
    if (!event) return;
    if (event.order.number !== orderNumber)
      return sendApiError(res, 400, 'invalid_request', 'The order number in the body differs from the URL.', {
        'order.number': `must be ${orderNumber}`,
      });
    const { id: accountId } = account(res);
    if (!(await knownSyncedOrder(res, accountId, orderNumber, 'the revision'))) return;
    const { workflowId } = await client.reviseOrder(accountId, event);
    accepted(res, workflowId, orderNumber);
  });

  router.post('/accounts/:accountId/orders/:orderNumber/payments', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const payment = parse(paymentSchema, req.body, res);
    if (!payment) return;
    const { id: accountId } = account(res);
    if (!(await knownSyncedOrder(res, accountId, orderNumber, 'the payment'))) return;
    const { workflowId } = await client.addPayment(accountId, orderNumber, payment);
    accepted(res, workflowId, orderNumber);
  });

  router.delete('/accounts/:accountId/orders/:orderNumber/payments/:paymentId', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const removed = parse(paymentRemovedSchema, { paymentId: req.params.paymentId }, res);
    if (!removed) return;
    const { id: accountId } = account(res);
    // A payment removed after a cancel is what lets a paid invoice be voided: allowed.
    if (!(await knownSyncedOrder(res, accountId, orderNumber, 'the payment removal', true))) return;
    const { workflowId } = await client.removePayment(accountId, orderNumber, removed.paymentId);
    accepted(res, workflowId, orderNumber);
  });

  router.post('/accounts/:accountId/orders/:orderNumber/cancel', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const cancel = parse(orderCancelledSchema, req.body, res);
    if (!cancel) return;
    const { id: accountId } = account(res);
    if (!(await knownSyncedOrder(res, accountId, orderNumber, 'the cancellation', true))) return;
    const { workflowId } = await client.cancelOrder(accountId, orderNumber, cancel);
    accepted(res, workflowId, orderNumber);
  });

  router.post('/accounts/:accountId/orders/:orderNumber/retry', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const { id: accountId } = account(res);
    const state = await client.orderSyncState(accountId, orderNumber);
    if (!state) return sendApiError(res, 409, 'not_running', `order ${orderNumber} has no sync in progress to retry`);
    const { workflowId } = await client.retryOrderSync(accountId, orderNumber);
    accepted(res, workflowId, orderNumber);
  });

  router.get('/accounts/:accountId/orders/:orderNumber', async (req, res) => {
    const orderNumber = orderNumberFrom(req.params.orderNumber, res);
    if (!orderNumber) return;
    const { id: accountId } = account(res);
    const order = await orderOf(accountId, orderNumber);
    if (!order) return sendApiError(res, 404, 'order_not_found', `order ${orderNumber} is not known`);
    const links = await db
      .selectFrom('entity_links')
      .select(['kind', 'host_id', 'xero_id', 'xero_number', 'data'])
      .where('account_id', '=', accountId)
      .where((eb) =>
        eb.or([eb('host_id', '=', orderNumber), eb('host_id', 'like', `${orderNumber.replace(/[\\%_]/g, '\\$&')}/%`)]),
      )
      .where('kind', 'in', ['invoice', 'attachment', 'payment'])
      .execute();
    const invoice = links.find((l) => l.kind === 'invoice');
    res.json({
      orderNumber,
      status: order.status,
      ...(order.skip_reason ? { reason: order.skip_reason } : {}),
      workflowId: orderWorkflowId(accountId, orderNumber),
      invoice: invoice
        ? {
            invoiceId: invoice.xero_id,
            invoiceNumber: invoice.xero_number,
            status: (invoice.data as { status?: string }).status ?? null,
          }
        : null,
      payments: links
        .filter((l) => l.kind === 'payment')
        .map((l) => ({ paymentId: l.host_id.slice(orderNumber.length + 1), xeroPaymentId: l.xero_id })),
      sync: (await client.orderSyncState(accountId, orderNumber)) ?? null,
    });
  });

  return router;
}
