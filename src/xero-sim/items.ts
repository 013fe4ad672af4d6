import { type ApiContext, unitDp } from './api-context';
import { postDataInvalid, type SimResponse } from './answers';
import { batchAnswer, emptyBatch, type ElementOutcome } from './batch';
import { isUuid, newId } from './ids';
import { findAccount, findTaxRate } from './lines';
import { describeParseError, elementsOf, itemInput, type ItemInput } from './payloads';
import { renderItem } from './reference-data';
import type { ItemDetails, ItemRec, OrgRec } from './store';
import { round } from './totals';

/**
 * Items written by apps: `PUT /Items` creates, `POST /Items` creates or updates (the element's
 * ItemID, else an existing Code, names the item). A code is unique without case and at most 30
 * characters; the accounts and tax types of the sales and purchase details must exist and be
 * active. IsSold / IsPurchased follow the details unless sent: an item with sales details is sold.
 * Invoice lines naming an ItemCode take these items' defaults (lines.ts).
 */

const MAX_CODE = 30;
const MAX_NAME = 50;
const MAX_DESCRIPTION = 4000;

export function findItemByCode(org: OrgRec, code: string, exceptId?: string): ItemRec | undefined {
  const wanted = code.trim().toLowerCase();
  return org.items.find((i) => i.ItemID !== exceptId && i.Code.toLowerCase() === wanted);
}

function findItemById(org: OrgRec, id: string): ItemRec | undefined {
  return isUuid(id) ? org.items.find((i) => i.ItemID.toLowerCase() === id.toLowerCase()) : undefined;
}

/** Checks one side's details; an empty string clears a field on update, as Xero's UI does. */
function detailsOf(
  org: OrgRec,
  input: ItemInput['SalesDetails'],
  current: ItemDetails | undefined,
  dp: 2 | 4,
  errors: string[],
): ItemDetails | undefined {
  if (!input) return current;
  const pick = (v: string | undefined, was: string | undefined) => (v === undefined ? was : v === '' ? undefined : v);
  const out: ItemDetails = {
    UnitPrice: input.UnitPrice === undefined ? current?.UnitPrice : round(input.UnitPrice, dp),
    AccountCode: pick(input.AccountCode, current?.AccountCode),
    TaxType: pick(input.TaxType, current?.TaxType),
  };
  if (out.AccountCode !== undefined) {
    const account = findAccount(org, out.AccountCode);
    if (!account) errors.push(`Account code '${out.AccountCode}' is not a valid code for this item.`);
    else if (account.Status !== 'ACTIVE')
      errors.push(`The account code '${account.Code}' has been archived, or deleted, and cannot be used on an item.`);
    else out.AccountCode = account.Code;
  }
  if (out.TaxType !== undefined) {
    const rate = findTaxRate(org, out.TaxType);
    if (!rate || rate.Status !== 'ACTIVE')
      errors.push(`The TaxType code '${out.TaxType}' does not exist or cannot be used for this type of transaction.`);
    else out.TaxType = rate.TaxType;
  }
  const defined = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as ItemDetails;
  return Object.keys(defined).length > 0 ? defined : undefined;
}

function tooLong(value: string | undefined, max: number): boolean {
  return value !== undefined && value.length > max;
}

/** Applies an item write to a new or existing record; returns Xero's messages when it would refuse it. */
function applyItem(
  ctx: ApiContext,
  input: ItemInput,
  existing: ItemRec | undefined,
): { item: ItemRec; created: boolean } | { errors: string[] } {
  const { org } = ctx;
  const errors: string[] = [];
  const code = input.Code !== undefined ? input.Code.trim() : existing?.Code;
  if (code === undefined || code === '') errors.push('Item Code must be specified.');
  else {
    if (code.length > MAX_CODE) errors.push(`Item Code must not be more than ${MAX_CODE} characters long.`);
    if (findItemByCode(org, code, existing?.ItemID)) errors.push(`Item code '${code}' already exists.`);
  }
  if (tooLong(input.Name, MAX_NAME)) errors.push(`Item Name must not be more than ${MAX_NAME} characters long.`);
  if (tooLong(input.Description, MAX_DESCRIPTION))
    errors.push(`Description must not be more than ${MAX_DESCRIPTION} characters long.`);
  if (tooLong(input.PurchaseDescription, MAX_DESCRIPTION))
    errors.push(`Purchase Description must not be more than ${MAX_DESCRIPTION} characters long.`);
  const dp = unitDp(ctx);
  let sales = detailsOf(org, input.SalesDetails, existing?.SalesDetails, dp, errors);
  let purchases = detailsOf(org, input.PurchaseDetails, existing?.PurchaseDetails, dp, errors);
  if (errors.length > 0) return { errors };

  // Sent flags win; otherwise an item is sold (purchased) when it has sales (purchase) details.
  const isSold = input.IsSold ?? (input.SalesDetails ? sales !== undefined : (existing?.IsSold ?? sales !== undefined));
  const isPurchased =
    input.IsPurchased ??
    (input.PurchaseDetails ? purchases !== undefined : (existing?.IsPurchased ?? purchases !== undefined));
  const text = (v: string | undefined, was: string | undefined) => (v === undefined ? was : v === '' ? undefined : v);
  let description = text(input.Description, existing?.Description);
  let purchaseDescription = text(input.PurchaseDescription, existing?.PurchaseDescription);
  // Xero nulls the details (and description) of a side the item is no longer used on.
  if (!isSold) {
    sales = undefined;
    description = undefined;
  }
  if (!isPurchased) {
    purchases = undefined;
    purchaseDescription = undefined;
  }
  const item: ItemRec = {
    ItemID: existing?.ItemID ?? newId(),
    Code: code!,
    Name: input.Name ?? existing?.Name ?? '',
    Description: description,
    PurchaseDescription: purchaseDescription,
    IsSold: isSold,
    IsPurchased: isPurchased,
    SalesDetails: sales,
    PurchaseDetails: purchases,
    UpdatedDateUTC: ctx.now,
  };
  if (existing) org.items[org.items.indexOf(existing)] = item;
  else org.items.push(item);
  return { item, created: !existing };
}

function parseItems(ctx: ApiContext): ItemInput[] | SimResponse {
  const elements = elementsOf(ctx.body, 'Items');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find Items');
  const out: ItemInput[] = [];
  for (const e of elements) {
    const parsed = itemInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    out.push(parsed.data);
  }
  return out;
}

/** The element as sent, for an error answer (Code is required in Xero's model of an item). */
function echoOf(input: ItemInput): Record<string, unknown> {
  return { ...input, Code: input.Code ?? '' };
}

/** PUT creates (an existing code is refused); POST creates or updates (by ItemID, else by Code). */
export function writeItems(ctx: ApiContext, mode: 'create' | 'upsert'): SimResponse {
  const inputs = parseItems(ctx);
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 0) return emptyBatch(ctx, 'Items');
  const outcomes: ElementOutcome[] = inputs.map((input) => {
    let existing: ItemRec | undefined;
    if (mode === 'upsert') {
      if (input.ItemID) {
        existing = findItemById(ctx.org, input.ItemID);
        if (!existing)
          return { errors: [`Item with ItemID '${input.ItemID}' could not be found.`], echo: echoOf(input) };
      } else if (input.Code) {
        existing = findItemByCode(ctx.org, input.Code);
      }
    }
    const result = applyItem(ctx, input, existing);
    if ('errors' in result) return { errors: result.errors, echo: echoOf(input) };
    return { ok: renderItem(result.item, unitDp(ctx)) };
  });
  return batchAnswer(ctx, 'Items', null, outcomes);
}
