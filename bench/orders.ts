import type { Order } from '../src/domain/order';
import type { OrderSyncClient } from '../src/client';
import { sampleOrder } from '../test/support/orders';

/**
 * The host's side of the bench: orders as a host sends them (converted, then one payment), with
 * customers that recur, sent with a bounded number of requests in flight.
 */

export function benchOrder(number: string, customer: number, org = 0): Order {
  return sampleOrder({
    number,
    customer: {
      type: 'organisation',
      id: `cust-${org}-${customer}`,
      name: `Bench Customer ${org}-${customer}`,
      email: `c${customer}@example.com`,
    },
  });
}

/** A part payment, so the order stays open (no completion step) whatever its total. */
export const PAYMENT_AMOUNT = 50;

/** An answer other than "applied": kept for the result, the order still counted (it may sync anyway). */
export interface UnexpectedAnswer {
  accountId: string;
  orderNumber: string;
  event: 'converted' | 'payment_added';
  reason?: string;
  message?: string;
}

/**
 * Convert, then (by default) one payment: both answered by the order's workflow. An event not
 * applied is reported to `unexpected` (and the bench goes on) rather than ending the measure.
 */
export async function sendLifecycle(
  client: OrderSyncClient,
  accountId: string,
  order: Order,
  withPayment = true,
  unexpected?: UnexpectedAnswer[],
): Promise<void> {
  const note = (event: UnexpectedAnswer['event'], a: { applied: boolean; reason?: string; message?: string }) => {
    if (a.applied) return;
    const u = { accountId, orderNumber: order.number, event, reason: a.reason, message: a.message };
    process.stdout.write(`  unexpected answer: ${JSON.stringify(u)}\n`);
    unexpected?.push(u);
  };
  note('converted', await client.startOrderSync(accountId, { order }));
  if (withPayment) {
    note(
      'payment_added',
      await client.addPayment(accountId, order.number, {
        id: `${order.number}-P1`,
        amount: PAYMENT_AMOUNT,
        date: order.date,
      }),
    );
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function inPool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Progress on one line per change, so a long measure shows it is moving. */
export const reporter = (label: string, total: number) => (done: number) =>
  process.stdout.write(`  ${label}: ${done} of ${total}\n`);
