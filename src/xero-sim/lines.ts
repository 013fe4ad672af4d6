import { isUuid, newId } from './ids';
import type { LineItemInput } from './payloads';
import type { AccountRec, LineAmountType, LineRec, LineTrackingRec, OrgRec, TaxRateRec } from './store';
import { lineAmounts, round } from './totals';

/**
 * Line items of invoices, bills and credit notes: Xero's per-line rules (item defaults, account and
 * tax type valid and active, tracking options in active categories) and the arithmetic of each line.
 */

export type DocKind = 'ACCREC' | 'ACCPAY' | 'ACCRECCREDIT' | 'ACCPAYCREDIT';

export interface LineBuildContext {
  org: OrgRec;
  kind: DocKind;
  lineAmountTypes: LineAmountType;
  unitdp: 2 | 4;
  /** Approved documents need an account on every line; drafts may leave it out. */
  approved: boolean;
}

const isSale = (kind: DocKind) => kind === 'ACCREC' || kind === 'ACCRECCREDIT';

export function findAccount(org: OrgRec, code: string | undefined, id?: string): AccountRec | undefined {
  if (id) return org.accounts.find((a) => a.AccountID.toLowerCase() === id.toLowerCase());
  if (code === undefined) return undefined;
  return org.accounts.find((a) => a.Code.toLowerCase() === code.toLowerCase());
}

export function findTaxRate(org: OrgRec, taxType: string): TaxRateRec | undefined {
  return org.taxRates.find((t) => t.TaxType.toLowerCase() === taxType.toLowerCase());
}

function trackingFor(org: OrgRec, input: NonNullable<LineItemInput['Tracking']>, errors: string[]): LineTrackingRec[] {
  const out: LineTrackingRec[] = [];
  if (input.length > 2) {
    errors.push('A line item can have a maximum of 2 tracking categories.');
    return out;
  }
  for (const t of input) {
    const category = t.TrackingCategoryID
      ? org.trackingCategories.find((c) => c.TrackingCategoryID.toLowerCase() === t.TrackingCategoryID!.toLowerCase())
      : org.trackingCategories.find((c) => c.Name.toLowerCase() === (t.Name ?? '').toLowerCase());
    if (!category || category.Status !== 'ACTIVE') {
      errors.push(
        `The tracking category '${t.Name ?? t.TrackingCategoryID ?? ''}' does not exist or has been archived.`,
      );
      continue;
    }
    const option = t.TrackingOptionID
      ? category.Options.find((o) => o.TrackingOptionID.toLowerCase() === t.TrackingOptionID!.toLowerCase())
      : category.Options.find((o) => o.Name.toLowerCase() === (t.Option ?? '').toLowerCase());
    if (!option || option.Status !== 'ACTIVE') {
      errors.push(
        `The tracking option '${t.Option ?? t.TrackingOptionID ?? ''}' does not exist or has been archived in the tracking category '${category.Name}'.`,
      );
      continue;
    }
    if (out.some((o) => o.TrackingCategoryID === category.TrackingCategoryID)) {
      errors.push(`The tracking category '${category.Name}' can only be used once on a line item.`);
      continue;
    }
    out.push({
      TrackingCategoryID: category.TrackingCategoryID,
      TrackingOptionID: option.TrackingOptionID,
      Name: category.Name,
      Option: option.Name,
    });
  }
  return out;
}

/** Validates and computes one line; messages go to `errors` (the document fails if any). */
export function buildLine(
  ctx: LineBuildContext,
  input: LineItemInput,
  errors: string[],
  keepId?: string,
): LineRec | undefined {
  const { org, kind } = ctx;
  const before = errors.length;
  let description = input.Description;
  let unitAmount = input.UnitAmount;
  let accountCode = input.AccountCode;
  let taxType = input.TaxType;
  let itemId: string | undefined;
  let itemName: string | undefined;
  let itemCode: string | undefined;

  if (input.ItemCode !== undefined && input.ItemCode !== '') {
    const item = org.items.find((i) => i.Code.toLowerCase() === input.ItemCode!.toLowerCase());
    if (!item) {
      errors.push(`Item code '${input.ItemCode}' is not valid.`);
    } else {
      const details = isSale(kind) ? item.SalesDetails : item.PurchaseDetails;
      description ??= isSale(kind) ? item.Description : (item.PurchaseDescription ?? item.Description);
      unitAmount ??= details?.UnitPrice;
      accountCode ??= details?.AccountCode;
      taxType ??= details?.TaxType;
      itemId = item.ItemID;
      itemName = item.Name;
      itemCode = item.Code;
    }
  }

  if (description === undefined || description.trim() === '') {
    if (input.ItemCode === undefined) errors.push('Description needs to be at least 1 char long');
  }

  let account: AccountRec | undefined;
  if (accountCode !== undefined && accountCode !== '') {
    account = findAccount(org, accountCode);
    if (!account) errors.push(`Account code '${accountCode}' is not a valid code for this document.`);
  } else if (input.AccountID) {
    account = findAccount(org, undefined, input.AccountID);
    if (!account) errors.push(`Account ID '${input.AccountID}' is not a valid account for this document.`);
  } else if (ctx.approved) {
    errors.push('Account code must be specified');
  }
  if (account) {
    if (account.Status !== 'ACTIVE') {
      errors.push(
        `The account code '${account.Code}' has been archived, or deleted. Each line item must reference a valid account.`,
      );
    } else if (account.Type === 'BANK') {
      errors.push(`Account code '${account.Code}' is not a valid code for this document.`);
    }
  }

  let rate = 0;
  const resolvedTaxType = taxType ?? account?.TaxType ?? 'NONE';
  const taxRate = findTaxRate(org, resolvedTaxType);
  const forRevenue = account?.Class === 'REVENUE';
  const forExpense = account?.Class === 'EXPENSE';
  if (
    !taxRate ||
    taxRate.Status !== 'ACTIVE' ||
    (forRevenue && !taxRate.CanApplyToRevenue) ||
    (forExpense && !taxRate.CanApplyToExpenses)
  ) {
    errors.push(`The TaxType code '${resolvedTaxType}' does not exist or cannot be used for this type of transaction.`);
  } else {
    rate = taxRate.Rate;
  }

  if ((input.DiscountRate !== undefined || input.DiscountAmount !== undefined) && kind !== 'ACCREC') {
    errors.push('Discounts are only supported on sales invoices (ACCREC).');
  }
  if (input.DiscountRate !== undefined && (input.DiscountRate < 0 || input.DiscountRate > 100)) {
    errors.push('Discount rate must be between 0 and 100.');
  }

  const tracking = input.Tracking ? trackingFor(org, input.Tracking, errors) : [];
  if (errors.length > before) return undefined;

  let quantity = input.Quantity;
  if (quantity === undefined) quantity = unitAmount !== undefined || input.LineAmount !== undefined ? 1 : 0;
  if (unitAmount === undefined)
    unitAmount = input.LineAmount !== undefined && quantity !== 0 ? input.LineAmount / quantity : 0;
  quantity = round(quantity, 4);
  unitAmount = round(unitAmount, ctx.unitdp);

  const computed = lineAmounts(
    {
      Quantity: quantity,
      UnitAmount: unitAmount,
      DiscountRate: input.DiscountRate,
      DiscountAmount: input.DiscountAmount,
    },
    ctx.lineAmountTypes,
    rate,
    input.TaxAmount,
  );

  return {
    LineItemID: keepId ?? (input.LineItemID && isUuid(input.LineItemID) ? input.LineItemID : newId()),
    Description: description,
    Quantity: quantity,
    UnitAmount: unitAmount,
    ItemCode: itemCode,
    ItemID: itemId,
    ItemName: itemName,
    AccountCode: account?.Code,
    AccountID: account?.AccountID,
    TaxType: taxRate?.TaxType ?? resolvedTaxType,
    TaxAmount: computed.TaxAmount,
    LineAmount: computed.LineAmount,
    DiscountRate: input.DiscountRate,
    DiscountAmount: input.DiscountAmount,
    Tracking: tracking,
  };
}

/** An existing line as input again, so an update can change some of its fields and keep the rest. */
export function lineAsInput(line: LineRec): LineItemInput {
  return {
    LineItemID: line.LineItemID,
    Description: line.Description,
    Quantity: line.Quantity,
    UnitAmount: line.UnitAmount,
    ItemCode: line.ItemCode,
    AccountCode: line.AccountCode,
    AccountID: undefined,
    TaxType: line.TaxType,
    TaxAmount: undefined,
    LineAmount: undefined,
    DiscountRate: line.DiscountRate,
    DiscountAmount: line.DiscountAmount,
    Tracking: line.Tracking.map((t) => ({
      TrackingCategoryID: t.TrackingCategoryID,
      TrackingOptionID: t.TrackingOptionID,
      Name: t.Name,
      Option: t.Option,
    })),
  };
}

/**
 * All lines of a document. On update (`existing` given): a line whose LineItemID matches is updated
 * (fields not sent are kept), a line without one is added, and an existing line left out is deleted.
 */
export function buildLines(
  ctx: LineBuildContext,
  inputs: LineItemInput[],
  errors: string[],
  existing?: LineRec[],
): LineRec[] {
  const out: LineRec[] = [];
  for (const input of inputs) {
    const match = input.LineItemID
      ? existing?.find((l) => l.LineItemID.toLowerCase() === input.LineItemID!.toLowerCase())
      : undefined;
    const merged: LineItemInput = match ? { ...lineAsInput(match), ...stripUndefined(input) } : input;
    if (match && input.Quantity === undefined && input.UnitAmount === undefined && input.LineAmount !== undefined) {
      merged.Quantity = undefined;
      merged.UnitAmount = undefined;
    }
    const line = buildLine(ctx, merged, errors, match?.LineItemID);
    if (line) out.push(line);
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
