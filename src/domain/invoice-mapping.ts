import { Address, Invoice, LineAmountTypes, Phone, type Contact, type LineItem } from 'xero-node';
import type { Customer, Order } from './order';
import type { Settings } from './settings';

/**
 * Host order → Xero payloads, as pure functions (no I/O, no clock): the one place that decides
 * what a synced invoice looks like, so it can be tested table by table. Output types are
 * xero-node's models, which the gateway sends as they are.
 */

const REFERENCE_MAX = 255;

/** Xero's InvoiceNumber: the account's prefix then the order number. */
export function invoiceNumberFor(orderNumber: string, settings: Pick<Settings, 'invoiceNumberPrefix'>): string {
  return `${settings.invoiceNumberPrefix}${orderNumber}`;
}

/** The reference is made of the fields setup chose, in setup's order, joined with " / "; empty ones are left out. */
export function referenceFor(order: Order, settings: Pick<Settings, 'referenceFields'>): string {
  const values: Record<Settings['referenceFields'][number], string | undefined> = {
    orderNumber: order.number,
    jobDescription: order.jobDescription,
    customerReference: order.customerReference,
    jobLocation: order.jobLocation,
  };
  const parts = settings.referenceFields
    .map((f) => values[f]?.replace(/\s+/g, ' ').trim())
    .filter((v): v is string => !!v);
  const joined = [...new Set(parts)].join(' / ');
  // Xero refuses a reference over 255 characters; a cut reference beats a failed sync.
  return joined.length > REFERENCE_MAX ? `${joined.slice(0, REFERENCE_MAX - 1)}…` : joined;
}

/** YYYY-MM-DD plus whole days, in UTC (calendar arithmetic, no time zone can shift it). */
export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function dueDateFor(order: Pick<Order, 'date' | 'dueDate'>, settings: Pick<Settings, 'defaultDueDays'>): string {
  return order.dueDate ?? addDays(order.date, settings.defaultDueDays);
}

/** The tracking option a cost centre maps to: setup's mapping, else an option of the same name (names must match exactly). */
export function trackingFor(
  costCentre: string | undefined,
  settings: Pick<Settings, 'trackingCategoryName' | 'costCentreOptions'>,
) {
  if (!costCentre || !settings.trackingCategoryName) return [];
  return [{ name: settings.trackingCategoryName, option: settings.costCentreOptions[costCentre] ?? costCentre }];
}

export function lineItemsFor(order: Order, settings: Settings): LineItem[] {
  return order.lines.map((line) => {
    const item: LineItem = {
      description: line.description,
      quantity: line.quantity,
      unitAmount: line.unitPrice,
      accountCode: settings.revenueAccountCode,
      taxType: line.taxCode ?? settings.defaultTaxType,
    };
    if (line.itemCode) item.itemCode = line.itemCode;
    if (line.discountRate) item.discountRate = line.discountRate;
    const tracking = trackingFor(line.costCentre, settings);
    if (tracking.length > 0) item.tracking = tracking;
    return item;
  });
}

/** Xero rounds unit amounts to 2 decimals unless asked for 4 (unitdp=4). */
export function unitDecimalsFor(order: Order): 2 | 4 {
  return order.lines.some((l) => Math.abs(Math.round(l.unitPrice * 100) - l.unitPrice * 100) > 1e-6) ? 4 : 2;
}

export interface InvoicePayloadOptions {
  /** For an update: leave the status as it is in Xero (it may have been approved or paid since). */
  forUpdate?: boolean;
}

export function invoiceFor(
  order: Order,
  settings: Settings,
  contactId: string,
  opts: InvoicePayloadOptions = {},
): Invoice {
  const invoice: Invoice = {
    type: Invoice.TypeEnum.ACCREC,
    contact: { contactID: contactId },
    invoiceNumber: invoiceNumberFor(order.number, settings),
    reference: referenceFor(order, settings),
    date: order.date,
    dueDate: dueDateFor(order, settings),
    currencyCode: order.currency as unknown as Invoice['currencyCode'],
    lineAmountTypes: LineAmountTypes[settings.lineAmountTypes],
    lineItems: lineItemsFor(order, settings),
  };
  if (!opts.forUpdate) invoice.status = Invoice.StatusEnum[settings.invoiceStatus];
  if (settings.brandingThemeId) invoice.brandingThemeID = settings.brandingThemeId;
  return invoice;
}

// ---- contacts ----

/** How a customer is named in Xero; a person's name follows setup's format. */
export function contactNameFor(customer: Customer, settings: Pick<Settings, 'personNameFormat'>): string {
  if (customer.type === 'organisation') return customer.name;
  const first = customer.firstName.trim();
  const last = customer.lastName.trim();
  if (!first) return last;
  switch (settings.personNameFormat) {
    case 'last_first':
      return `${last} ${first}`;
    case 'last_comma_first':
      return `${last}, ${first}`;
    default:
      return `${first} ${last}`;
  }
}

const PHONE_TYPES = {
  default: Phone.PhoneTypeEnum.DEFAULT,
  mobile: Phone.PhoneTypeEnum.MOBILE,
  fax: Phone.PhoneTypeEnum.FAX,
  ddi: Phone.PhoneTypeEnum.DDI,
} as const;
const ADDRESS_TYPES = { street: Address.AddressTypeEnum.STREET, postal: Address.AddressTypeEnum.POBOX } as const;
const ADDRESS_LINES = ['addressLine1', 'addressLine2', 'addressLine3', 'addressLine4'] as const;

/** The Xero contact for a customer. ContactNumber = the host's id, so a re-run finds its own earlier write. */
export function contactFor(
  customer: Customer,
  settings: Pick<Settings, 'personNameFormat' | 'accountNumberFromPayerReference'>,
): Contact {
  const contact: Contact = {
    name: contactNameFor(customer, settings),
    contactNumber: customer.id,
  };
  if (customer.type === 'person') {
    if (customer.firstName) contact.firstName = customer.firstName;
    contact.lastName = customer.lastName;
  } else {
    // An organisation with its contact person: Xero keeps both (Name, FirstName, LastName).
    if (customer.firstName) contact.firstName = customer.firstName;
    if (customer.lastName) contact.lastName = customer.lastName;
  }
  if (customer.email) contact.emailAddress = customer.email;
  if (settings.accountNumberFromPayerReference && customer.payerReference)
    contact.accountNumber = customer.payerReference;
  if (customer.phones.length > 0)
    contact.phones = customer.phones.map((p) => ({ phoneType: PHONE_TYPES[p.type], phoneNumber: p.number }));
  if (customer.addresses.length > 0) {
    contact.addresses = customer.addresses.map((a) => {
      const address: Address = { addressType: ADDRESS_TYPES[a.type] };
      a.lines.forEach((line, i) => {
        const key = ADDRESS_LINES[i];
        if (key && line) address[key] = line;
      });
      if (a.city) address.city = a.city;
      if (a.region) address.region = a.region;
      if (a.postalCode) address.postalCode = a.postalCode;
      if (a.country) address.country = a.country;
      if (a.attentionTo) address.attentionTo = a.attentionTo;
      return address;
    });
  }
  return contact;
}

// ---- the order document ----

/** The attachment's file name: fixed per order, so a revision replaces the file instead of adding one. */
export function orderPdfFileName(orderNumber: string): string {
  return `Order-${orderNumber.replace(/[^A-Za-z0-9._-]+/g, '_')}.pdf`;
}

export interface OrderLineTotals {
  description: string;
  quantity: number;
  unitPrice: number;
  discountRate: number;
  amount: number;
}

/** Line amounts as Xero computes them before tax (quantity × unit price less discount, rounded to cents). */
export function orderLineTotals(order: Order): { lines: OrderLineTotals[]; total: number } {
  const lines = order.lines.map((l) => {
    const gross = l.quantity * l.unitPrice * (1 - (l.discountRate ?? 0) / 100);
    return {
      description: l.description,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      discountRate: l.discountRate ?? 0,
      amount: roundCents(gross),
    };
  });
  return { lines, total: roundCents(lines.reduce((s, l) => s + l.amount, 0)) };
}

export function roundCents(n: number): number {
  return Math.round((n + Number.EPSILON) * 100) / 100;
}
