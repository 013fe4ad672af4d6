import type { Client } from '@temporalio/client';
import { createOrderSyncClient } from '../client';
import type { Db } from '../db/database';
import type { OrderEventReason } from '../orders/messages';
import type { DriftAction } from './contract';
import { getDrift, type DriftView } from './drift-queries';

/**
 * An admin's or the host's answer to a drift, shared by the Reconciliation page and the API: the
 * document's own workflow decides (it owns the document's state and its writes to Xero), this only
 * finds the drift within the account and hands the action over.
 */

export type ResolveOutcome =
  | { kind: 'not_found' }
  | { kind: 'already_resolved'; drift: DriftView }
  | {
      kind: 'answered';
      applied: boolean;
      reason?: OrderEventReason;
      message?: string;
      workflowId: string;
      /** The drift as stored once the workflow answered (a Xero write may still be on its way). */
      drift: DriftView;
    };

export async function resolveDrift(
  db: Db,
  temporal: Client,
  taskQueue: string,
  accountId: string,
  driftId: string,
  action: DriftAction,
): Promise<ResolveOutcome> {
  const drift = await getDrift(db, accountId, driftId);
  if (!drift) return { kind: 'not_found' };
  if (drift.status === 'resolved') return { kind: 'already_resolved', drift };
  const answer = await createOrderSyncClient(temporal, { taskQueue }).sendXeroEvent(
    drift.kind,
    accountId,
    drift.documentId,
    { type: 'xero_resolve', action },
    // A double click (or two admins) on the same drift as it stands is one event for the workflow.
    { eventId: `xero-resolve-${drift.id}-${action}-${Date.parse(drift.updatedAt)}` },
  );
  return {
    kind: 'answered',
    applied: answer.applied,
    ...(answer.reason ? { reason: answer.reason } : {}),
    ...(answer.message ? { message: answer.message } : {}),
    workflowId: answer.workflowId,
    drift: (await getDrift(db, accountId, drift.id)) ?? drift,
  };
}
