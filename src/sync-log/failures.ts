import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/database';
import type { SyncLogEntry } from '../db/schema';
import { explainFailures, type Explanation, type FailureFacts } from '../domain/failure-explanations';
import type { Settings } from '../domain/settings';
import { retrySignal } from '../orders/messages';
import { displayRef } from '../documents/kinds';
import { loadSettings } from '../settings/store';
import { listOpenFailures } from './query';

/**
 * The failures dashboard's model (admin home page, API): each open failure with the reason in plain
 * words, what to do, and where to see it in Temporal; and the retry that sends the order workflow its
 * `retry` signal — the same signal ops send from the Temporal UI or `temporal workflow signal`.
 */

/** Where the Temporal Web UI shows workflows: TEMPORAL_UI_URL or the dev server's UI. */
export interface TemporalUi {
  url: string;
  namespace: string;
}

export function temporalWorkflowUrl(ui: TemporalUi, workflowId: string): string {
  return `${temporalWorkflowsUrl(ui)}/${encodeURIComponent(workflowId)}`;
}

/** The Temporal UI's workflow list of a namespace, optionally filtered by a visibility query. */
export function temporalWorkflowsUrl(ui: TemporalUi, query?: string): string {
  const list = `${ui.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows`;
  return query ? `${list}?query=${encodeURIComponent(query)}` : list;
}

/**
 * The Temporal UI's list of an account's failed syncs: `SyncStatus="Failed" AND AccountId="…"`.
 * A failed sync is a Running workflow waiting for its `retry` signal, so it is found by this search
 * attribute, not under the UI's "Failed" status.
 */
export function temporalFailedSyncsUrl(ui: TemporalUi, accountId?: string): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  return temporalWorkflowsUrl(
    ui,
    `SyncStatus=${quote('Failed')}${accountId ? ` AND AccountId=${quote(accountId)}` : ''}`,
  );
}

const SETUP_LABELS: Record<string, string> = {
  revenueAccountCode: 'sales account',
  defaultTaxType: 'default tax rate',
  bankAccountCode: 'bank account for payments',
};

/** What a sync-log failure says, as `explainFailure` takes it (Xero's own messages when it gave some). */
export function failureFactsOf(entry: Pick<SyncLogEntry, 'message' | 'error'>): FailureFacts {
  const error = (entry.error ?? {}) as Record<string, unknown>;
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
  const kind = typeof error.kind === 'string' ? error.kind : undefined;
  if (kind === 'missing_setup') {
    const missing = strings(error.missing).map((m) => SETUP_LABELS[m] ?? m);
    return { errorKind: kind, messages: missing };
  }
  // The not-connected failure says why: never connected, or Xero refused the refresh token.
  const errorKind = kind === 'not_connected' && error.reason === 'needs_reconnect' ? 'needs_reconnect' : kind;
  const messages = [...new Set(strings(error.messages))];
  const doc = error.document as Record<string, unknown> | undefined;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const document =
    doc && typeof doc === 'object' && text(doc.word)
      ? {
          word: text(doc.word)!,
          ...(text(doc.number) ? { number: text(doc.number) } : {}),
          ...(text(doc.id) ? { id: text(doc.id) } : {}),
        }
      : undefined;
  return {
    ...(errorKind ? { errorKind } : {}),
    ...(typeof error.sqlstate === 'string' ? { sqlstate: error.sqlstate } : {}),
    ...(typeof error.step === 'string' ? { step: error.step } : {}),
    ...(document ? { document } : {}),
    messages: messages.length > 0 ? messages : entry.message ? [entry.message] : [],
  };
}

export interface OpenFailure {
  id: string;
  orderNumber: string | null;
  /** invoice, payment, attachment, contact, … */
  kind: string;
  action: string;
  /** The engine's own words (Xero's messages, joined). */
  message: string;
  problem: string;
  todo: string;
  /** Every problem of the failure with what to do about it (the first is `problem`/`todo`). */
  explanations: Explanation[];
  at: Date;
  workflowId: string | null;
  /** Only document workflows (orders, bills, credit notes, deals) take the `retry` signal. */
  retryable: boolean;
  temporalUrl?: string;
}

const isExplanation = (v: unknown): v is Explanation =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as Explanation).problem === 'string' &&
  typeof (v as Explanation).action === 'string';

/**
 * The explanations stored with the failure (as setup stood then), else made now. A failure stored
 * before every problem was explained keeps its stored (first) explanation, followed by the others.
 */
export function explanationsOf(entry: Pick<SyncLogEntry, 'message' | 'error'>, settings: Settings): Explanation[] {
  const error = entry.error as { explanation?: unknown; explanations?: unknown } | null;
  const stored = Array.isArray(error?.explanations) ? error.explanations.filter(isExplanation) : [];
  if (stored.length > 0) return stored.map(({ problem, action }) => ({ problem, action }));
  const made = explainFailures(failureFactsOf(entry), settings);
  const first = error?.explanation;
  if (!isExplanation(first)) return made;
  const rest = made.slice(1).filter((m) => m.problem !== first.problem);
  return [{ problem: first.problem, action: first.action }, ...rest];
}

export function describeFailure(entry: SyncLogEntry, settings: Settings, ui?: TemporalUi): OpenFailure {
  const explanations = explanationsOf(entry, settings);
  const { problem, action } = explanations[0]!;
  const retryable = /^(order|bill|credit_note|deal):/.test(entry.workflow_id ?? '');
  return {
    id: String(entry.id),
    orderNumber: entry.host_ref === null ? null : displayRef(entry.host_ref),
    kind: entry.kind,
    action: entry.action,
    message: entry.message ?? '',
    problem,
    todo: action,
    explanations,
    at: entry.created_at,
    workflowId: entry.workflow_id,
    retryable,
    ...(ui && entry.workflow_id ? { temporalUrl: temporalWorkflowUrl(ui, entry.workflow_id) } : {}),
  };
}

export async function openFailures(db: Db, accountId: string, ui?: TemporalUi): Promise<OpenFailure[]> {
  const entries = await listOpenFailures(db, accountId);
  if (entries.length === 0) return [];
  const settings = await loadSettings(db, accountId);
  return entries.map((e) => describeFailure(e, settings, ui));
}

export interface RetryResult {
  /** Workflows that were sent the retry signal. */
  sent: string[];
  /** Open failures whose workflow is no longer running (nothing to signal). */
  ended: string[];
}

/**
 * Sends `retry` to the workflows of the account's open failures: all of them, or those named. A
 * workflow id that is not an open, retryable failure of this account is ignored, so a forged form
 * cannot signal another account's workflows.
 */
export async function retryOpenFailures(
  db: Db,
  temporal: Client,
  accountId: string,
  only?: string[],
): Promise<RetryResult> {
  const open = (await listOpenFailures(db, accountId)).filter((e) => e.workflow_id?.startsWith(`order:${accountId}:`));
  const ids = [...new Set(open.map((e) => e.workflow_id!))].filter((id) => !only || only.includes(id));
  const result: RetryResult = { sent: [], ended: [] };
  for (const id of ids) {
    try {
      await temporal.workflow.getHandle(id).signal(retrySignal);
      result.sent.push(id);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      result.ended.push(id);
    }
  }
  return result;
}

/** Failure kinds that a (re)connection cures: no usable connection, or Xero refusing this one. */
const CURED_BY_RECONNECT = new Set(['not_connected', 'forbidden']);

/**
 * After the admin (re)connects Xero, the orders that failed for want of a connection are retried at
 * once, rather than waiting for someone to press Retry; other failures still wait for a fix.
 */
export async function retryFailuresCuredByReconnect(db: Db, temporal: Client, accountId: string): Promise<RetryResult> {
  const open = await listOpenFailures(db, accountId);
  const ids = open
    .filter((e) => CURED_BY_RECONNECT.has(String((e.error as { kind?: unknown } | null)?.kind)))
    .map((e) => e.workflow_id!)
    .filter(Boolean);
  if (ids.length === 0) return { sent: [], ended: [] };
  return retryOpenFailures(db, temporal, accountId, ids);
}
