import type { Payment as XeroPayment } from 'xero-node';
import type { Payment } from '../../src/domain/order';
import { businessFailure } from '../../src/orders/failures';
import { XeroApiError } from '../../src/xero/errors';
import { settingsOf } from './context';
import { commitXeroResult } from './heartbeat';
import { facts, recordFact } from './host-events';
import { deleteLink, linkedXeroId, paymentHostId, paymentsLinkedElsewhere, upsertLink } from './links';
import { activityInfo, writeKey, type Base, type OrderModuleDeps } from './shared';
import { paymentBatchJournal } from './payment-batches';
import { writeSyncLog } from './sync-log';

/** Host payments as Xero payments on the order's invoice. */

/** Parses Xero's "/Date(1539993600000+0000)/" (or an ISO string) to YYYY-MM-DD. */
export function xeroDate(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return undefined;
  const m = /\/Date\((-?\d+)/.exec(value);
  if (m) return new Date(Number(m[1])).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}

export function createPaymentActivities({ db, xero, config }: OrderModuleDeps) {
  const journal = paymentBatchJournal(db, config.paymentKeyTrustMs);
  return {
    /**
     * Applies a host payment to the invoice, into the configured bank account; payments of one
     * organisation arriving together share one Xero request (the gateway batches them). Exactly once:
     * a retry resends the stored batch the payment went in, under its key (./payment-batches.ts);
     * when no batch of this scheduling can be trusted to be answered from Xero's record (lookFirst:
     * an earlier scheduling may have written it; or the key is too old), the invoice's payments are
     * checked first: one with the same amount, date and reference that no other host payment is
     * linked to is this one.
     */
    async createPayment(
      input: Base & { invoiceId: string; payment: Payment; generation: number; lookFirst: boolean },
    ): Promise<{ outcome: 'created'; xeroPaymentId: string } | { outcome: 'skipped'; reason: string }> {
      const settings = await settingsOf(db, input.accountId);
      const hostId = paymentHostId(input.orderNumber, input.payment.id);
      if (!settings.syncPayments) {
        const reason = 'setup does not sync payments';
        await writeSyncLog(db, input, {
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
      const gw = xero.forAccount(input.accountId);
      const p = input.payment;
      const idempotencyKey = writeKey(input.workflowId, 'payment', p.id, input.generation);
      let xeroPayment: XeroPayment | undefined;
      if (input.lookFirst || (activityInfo()?.attempt ?? 1) > 1) {
        // An earlier attempt (on any worker) stored the batch it sent this payment in: resending that
        // batch under its key is answered from Xero's record, even while the first is still there.
        const claimed = await journal.batchOf(input.accountId, idempotencyKey);
        const onInvoice = async () => {
          const invoice = await gw.invoice(input.invoiceId);
          const linked = await paymentsLinkedElsewhere(db, input.accountId, hostId);
          return (invoice?.payments ?? []).find(
            (x) =>
              x.paymentID &&
              !linked.has(x.paymentID) &&
              String(x.status ?? 'AUTHORISED') !== 'DELETED' &&
              Math.abs(Number(x.amount) - p.amount) < 0.005 &&
              xeroDate(x.date) === p.date &&
              (x.reference ?? '') === (p.reference ?? ''),
          );
        };
        if (claimed?.fresh) {
          try {
            xeroPayment = await gw.resendPaymentBatch(claimed, idempotencyKey, journal);
          } catch (err) {
            // Xero forgot the key sooner than we trust it to keep it, wrote the resend anew and refused
            // it (the first write already paid the invoice): that first write is on the invoice.
            if (!(err instanceof XeroApiError && (err.kind === 'validation' || err.kind === 'bad_request'))) throw err;
            xeroPayment = await onInvoice();
            if (!xeroPayment) throw err;
          }
        } else {
          // Never sent by this scheduling, or so long ago that Xero may have forgotten the key (and
          // that request is long answered): the payment is looked for on its invoice.
          xeroPayment = await onInvoice();
          if (!xeroPayment && claimed) await journal.release(input.accountId, idempotencyKey, claimed.id);
        }
      }
      // Payments of one organisation arriving together share one request (the gateway batches them,
      // storing each batch here before it is sent).
      xeroPayment ??= await gw.createPayment(
        {
          invoice: { invoiceID: input.invoiceId },
          account: { code: settings.bankAccountCode },
          date: p.date,
          amount: p.amount,
          ...(p.reference ? { reference: p.reference } : {}),
        },
        { idempotencyKey, journal },
      );
      const xeroPaymentId = xeroPayment.paymentID!;
      await commitXeroResult(db, async (trx) => {
        await upsertLink(trx, input.accountId, 'payment', hostId, xeroPaymentId, null, {
          amount: p.amount,
          date: p.date,
          ...(p.reference ? { reference: p.reference } : {}),
          generation: input.generation,
        });
        await recordFact(
          trx,
          input,
          {
            type: 'payment.synced',
            data: { paymentId: p.id, xeroPaymentId, amount: p.amount, invoiceId: input.invoiceId },
            factKey: facts.paymentSynced(input.workflowId, p.id, input.generation),
          },
          {
            kind: 'payment',
            action: 'create',
            outcome: 'success',
            xeroId: xeroPaymentId,
            message: `payment ${p.id} of ${p.amount.toFixed(2)} applied`,
          },
        );
      });
      return { outcome: 'created', xeroPaymentId };
    },

    /** Removes a payment in Xero (Status DELETED): removed in the host, or taken off for a revision. */
    async deletePayment(
      input: Base & { paymentId: string; xeroPaymentId: string; generation: number; reason: 'removed' | 'revision' },
    ): Promise<void> {
      const gw = xero.forAccount(input.accountId);
      try {
        await gw.deletePayment(input.xeroPaymentId, {
          idempotencyKey: writeKey(input.workflowId, 'unpay', input.paymentId, input.generation),
        });
      } catch (err) {
        // Already gone (deleted in Xero, or by our earlier attempt): the goal is reached.
        if (!(err instanceof XeroApiError && err.kind === 'not_found')) {
          const invoiceId = (await linkedXeroId(db, input.accountId, 'invoice', input.orderNumber)) ?? '';
          const current = await gw.invoice(invoiceId);
          const stillThere = (current?.payments ?? []).some(
            (x) => x.paymentID === input.xeroPaymentId && String(x.status ?? '') !== 'DELETED',
          );
          if (stillThere || !current) throw err;
        }
      }
      await commitXeroResult(db, async (trx) => {
        await deleteLink(trx, input.accountId, 'payment', paymentHostId(input.orderNumber, input.paymentId));
        await writeSyncLog(trx, input, {
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
  };
}
