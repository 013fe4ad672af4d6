import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes that let ops find syncs in the Temporal UI and CLI, e.g.
 * `temporal workflow list --query "SyncStatus='Failed' AND AccountId='…'"`.
 * Imported by workflow code too, so this module must stay free of Node APIs.
 */
export const AccountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const OrderNumberKey = defineSearchAttributeKey('OrderNumber', SearchAttributeType.KEYWORD);
export const SyncStatusKey = defineSearchAttributeKey('SyncStatus', SearchAttributeType.KEYWORD);
export const SyncErrorKindKey = defineSearchAttributeKey('SyncErrorKind', SearchAttributeType.KEYWORD);

/** order, bill, credit_note, deal: set when a document's workflow starts. */
export const DocumentKindKey = defineSearchAttributeKey('DocumentKind', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  AccountIdKey,
  OrderNumberKey,
  SyncStatusKey,
  SyncErrorKindKey,
  DocumentKindKey,
] as const;

/** Values of SyncStatus, as ops type them in queries. */
export const SyncStatus = {
  Pending: 'Pending',
  Synced: 'Synced',
  Failed: 'Failed',
  Closed: 'Closed',
  /** Orders converted before the Xero connection: never synced. */
  Skipped: 'Skipped',
} as const;
