import { z } from 'zod';
import type { Db } from '../src/db/database';
import type { StoredOrderState } from '../src/orders/messages';

/**
 * The order workflow's answers to the host need two facts only the database has: whether the
 * account is connected, and (for a first conversion) whether the order is admitted at all. And a
 * completed run leaves the host's newest version and content with the order, for the next run.
 */

interface Base {
  accountId: string;
  workflowId: string;
  orderNumber: string;
}

export type Admission = { status: 'syncing' | 'skipped' | 'cancelled'; reason?: string };

export interface OrderGate {
  connected: boolean;
  /** The account has no Xero connection (the admission, if decided now, is "skipped" for it). */
  notConnected?: boolean;
  message?: string;
  admission?: Admission;
}

const NOT_CONNECTED =
  'not connected to Xero: connect the account first (orders converted before the connection are never synced)';

/** order_syncs.state as stored: parsed where read, never cast. */
export const storedOrderStateSchema = z.object({
  revision: z.number().int().nonnegative(),
  version: z
    .object({ revision: z.number().int().nonnegative().optional(), updatedAtMs: z.number().optional() })
    .optional(),
  orderJson: z.string().optional(),
  convertedAt: z.string().optional(),
  cancelRequested: z.boolean(),
  removedPaymentIds: z.array(z.string()),
  attachmentRevision: z.number().int().optional(),
}) satisfies z.ZodType<StoredOrderState>;

export interface OrderGateDeps {
  db: Db;
  /** The one place admission is decided (activities/orders: the first conversion decides, stored). */
  admitOrder: (input: Base & { convertedAt: string }) => Promise<Admission>;
}

export function createOrderGateActivities(deps: OrderGateDeps) {
  const { db } = deps;
  return {
    /**
     * Before the workflow answers a host event: is the account connected, and — for a first
     * conversion (`convertedAt` given) — is the order admitted (decided and stored now).
     */
    async gateOrderEvent(input: Base & { convertedAt?: string; admitOnlyWhenConnected?: boolean }): Promise<OrderGate> {
      const connection = await db
        .selectFrom('connections')
        .select(['status'])
        .where('account_id', '=', input.accountId)
        .executeTakeFirst();
      const connected = !!connection;
      const gate: OrderGate = { connected, ...(connected ? {} : { notConnected: true, message: NOT_CONNECTED }) };
      if (input.convertedAt !== undefined && (connected || !input.admitOnlyWhenConnected)) {
        const { admitOnlyWhenConnected: _ignored, ...rest } = input;
        gate.admission = await deps.admitOrder({ ...rest, convertedAt: input.convertedAt });
      }
      return gate;
    },

    /** A completing run's state, for the next run (see workflows/order-state.ts `persisted`). */
    async saveOrderState(input: Base & { state: StoredOrderState }): Promise<void> {
      const state = storedOrderStateSchema.parse(input.state);
      await db
        .updateTable('order_syncs')
        .set({ state: JSON.stringify(state), updated_at: new Date() })
        .where('account_id', '=', input.accountId)
        .where('order_number', '=', input.orderNumber)
        .execute();
    },
  };
}

export type OrderGateActivities = ReturnType<typeof createOrderGateActivities>;
