import type { Db } from '../../src/db/database';
import { hostItemCounts, listHostItems } from '../../src/items/host-items';

/**
 * The account page's "Products and services" card: how many of the host's items are in Xero, how
 * many wait, and each item Xero refused with its words (fixed by sending the item again).
 */
export interface ItemsSection {
  counts: { pending: number; pushed: number; failed: number };
  failed: Array<{ code: string; errors: string }>;
}

export async function itemsSection(db: Db, accountId: string): Promise<ItemsSection | undefined> {
  const counts = await hostItemCounts(db, accountId);
  if (counts.pending + counts.pushed + counts.failed === 0) return undefined;
  const failed = counts.failed > 0 ? await listHostItems(db, accountId, { status: 'failed', limit: 20 }) : [];
  return {
    counts,
    failed: failed.map((i) => ({ code: i.code, errors: i.errors.join(' ') || 'Xero refused the item' })),
  };
}
