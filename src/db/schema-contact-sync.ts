import type { ColumnType, Generated } from 'kysely';

/** Row types of the contact-sync tables (migration 0005); `Database` in ./schema extends these. */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type HostContactStatus =
  'pending' | 'created' | 'updated' | 'linked' | 'unchanged' | 'skipped' | 'archived' | 'failed';

/** A contact the host sent, and where its push to Xero stands. */
export interface HostContactsTable {
  account_id: string;
  host_id: string;
  data: Json<Record<string, unknown>>;
  data_hash: string;
  received_at: Timestamp;
  pushed_key: string | null;
  held_key: string | null;
  status: ColumnType<HostContactStatus, HostContactStatus | undefined, HostContactStatus>;
  status_message: string | null;
  errors: Json<string[]> | null;
  xero_contact_id: string | null;
  last_run_key: string | null;
  last_attempt_at: Date | null;
}

/** The engine's copy of the organisation's contacts (pulled, or written by the engine). */
export interface XeroContactsTable {
  account_id: string;
  contact_id: string;
  name: string;
  name_key: string;
  contact_number: string | null;
  status: string;
  xero_updated_at: Date | null;
  data: Json<Record<string, unknown>>;
  changed_at: Timestamp;
  change_seq: Generated<string>;
}

export interface ContactSyncStateTable {
  account_id: string;
  pull_watermark: Date | null;
  last_run_key: string | null;
  last_success_at: Date | null;
  import_run_key: string | null;
  import_status: 'running' | 'done' | 'failed' | null;
  import_done: Generated<number>;
  import_total: number | null;
  import_started_at: Date | null;
  import_finished_at: Date | null;
  import_error: string | null;
  updated_at: Timestamp;
}

export interface ContactPushBatchesTable {
  account_id: string;
  run_key: string;
  batch_no: number;
  creates: Json<unknown[]>;
  updates: Json<unknown[]>;
  create_sent_at: Date | null;
  create_attempts: Generated<number>;
  creates_done: Generated<boolean>;
  updates_done: Generated<boolean>;
  decided: Json<Record<string, unknown>>;
  result: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
}

export interface ContactPullPagesTable {
  account_id: string;
  run_key: string;
  page: number;
  result: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface ContactSyncRunsTable {
  account_id: string;
  run_key: string;
  mode: string;
  workflow_id: string;
  started_at: CreatedAt;
  finished_at: Date | null;
  status: Generated<string>;
  pushed: Generated<number>;
  linked: Generated<number>;
  pulled: Generated<number>;
  failed: Generated<number>;
  skipped: Generated<number>;
  error: string | null;
}

export type ReferenceDataKind = 'tax-rates' | 'items' | 'accounts' | 'tracking-categories' | 'currencies';

export interface XeroReferenceDataTable {
  account_id: string;
  kind: ReferenceDataKind;
  items: Json<unknown[]>;
  refreshed_at: Timestamp;
}

export interface ContactSyncTables {
  host_contacts: HostContactsTable;
  xero_contacts: XeroContactsTable;
  contact_sync_state: ContactSyncStateTable;
  contact_push_batches: ContactPushBatchesTable;
  contact_pull_pages: ContactPullPagesTable;
  contact_sync_runs: ContactSyncRunsTable;
  xero_reference_data: XeroReferenceDataTable;
}
