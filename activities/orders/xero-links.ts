import type { Db } from '../../src/db/database';
import { xeroDeepLink } from '../../src/domain/document-mapping';
import type { XeroGateway } from '../../src/xero/gateway';
import { createSingleFlight } from '../../src/xero/single-flight';

/**
 * Xero's deep link to a document needs the organisation's ShortCode: read once per organisation
 * (GET /Organisation) and kept, so a link costs no call per document. Without it (Xero did not
 * answer) the document still syncs; its link is left out rather than failing the sync.
 */
export async function xeroUrlFor(
  db: Db,
  xero: XeroGateway,
  accountId: string,
  xeroType: string,
  documentId: string,
): Promise<string | undefined> {
  const shortCode = await shortCodeOf(db, xero, accountId);
  return shortCode ? xeroDeepLink(shortCode, xeroType, documentId) : undefined;
}

async function shortCodeOf(db: Db, xero: XeroGateway, accountId: string): Promise<string | undefined> {
  const conn = await db
    .selectFrom('connections')
    .leftJoin('xero_org_short_codes', 'xero_org_short_codes.tenant_id', 'connections.tenant_id')
    .select(['connections.tenant_id', 'xero_org_short_codes.short_code'])
    .where('connections.account_id', '=', accountId)
    .executeTakeFirst();
  if (!conn) return undefined;
  if (conn.short_code) return conn.short_code;
  // Documents of a new organisation arrive together: one read of its short code serves them all.
  return shortCodeReads(conn.tenant_id, async () => {
    try {
      const org = await xero.forAccount(accountId).organisation();
      if (!org?.shortCode) return undefined;
      await db
        .insertInto('xero_org_short_codes')
        .values({ tenant_id: conn.tenant_id, short_code: org.shortCode, read_at: new Date() })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ short_code: org.shortCode!, read_at: new Date() }))
        .execute();
      return org.shortCode;
    } catch {
      return undefined;
    }
  });
}

const shortCodeReads = createSingleFlight<string | undefined>({ reuseMs: 5_000 });
