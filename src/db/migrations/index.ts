import type { Migration } from 'kysely';
import * as m0001 from './0001_initial';
import * as m0002 from './0002_admin_access';
import * as m0003 from './0003_orders';
import * as m0004 from './0004_host_webhooks';
import * as m0005 from './0005_contact_sync';
import * as m0006 from './0006_api_idempotency';
import * as m0007 from './0007_outbox_fact_key';
import * as m0008 from './0008_order_state';
import * as m0009 from './0009_documents';
import * as m0010 from './0010_host_items';
import * as m0011 from './0011_sync_log_xero_url';
import * as m0012 from './0012_reference_currencies';
import * as m0013 from './0013_exports';
import * as m0014 from './0014_xero_drift';
import * as m0015 from './0015_xero_app_limit_and_outages';
import * as m0016 from './0016_payment_batches';

/**
 * Every migration, in order. Kept in code (not read from a folder) so bundles and
 * `tsx` runs see the same list. Never edit a released migration: add a new one.
 */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_admin_access': m0002,
  '0003_orders': m0003,
  '0004_host_webhooks': m0004,
  '0005_contact_sync': m0005,
  '0006_api_idempotency': m0006,
  '0007_outbox_fact_key': m0007,
  '0008_order_state': m0008,
  '0009_documents': m0009,
  '0010_host_items': m0010,
  '0011_sync_log_xero_url': m0011,
  '0012_reference_currencies': m0012,
  '0013_exports': m0013,
  '0014_xero_drift': m0014,
  '0015_xero_app_limit_and_outages': m0015,
  '0016_payment_batches': m0016,
};
