import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ContactSyncTables } from './schema-contact-sync';

/** Row types of the engine's tables; the migrations in ./migrations are their source of truth. */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** A host system (quoting app, CRM, …) that calls the API with its own keys. */
export interface HostAppsTable {
  id: Generated<string>;
  name: string;
  webhook_url: string | null;
  /** Encrypted like Xero tokens: the host needs it back in clear to verify signatures. */
  webhook_secret_enc: string | null;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: Generated<string>;
  host_app_id: string;
  /** First characters of the key, shown in listings so a key can be recognised without storing it. */
  prefix: string;
  /** SHA-256 of the whole key; keys are long random strings, so a fast hash is enough. */
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** A customer of the host app: one Xero organisation at most, its own settings and data. */
export interface AccountsTable {
  id: Generated<string>;
  host_app_id: string;
  /** The host's own id for the account; unique per host app. */
  external_id: string;
  name: string;
  options: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type ConnectionStatus = 'active' | 'needs_reconnect';

export interface ConnectionsTable {
  id: Generated<string>;
  account_id: string;
  tenant_id: string;
  tenant_name: string;
  /** Xero's id of the connection, needed to disconnect one tenant. */
  xero_connection_id: string | null;
  access_token_enc: string;
  refresh_token_enc: string;
  access_token_expires_at: Date;
  scopes: string;
  status: ConnectionStatus;
  status_reason: string | null;
  connected_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SettingsTable {
  account_id: string;
  settings: Json<Record<string, unknown>>;
  updated_at: UpdatedAt;
}

export type EntityKind = 'contact' | 'invoice' | 'bill' | 'credit_note' | 'payment' | 'attachment';

/** Which Xero document stands for which host document: the memory that makes writes idempotent. */
export interface EntityLinksTable {
  id: Generated<string>;
  account_id: string;
  kind: EntityKind;
  host_id: string;
  xero_id: string;
  xero_number: string | null;
  data: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type SyncOutcome = 'success' | 'failure' | 'skipped';

export interface SyncLogTable {
  id: Generated<string>;
  account_id: string;
  /** What was synced: invoice, payment, contact, attachment, … */
  kind: string;
  /** What was done: create, update, delete, void, … */
  action: string;
  /** The host document: the order number, or a kind-namespaced key (src/documents/kinds.ts). */
  host_ref: string | null;
  /** order, bill, credit_note, deal (null on entries written before kinds, and for non-documents). */
  document_kind: Generated<string | null>;
  /** Xero's deep link to the document, when the entry is about one. */
  xero_url: Generated<string | null>;
  outcome: SyncOutcome;
  xero_id: string | null;
  message: string | null;
  error: Json<Record<string, unknown>> | null;
  workflow_id: string | null;
  run_id: string | null;
  created_at: CreatedAt;
}

/** Host webhook outbox: see src/host-webhooks/. */
export interface WebhookOutboxTable {
  id: Generated<string>;
  event_id: Generated<string>;
  host_app_id: string;
  account_id: string | null;
  event_type: string;
  ordering_key: string;
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  /** The business fact the event reports; unique per host app (NULL: an event without one). */
  fact_key: string | null;
}

/** A signed admin link's redemption record (the link itself carries the signature). */
export interface AdminLinksTable {
  id: Generated<string>;
  account_id: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
}

/** An admin's browser session: one account only; the cookie holds a random token, stored here hashed. */
export interface AdminSessionsTable {
  id: Generated<string>;
  token_hash: string;
  account_id: string;
  created_at: CreatedAt;
  expires_at: Date;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** One OAuth authorize round trip: state (hashed), PKCE verifier (encrypted), bound to the session that started it. */
export interface OAuthStatesTable {
  id: Generated<string>;
  state_hash: string;
  account_id: string;
  session_id: string;
  code_verifier_enc: string;
  redirect_uri: string;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
}

export interface PendingTenant {
  connectionId: string;
  tenantId: string;
  tenantName: string;
}

/** Tokens waiting for the admin to choose one of several organisations. */
export interface PendingConnectionsTable {
  id: Generated<string>;
  account_id: string;
  session_id: string;
  access_token_enc: string;
  refresh_token_enc: string;
  access_token_expires_at: Date;
  scopes: string;
  tenants: Json<PendingTenant[]>;
  created_at: CreatedAt;
  expires_at: Date;
}

/** Orders the engine has heard of (see migration 0003). */
export type OrderSyncStatus = 'syncing' | 'skipped' | 'cancelled';
export interface OrderSyncsTable {
  account_id: string;
  order_number: string;
  status: OrderSyncStatus;
  skip_reason: string | null;
  converted_at: Date;
  workflow_id: string;
  /** What a completed run left for the next (src/orders/messages.ts StoredOrderState); parse where read. */
  state: Json<unknown> | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One Xero call, for the shared per-tenant rate limiter (src/xero/rate-limiter.ts). */
export interface XeroApiCallsTable {
  id: Generated<string>;
  tenant_id: string;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  lease_expires_at: ColumnType<Date, Date | string, Date | string>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** What Xero last said about a tenant's limits. */
export interface XeroRateLimitsTable {
  tenant_id: string;
  blocked_until: Date | null;
  block_reason: string | null;
  min_remaining: number | null;
  day_remaining: number | null;
  observed_at: Date | null;
}

/** Xero calls of the whole app per time bucket (the app-wide rolling minute). */
export interface XeroAppCallsTable {
  app: string;
  bucket_ms: number;
  bucket: string;
  shard: number;
  calls: number;
}

/** What Xero last said about the whole app's limit. */
export interface XeroAppRateLimitsTable {
  app: string;
  blocked_until: Date | null;
  block_reason: string | null;
  app_remaining: number | null;
  observed_at: Date | null;
}

/** A payment batch stored before it is sent (activities/orders/payment-batches.ts). */
export interface PaymentBatchesTable {
  id: Generated<string>;
  account_id: string;
  idempotency_key: string;
  members: Json<unknown>;
  created_at: Generated<Date>;
  first_sent_at: Date | null;
}

/** Which stored batch a payment (by its own write key) went in: one batch per payment. */
export interface PaymentBatchMembersTable {
  account_id: string;
  member_key: string;
  batch_id: string;
  position: number;
}

/** A tenant Xero did not answer (5xx, no answer): probes one call at a time until it does (src/xero/outage.ts). */
export interface XeroOutagesTable {
  tenant_id: string;
  since: Date;
  failures: number;
  next_probe_at: Date;
  probe_call_id: string | null;
  probe_expires_at: Date | null;
}

/** A host app's Idempotency-Key and the first answer to it (web/api/idempotency.ts). */
export interface ApiIdempotencyKeysTable {
  host_app_id: string;
  idempotency_key: string;
  request_hash: string;
  method: string;
  path: string;
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  owner: string | null;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
}

/** Where a host item's push to Xero stands (migration 0010, src/items/). */
export type HostItemStatus = 'pending' | 'pushed' | 'failed';

/** An item the host sent (by code, unique without case per account) and its push state. */
export interface HostItemsTable {
  account_id: string;
  code: string;
  code_lower: string;
  body: Json<Record<string, unknown>>;
  fingerprint: string;
  status: ColumnType<HostItemStatus, HostItemStatus | undefined, HostItemStatus>;
  /** Xero's messages when it refused this version. */
  error: Json<string[]> | null;
  xero_item_id: string | null;
  pushed_fingerprint: string | null;
  pushed_at: Date | null;
  claim_key: string | null;
  claimed_until: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One item push batch: the exact bodies sent, so a retry resends the same request (src/items/push.ts). */
export interface ItemPushBatchesTable {
  account_id: string;
  batch_key: string;
  creates: Json<unknown[]>;
  updates: Json<unknown[]>;
  claimed: number;
  result: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
}

/** Contact-sync tables (migration 0005) live in ./schema-contact-sync. */
/** Each organisation's ShortCode, for Xero's deep links (read once per tenant). */
export interface XeroOrgShortCodesTable {
  tenant_id: string;
  short_code: string;
  read_at: Date;
}

export interface ExportsTable {
  id: string;
  account_id: string;
  status: Generated<'running' | 'completed' | 'cancelled'>;
  total: number;
  notify: Generated<boolean>;
  /** "117 of 120 invoices have been exported to Xero; …", once the export has finished. */
  sentence: string | null;
  created_at: CreatedAt;
  completed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ExportItemsTable {
  export_id: string;
  seq: number;
  kind: 'invoice' | 'bill' | 'credit_note';
  host_id: string;
  event: Json<unknown> | null;
  state: 'queued' | 'handed_over' | 'refused' | 'cancelled';
  reason: string | null;
}

/** A change made in Xero to a document the engine wrote (src/xero-changes/contract.ts). */
export interface XeroDriftTable {
  id: Generated<string>;
  account_id: string;
  document_ref: string;
  document_kind: string;
  xero_id: string;
  xero_number: string | null;
  via: 'webhook' | 'reconciliation';
  changes: Json<unknown>;
  xero_copy: Json<unknown>;
  status: Generated<'open' | 'resolved'>;
  resolution: 'sent_ours' | 'accepted_xero' | 'ignored' | 'overwritten' | null;
  detected_at: CreatedAt;
  updated_at: UpdatedAt;
  resolved_at: Date | null;
}

export interface XeroReconciliationRunsTable {
  id: Generated<string>;
  account_id: string;
  trigger: 'schedule' | 'manual' | 'api';
  status: Generated<'running' | 'completed' | 'failed'>;
  since: Date | null;
  started_at: CreatedAt;
  finished_at: Date | null;
  counts: Generated<Json<Record<string, unknown>>>;
}

export interface Database extends ContactSyncTables {
  xero_drift: XeroDriftTable;
  xero_reconciliation_runs: XeroReconciliationRunsTable;
  exports: ExportsTable;
  export_items: ExportItemsTable;
  xero_org_short_codes: XeroOrgShortCodesTable;
  host_apps: HostAppsTable;
  api_keys: ApiKeysTable;
  accounts: AccountsTable;
  connections: ConnectionsTable;
  settings: SettingsTable;
  entity_links: EntityLinksTable;
  sync_log: SyncLogTable;
  webhook_outbox: WebhookOutboxTable;
  admin_links: AdminLinksTable;
  admin_sessions: AdminSessionsTable;
  oauth_states: OAuthStatesTable;
  pending_connections: PendingConnectionsTable;
  order_syncs: OrderSyncsTable;
  xero_api_calls: XeroApiCallsTable;
  xero_rate_limits: XeroRateLimitsTable;
  xero_app_calls: XeroAppCallsTable;
  xero_app_rate_limits: XeroAppRateLimitsTable;
  xero_outages: XeroOutagesTable;
  api_idempotency_keys: ApiIdempotencyKeysTable;
  host_items: HostItemsTable;
  item_push_batches: ItemPushBatchesTable;
  payment_batches: PaymentBatchesTable;
  payment_batch_members: PaymentBatchMembersTable;
}

export type HostApp = Selectable<HostAppsTable>;
export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type Connection = Selectable<ConnectionsTable>;
export type ConnectionUpdate = Updateable<ConnectionsTable>;
export type EntityLink = Selectable<EntityLinksTable>;
export type SyncLogEntry = Selectable<SyncLogTable>;
export type NewSyncLogEntry = Insertable<SyncLogTable>;
