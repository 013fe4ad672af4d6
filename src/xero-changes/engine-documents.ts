import type { Db } from '../db/database';
import { parseDocumentRef, type DocumentKind } from '../documents/kinds';

/**
 * Which of Xero's changed records the engine wrote. Only those go to a document workflow: the rest
 * of the organisation (documents other apps or people made) is none of the engine's business.
 */

export interface ConnectedAccount {
  accountId: string;
  connectedAt: Date;
}

/** Accounts connected to this Xero organisation (several host accounts may share one). */
export async function accountsForTenant(db: Db, tenantId: string): Promise<ConnectedAccount[]> {
  const rows = await db
    .selectFrom('connections')
    .select(['account_id', 'connected_at'])
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'active')
    .orderBy('account_id')
    .execute();
  return rows.map((r) => ({ accountId: r.account_id, connectedAt: r.connected_at }));
}

export interface EngineDocument {
  xeroId: string;
  kind: DocumentKind;
  hostId: string;
}

const LINK_KINDS = { invoice: ['invoice', 'bill'], credit_note: ['credit_note'] } as const;

/** The engine's documents among these Xero ids, by Xero id (links of kinds invoice/bill or credit_note). */
export async function engineDocuments(
  db: Db,
  accountId: string,
  family: 'invoice' | 'credit_note',
  xeroIds: string[],
): Promise<Map<string, EngineDocument>> {
  const out = new Map<string, EngineDocument>();
  if (xeroIds.length === 0) return out;
  const rows = await db
    .selectFrom('entity_links')
    .select(['xero_id', 'host_id'])
    .where('account_id', '=', accountId)
    .where('kind', 'in', [...LINK_KINDS[family]])
    .where('xero_id', 'in', [...new Set(xeroIds.map((id) => id.toLowerCase()))])
    .execute();
  for (const r of rows) {
    const { kind, hostId } = parseDocumentRef(r.host_id);
    out.set(r.xero_id.toLowerCase(), { xeroId: r.xero_id, kind, hostId });
  }
  return out;
}

/** Payments the engine wrote among these ids (their bank account is the engine's own setting). */
export async function enginePaymentIds(db: Db, accountId: string, paymentIds: string[]): Promise<Set<string>> {
  if (paymentIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('entity_links')
    .select('xero_id')
    .where('account_id', '=', accountId)
    .where('kind', '=', 'payment')
    .where('xero_id', 'in', [...new Set(paymentIds)])
    .execute();
  return new Set(rows.map((r) => r.xero_id));
}
