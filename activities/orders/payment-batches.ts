import { sql } from 'kysely';
import type { Payment } from 'xero-node';
import { z } from 'zod';
import type { Db } from '../../src/db/database';
import type { PaymentBatchJournal, StoredPaymentBatch } from '../../src/xero/gateway';

/**
 * The payment batches of every worker, stored before they are sent (payment_batches, migration
 * 0016). A payment has no unique number by which Xero could refuse a second copy, and a batch's
 * Idempotency-Key is not the payment's own: so each payment (by its own write key) belongs to
 * exactly one stored batch, and whichever worker retries it resends that batch — the same members,
 * the same body, the same key — which Xero answers from its record (or, while the first is still
 * being processed, once it is done). Once Xero may have forgotten the key, the batch is never sent
 * again: the payment is looked for on its invoice instead (activities/orders/payment.ts).
 */

/** How long after a batch first left for Xero its key is trusted: well inside Xero's ~6 minutes. */
export const PAYMENT_KEY_TRUST_MS = 4 * 60_000;

const membersSchema = z.array(z.object({ key: z.string(), payment: z.record(z.string(), z.unknown()) }));

export interface ClaimedPaymentBatch extends StoredPaymentBatch {
  /** Within the key's trusted window (or never sent): resending it cannot make a second payment. */
  fresh: boolean;
}

export function paymentBatchJournal(
  db: Db,
  trustMs = PAYMENT_KEY_TRUST_MS,
): PaymentBatchJournal & {
  /** The batch this payment was claimed by, if any attempt ever stored one for it. */
  batchOf(accountId: string, memberKey: string): Promise<ClaimedPaymentBatch | undefined>;
  /** Lets an expired batch go for this payment (only that batch's claim), so it can be written again. */
  release(accountId: string, memberKey: string, batchId: string): Promise<void>;
} {
  const trust = sql<boolean>`first_sent_at is null or first_sent_at > now() - make_interval(secs => ${trustMs / 1000})`;

  async function batchesOf(accountId: string, memberKeys: string[]): Promise<Map<string, ClaimedPaymentBatch>> {
    if (memberKeys.length === 0) return new Map();
    const rows = await db
      .selectFrom('payment_batch_members as m')
      .innerJoin('payment_batches as b', 'b.id', 'm.batch_id')
      .select(['m.member_key', 'b.id', 'b.idempotency_key', 'b.members', trust.as('fresh')])
      .where('m.account_id', '=', accountId)
      .where('m.member_key', 'in', memberKeys)
      .execute();
    return new Map(
      rows.map((r) => [
        r.member_key,
        {
          id: r.id,
          idempotencyKey: r.idempotency_key,
          members: membersSchema.parse(r.members).map((m) => ({ key: m.key, payment: m.payment as Payment })),
          fresh: r.fresh,
        },
      ]),
    );
  }

  return {
    async claim(accountId, members, keyFor) {
      for (let round = 0; ; round++) {
        if (round === 5) throw new Error('payment batch claim kept racing other batches: retried by the activity');
        const taken = await batchesOf(
          accountId,
          members.map((m) => m.key),
        );
        const mine = members.filter((m) => !taken.has(m.key));
        if (mine.length === 0) return { lost: taken };
        const idempotencyKey = keyFor(mine.map((m) => m.key));
        // All of this batch's members or none: a member claimed meanwhile by another worker's batch
        // rolls the claim back, and the next round leaves it out.
        const batch = await db
          .transaction()
          .execute(async (trx) => {
            const row = await trx
              .insertInto('payment_batches')
              .values({ account_id: accountId, idempotency_key: idempotencyKey, members: JSON.stringify(mine) })
              .returning('id')
              .executeTakeFirstOrThrow();
            const claimed = await trx
              .insertInto('payment_batch_members')
              .values(mine.map((m, i) => ({ account_id: accountId, member_key: m.key, batch_id: row.id, position: i })))
              .onConflict((oc) => oc.columns(['account_id', 'member_key']).doNothing())
              .returning('member_key')
              .execute();
            if (claimed.length !== mine.length) throw new ClaimRaced();
            return { id: row.id, idempotencyKey, members: mine };
          })
          .catch((err: unknown) => {
            if (err instanceof ClaimRaced) return undefined;
            throw err;
          });
        if (batch) {
          // Kept a day: a retry later than that looks for its payment on the invoice anyway.
          await db
            .deleteFrom('payment_batches')
            .where('account_id', '=', accountId)
            .where('created_at', '<', sql<Date>`now() - interval '1 day'`)
            .execute();
          return { batch, lost: taken };
        }
      }
    },

    async sending(accountId, batchId) {
      const row = await db
        .updateTable('payment_batches')
        .set({ first_sent_at: sql<Date>`coalesce(first_sent_at, now())` })
        .where('account_id', '=', accountId)
        .where('id', '=', batchId)
        .returning(sql<boolean>`first_sent_at > now() - make_interval(secs => ${trustMs / 1000})`.as('fresh'))
        .executeTakeFirst();
      return row?.fresh === true;
    },

    async batchOf(accountId, memberKey) {
      return (await batchesOf(accountId, [memberKey])).get(memberKey);
    },

    async release(accountId, memberKey, batchId) {
      await db
        .deleteFrom('payment_batch_members')
        .where('account_id', '=', accountId)
        .where('member_key', '=', memberKey)
        .where('batch_id', '=', batchId)
        .execute();
    },
  };
}

class ClaimRaced extends Error {}
