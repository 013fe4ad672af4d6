import { defineSignal } from '@temporalio/workflow';

/**
 * Names, ids, messages and types shared by the item-push workflow, the contact-sync run's item
 * phase, their activities and the web routes. Imported by workflow code: no Node APIs here.
 */

export const ITEM_PUSH_WORKFLOW_TYPE = 'itemPushWorkflow';

/** One on-demand push per account at a time: `items:{accountId}`. */
export const itemPushWorkflowId = (accountId: string) => `items:${accountId}`;

/** "Items changed, push them": sent with signalWithStart by the items API. */
export const itemsChangedSignal = defineSignal<[]>('itemsChanged');

export interface ItemPushInput {
  accountId: string;
  /** Items per Xero call (Xero recommends at most 50); small in tests to exercise batching. */
  batchSize?: number;
}

/** What one batch activity did. */
export interface ItemBatchResult {
  pushed: number;
  failed: number;
  /** No pending item was waiting beyond this batch (or the account cannot push now). */
  done: boolean;
  /** The account has no usable Xero connection: items stay pending for a later run. */
  notConnected?: boolean;
}

export interface ItemPushResult {
  pushed: number;
  failed: number;
  status: 'done' | 'not-connected';
}

/** The patch id of the contact-sync run's item phase (workflows/contact-sync.ts). */
export const PUSH_ITEMS_PATCH = 'push-items';
