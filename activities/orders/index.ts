import { runAsBulk } from '../../src/xero/work-class';
import { fetchHostPdf } from '../../src/orders/host-pdf';
import { withFailureMapping } from '../../src/orders/failures';
import { createAttachmentActivities } from './attachment';
import { createContactActivities } from './contact';
import { createContextActivities } from './context';
import { createCreditNoteActivities } from './credit-note';
import { createOrderGateActivities } from '../order-gate';
import { withHeartbeats } from './heartbeat';
import { createInvoiceActivities } from './invoice';
import { createPaymentActivities } from './payment';
import { createRecordActivities } from './record';
import { createXeroDriftActivities } from './xero-drift';
import { DEFAULT_ORDER_SYNC_CONFIG, type OrderActivityDeps, type OrderModuleDeps } from './shared';

/**
 * The order workflow's activities: all of its I/O, each safe to run again. Every Xero write carries
 * an Idempotency-Key from (workflow id, step, revision or generation); creations first look for
 * their own earlier write (invoice by number, contact by ContactNumber, payment on the invoice),
 * because Xero keeps idempotency keys for minutes only. Links, the sync log and the host event of a
 * write are stored in one transaction, after Xero answered, and only by an attempt still alive
 * (./heartbeat.ts); the host event once per business fact (./host-events.ts).
 *
 * The workflow calls them by name, and recorded histories replay them: names and types are fixed.
 */
export function createOrderActivities(deps: OrderActivityDeps) {
  const modules: OrderModuleDeps = {
    db: deps.db,
    xero: deps.xero,
    config: { ...DEFAULT_ORDER_SYNC_CONFIG, ...deps.orders },
    fetchPdf: deps.fetchPdf ?? fetchHostPdf,
    publicUrl: deps.publicUrl ?? 'http://localhost:3000',
  };
  const context = createContextActivities(modules);
  return withFailureMapping(
    withWorkClass(
      withHeartbeats({
        ...context,
        ...createOrderGateActivities({ db: deps.db, admitOrder: context.admitOrder }),
        ...createContactActivities(modules),
        ...createInvoiceActivities(modules),
        ...createCreditNoteActivities(modules),
        ...createAttachmentActivities(modules),
        ...createPaymentActivities(modules),
        ...createRecordActivities(modules),
        ...createXeroDriftActivities(modules),
      }),
    ),
  );
}

/** An export's document (its input says `bulk`): its Xero calls are bulk work (src/xero/work-class.ts). */
function withWorkClass<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities))
    out[name] = (...args: never[]) =>
      (args[0] as { bulk?: unknown } | undefined)?.bulk === true ? runAsBulk(() => fn(...args)) : fn(...args);
  return out as T;
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;

export type { OrderContext } from './context';
export { xeroDate } from './payment';
export {
  DEFAULT_ORDER_SYNC_CONFIG,
  type InvoiceSummary,
  type OrderActivityDeps,
  type OrderSyncConfig,
  type StoredPayment,
} from './shared';
