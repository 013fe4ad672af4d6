import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Item } from 'xero-node';
import { freeText, identifier } from './text';
import { stableJson } from './stable-json';

/**
 * Host items (an invoicing app's products and services) pushed to Xero as items. The code is the
 * item's identity on both sides: Xero keeps codes unique without case, so the engine does too
 * (`itemCodeKey`) and links a host item to the Xero item of that code instead of creating another.
 */

/** Xero's limits: Code 30, Name 50, descriptions 4,000 (counted in UTF-16 units, as Xero counts). */
export const itemCodeSchema = identifier(30);

const decimals = (n: number, dp: number) => Math.abs(Math.round(n * 10 ** dp) - n * 10 ** dp) < 1e-6;

/** Xero keeps item prices to four decimals when written with unitdp=4. */
const unitPrice = z
  .number()
  .finite()
  .refine((n) => Math.abs(n) < 1e12, 'too large')
  .refine((n) => decimals(n, 4), 'at most 4 decimals');

const itemDetailsSchema = z.object({
  unitPrice: unitPrice.optional(),
  /** A Xero account code (Xero allows 10 characters). */
  accountCode: identifier(10).optional(),
  /** A Xero TaxType, e.g. OUTPUT2. */
  taxType: identifier(50).optional(),
});

export const hostItemSchema = z.object({
  code: itemCodeSchema,
  name: identifier(50),
  /** Shown on sales lines. */
  description: freeText(4000).optional(),
  /** Shown on purchase lines. */
  purchaseDescription: freeText(4000).optional(),
  sales: itemDetailsSchema.optional(),
  purchases: itemDetailsSchema.optional(),
});
export type HostItem = z.infer<typeof hostItemSchema>;
export type HostItemInput = z.input<typeof hostItemSchema>;

/** The bulk form's size: each item is validated on its own (web/routes/items.ts). */
export const MAX_BULK_ITEMS = 500;

/** Codes that differ only in case are one item in Xero: the key the engine stores and matches on. */
export function itemCodeKey(code: string): string {
  return code.trim().toLowerCase();
}

/** A stable fingerprint of what the host sent: identical → nothing to push again. */
export function hostItemFingerprint(item: HostItem): string {
  return createHash('sha256').update(stableJson(item)).digest('hex').slice(0, 32);
}

/**
 * The Xero item for a host item. With `itemID` (an update) a field the host left out is sent empty
 * so Xero clears it; a create leaves it out. IsSold / IsPurchased are always sent: Xero nulls the
 * description and details of a side that is switched off, which is what leaving it out means.
 */
export function toXeroItem(item: HostItem, itemID?: string): Item {
  const update = itemID !== undefined;
  const text = (v: string | undefined) => (v !== undefined && v !== '' ? v : update ? '' : undefined);
  const details = (d: HostItem['sales']) =>
    d && {
      ...(d.unitPrice !== undefined ? { unitPrice: d.unitPrice } : update ? { unitPrice: 0 } : {}),
      ...defined('accountCode', text(d.accountCode)),
      ...defined('taxType', text(d.taxType)),
    };
  const isSold = item.sales !== undefined || !!item.description;
  const isPurchased = item.purchases !== undefined || !!item.purchaseDescription;
  return {
    ...(itemID ? { itemID } : {}),
    code: item.code,
    name: item.name,
    isSold,
    isPurchased,
    ...(isSold ? defined('description', text(item.description)) : {}),
    ...(isPurchased ? defined('purchaseDescription', text(item.purchaseDescription)) : {}),
    ...(item.sales ? { salesDetails: details(item.sales) } : {}),
    ...(item.purchases ? { purchaseDetails: details(item.purchases) } : {}),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}
