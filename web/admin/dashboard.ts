import { xeroCallsLastDay } from '../../src/xero/rate-limiter';
import type { Db } from '../../src/db/database';
import type { SyncLogEntry } from '../../src/db/schema';
import { displayRef } from '../../src/documents/kinds';
import { missingForInvoices } from '../../src/domain/settings';
import { loadSettings } from '../../src/settings/store';
import { temporalFailedSyncsUrl, type TemporalUi } from '../../src/sync-log/failures';
import type { ConnectionState } from '../../src/xero/connections';
import { MISSING_LABELS } from './setup-page';

/**
 * The account home as a dashboard: one health line (organisation, connection, open failures, last
 * successful sync, Xero calls used in the last 24 hours), the newest sync log entries with their
 * links into Xero, and the granted scopes in plain words. Times go to the page as ISO instants with
 * a UTC fallback; /assets/local-time.js shows them in the viewer's zone and relative ("3 minutes ago").
 */

/** A time as the page shows it: `<time datetime="{iso}">{utc}</time>`. */
export interface TimeView {
  iso: string;
  utc: string;
}

export function timeView(d: Date): TimeView {
  return {
    iso: d.toISOString(),
    utc: `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(d)} UTC`,
  };
}

/** Xero's daily call limit per organisation (rolling 24 hours), as the rate limiter applies it. */
export const XERO_DAILY_CALLS = 5000;

/** Scope → what it lets the app touch, in the words Xero's own consent page uses. */
const SCOPE_WORDS: Record<string, string> = {
  'accounting.invoices': 'invoices',
  'accounting.invoices.read': 'invoices (read only)',
  'accounting.transactions': 'invoices and other transactions',
  'accounting.transactions.read': 'transactions (read only)',
  'accounting.payments': 'payments',
  'accounting.payments.read': 'payments (read only)',
  'accounting.contacts': 'contacts',
  'accounting.contacts.read': 'contacts (read only)',
  'accounting.settings': 'settings',
  'accounting.settings.read': 'settings (read only)',
  'accounting.attachments': 'attachments',
  'accounting.attachments.read': 'attachments (read only)',
  'accounting.reports.read': 'reports (read only)',
};
/** Sign-in scopes: not access to the organisation's data. */
const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** "invoices, payments, contacts, settings, attachments" from a granted scope string. */
export function scopesInWords(scopes: string): string {
  const words = scopes
    .split(/\s+/)
    .filter((s) => s && !IDENTITY_SCOPES.has(s))
    .map((s) => SCOPE_WORDS[s] ?? s.replace(/^accounting\./, '').replace(/\./g, ' '));
  return words.length > 0 ? [...new Set(words)].join(', ') : 'sign-in only';
}

const WHAT: Record<string, string> = {
  invoice: 'Invoice',
  payment: 'Payment',
  attachment: 'Order PDF',
  contact: 'Contact',
  contact_sync: 'Contact sync',
  credit_note: 'Credit note',
  allocation: 'Allocation',
};
const OUTCOME: Record<string, string> = { success: 'Succeeded', failure: 'Failed', skipped: 'Skipped' };

export interface RecentEntry {
  id: string;
  at: TimeView;
  what: string;
  document: string;
  outcome: string;
  outcomeLabel: string;
  message: string;
  /** Only https links (Xero's deep links) are kept. */
  xeroUrl: string;
  url: string;
}

export function recentEntry(accountId: string, e: SyncLogEntry): RecentEntry {
  return {
    id: String(e.id),
    at: timeView(e.created_at),
    what: `${WHAT[e.kind] ?? e.kind} ${e.action}`,
    document: e.host_ref ? displayRef(e.host_ref) : '',
    outcome: e.outcome,
    outcomeLabel: OUTCOME[e.outcome] ?? e.outcome,
    message: e.message ?? '',
    xeroUrl: e.xero_url && /^https:\/\//.test(e.xero_url) ? e.xero_url : '',
    url: `/admin/accounts/${accountId}/sync-log/${e.id}`,
  };
}

export interface Health {
  /** not_connected, active, attention (connected, failures open or setup incomplete), needs_reconnect */
  state: 'not_connected' | 'active' | 'attention' | 'needs_reconnect';
  stateLabel: string;
  organisation: string;
  failures: number;
  lastSuccess: TimeView | null;
  callsToday: number;
  callLimit: number;
  /** Setup still to choose before invoices sync (labels), when connected. */
  missing: string[];
}

export interface Dashboard {
  health: Health;
  /** Changes whenever the health line's content does (the live page compares it). */
  healthKey: string;
  recent: RecentEntry[];
  scopes: string;
  connectedSince: TimeView | null;
  /** The Temporal UI's list of this account's failed syncs. */
  temporalFailedUrl?: string;
}

export async function lastSuccessfulSync(db: Db, accountId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('sync_log')
    .select('created_at')
    .where('account_id', '=', accountId)
    .where('outcome', '=', 'success')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}

export async function recentEntries(db: Db, accountId: string, limit = 8): Promise<RecentEntry[]> {
  const rows = await db
    .selectFrom('sync_log')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((e) => recentEntry(accountId, e));
}

export function healthOf(
  connection: ConnectionState,
  failures: number,
  rest: Omit<Health, 'state' | 'stateLabel' | 'organisation' | 'failures'>,
): Health {
  const organisation = connection.status === 'not_connected' ? '' : connection.tenantName;
  if (connection.status === 'not_connected')
    return { ...rest, state: 'not_connected', stateLabel: 'Not connected', organisation, failures };
  if (connection.status === 'needs_reconnect')
    return { ...rest, state: 'needs_reconnect', stateLabel: 'Needs reconnecting', organisation, failures };
  if (failures > 0)
    return {
      ...rest,
      state: 'attention',
      stateLabel: failures === 1 ? 'Connected · 1 failure' : `Connected · ${failures} failures`,
      organisation,
      failures,
    };
  if (rest.missing.length > 0)
    return { ...rest, state: 'attention', stateLabel: 'Connected · setup incomplete', organisation, failures };
  return { ...rest, state: 'active', stateLabel: 'Connected', organisation, failures };
}

export async function accountDashboard(
  db: Db,
  accountId: string,
  connection: ConnectionState,
  failures: number,
  ui?: TemporalUi,
): Promise<Dashboard> {
  const connected = connection.status !== 'not_connected';
  const [last, calls, recent, settings] = await Promise.all([
    lastSuccessfulSync(db, accountId),
    connected ? xeroCallsLastDay(db, connection.tenantId) : Promise.resolve(0),
    recentEntries(db, accountId),
    connection.status === 'active' ? loadSettings(db, accountId) : Promise.resolve(undefined),
  ]);
  const missing = settings ? missingForInvoices(settings).map((m) => MISSING_LABELS[m] ?? m) : [];
  const health = healthOf(connection, failures, {
    lastSuccess: last ? timeView(last) : null,
    callsToday: calls,
    callLimit: XERO_DAILY_CALLS,
    missing,
  });
  return {
    health,
    healthKey: [health.state, health.organisation, failures, health.lastSuccess?.iso ?? '', calls, ...missing].join(
      '|',
    ),
    recent,
    scopes: connected ? scopesInWords(connection.scopes) : '',
    connectedSince: connected ? timeView(connection.connectedAt) : null,
    ...(ui ? { temporalFailedUrl: temporalFailedSyncsUrl(ui, accountId) } : {}),
  };
}
