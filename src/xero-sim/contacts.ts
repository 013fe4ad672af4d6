import { type ApiContext, queryFlag, queryValue } from './api-context';
import { envelope, notFound, postDataInvalid, type SimResponse } from './answers';
import { batchAnswer, emptyBatch, type ElementOutcome } from './batch';
import { isUuid, newId } from './ids';
import { isListed, listParam, listRecords } from './listing';
import { contactInput, type ContactInput, describeParseError, elementsOf } from './payloads';
import type { AddressRec, ContactRec, OrgRec, PhoneRec } from './store';
import { msDate } from './xero-dates';

/**
 * Contacts: the name is unique among active contacts; ContactNumber is the client's own key and
 * finds a contact by path; lists filter by where/searchTerm/If-Modified-Since and page.
 */

const ADDRESS_TYPES: AddressRec['AddressType'][] = ['POBOX', 'STREET'];
const PHONE_TYPES: PhoneRec['PhoneType'][] = ['DDI', 'DEFAULT', 'FAX', 'MOBILE'];

function fullAddresses(addresses: AddressRec[]): AddressRec[] {
  const out = [...addresses];
  for (const type of ADDRESS_TYPES)
    if (!out.some((a) => a.AddressType === type))
      out.push({ AddressType: type, City: '', Region: '', PostalCode: '', Country: '' });
  return out;
}

function fullPhones(phones: PhoneRec[]): PhoneRec[] {
  const out = [...phones];
  for (const type of PHONE_TYPES)
    if (!out.some((p) => p.PhoneType === type))
      out.push({ PhoneType: type, PhoneNumber: '', PhoneAreaCode: '', PhoneCountryCode: '' });
  return out;
}

export function renderContact(c: ContactRec, summaryOnly = false): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ContactID: c.ContactID,
    ContactNumber: c.ContactNumber,
    AccountNumber: c.AccountNumber,
    ContactStatus: c.ContactStatus,
    Name: c.Name,
    FirstName: c.FirstName,
    LastName: c.LastName,
    CompanyNumber: c.CompanyNumber,
    EmailAddress: c.EmailAddress,
    BankAccountDetails: c.BankAccountDetails,
    TaxNumber: c.TaxNumber,
    AccountsReceivableTaxType: c.AccountsReceivableTaxType,
    AccountsPayableTaxType: c.AccountsPayableTaxType,
    DefaultCurrency: c.DefaultCurrency,
    UpdatedDateUTC: msDate(c.UpdatedDateUTC),
    IsSupplier: c.IsSupplier,
    IsCustomer: c.IsCustomer,
    HasAttachments: false,
    HasValidationErrors: false,
  };
  if (!summaryOnly) {
    base.Addresses = fullAddresses(c.Addresses);
    base.Phones = fullPhones(c.Phones);
    base.ContactGroups = [];
    base.ContactPersons = [];
  }
  return base;
}

/** The contact as embedded in an invoice, payment or credit note. */
export function renderContactSummary(c: ContactRec | undefined, id: string): Record<string, unknown> {
  return {
    ContactID: id,
    ContactNumber: c?.ContactNumber,
    Name: c?.Name ?? '',
    Addresses: [],
    Phones: [],
    ContactGroups: [],
    ContactPersons: [],
    HasValidationErrors: false,
  };
}

function activeByName(org: OrgRec, name: string, exceptId?: string): ContactRec | undefined {
  const wanted = name.trim().toLowerCase();
  for (const c of org.contacts.values()) {
    if (c.ContactStatus === 'ACTIVE' && c.ContactID !== exceptId && c.Name.trim().toLowerCase() === wanted) return c;
  }
  return undefined;
}

function byNumber(org: OrgRec, number: string): ContactRec | undefined {
  const wanted = number.toLowerCase();
  for (const c of org.contacts.values()) if (c.ContactNumber?.toLowerCase() === wanted) return c;
  return undefined;
}

export function findContact(org: OrgRec, key: string): ContactRec | undefined {
  if (isUuid(key)) {
    const byId =
      org.contacts.get(key.toLowerCase()) ??
      [...org.contacts.values()].find((c) => c.ContactID.toLowerCase() === key.toLowerCase());
    if (byId) return byId;
  }
  return byNumber(org, key);
}

function duplicateNameMessage(name: string): string {
  return `The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`;
}

/** Applies a contact write to a new or existing record; returns messages when Xero would refuse it. */
function applyContact(
  org: OrgRec,
  input: ContactInput,
  existing: ContactRec | undefined,
  now: number,
): { contact: ContactRec; created: boolean } | { errors: string[] } {
  const errors: string[] = [];
  const name = input.Name ?? existing?.Name;
  if (name === undefined || name.trim() === '') errors.push('The contact name must be specified.');
  else if (name.length > 255) errors.push('The contact name must be 255 characters or fewer.');
  const status =
    input.ContactStatus === 'GDPRREQUEST' ? 'ARCHIVED' : (input.ContactStatus ?? existing?.ContactStatus ?? 'ACTIVE');
  if (name && status === 'ACTIVE' && activeByName(org, name, existing?.ContactID))
    errors.push(duplicateNameMessage(name));
  if (input.ContactNumber && input.ContactNumber.length > 50)
    errors.push('The contact number must be 50 characters or fewer.');
  if (input.ContactNumber) {
    const other = byNumber(org, input.ContactNumber);
    if (other && other.ContactID !== existing?.ContactID)
      errors.push(`The contact number ${input.ContactNumber} is already assigned to another contact.`);
  }
  if (input.EmailAddress && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.EmailAddress))
    errors.push('Email address must be valid.');
  for (const taxType of [input.AccountsReceivableTaxType, input.AccountsPayableTaxType]) {
    if (taxType && !org.taxRates.some((t) => t.TaxType === taxType && t.Status === 'ACTIVE'))
      errors.push(`The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`);
  }
  if (errors.length > 0) return { errors };

  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ContactInput;
  const base: ContactRec = existing ?? {
    ContactID: newId(),
    ContactStatus: 'ACTIVE',
    Name: name!,
    Addresses: [],
    Phones: [],
    IsSupplier: false,
    IsCustomer: false,
    UpdatedDateUTC: now,
  };
  const contact: ContactRec = {
    ...base,
    ContactNumber: defined.ContactNumber ?? base.ContactNumber,
    AccountNumber: defined.AccountNumber ?? base.AccountNumber,
    ContactStatus: status,
    Name: name!.trim(),
    FirstName: defined.FirstName ?? base.FirstName,
    LastName: defined.LastName ?? base.LastName,
    EmailAddress: defined.EmailAddress ?? base.EmailAddress,
    CompanyNumber: defined.CompanyNumber ?? base.CompanyNumber,
    TaxNumber: defined.TaxNumber ?? base.TaxNumber,
    BankAccountDetails: defined.BankAccountDetails ?? base.BankAccountDetails,
    AccountsReceivableTaxType: defined.AccountsReceivableTaxType ?? base.AccountsReceivableTaxType,
    AccountsPayableTaxType: defined.AccountsPayableTaxType ?? base.AccountsPayableTaxType,
    DefaultCurrency: defined.DefaultCurrency ?? base.DefaultCurrency,
    Addresses: input.Addresses
      ? mergeTyped(
          base.Addresses,
          input.Addresses.map((a) => ({ ...a, AddressType: a.AddressType ?? 'POBOX' }) as AddressRec),
          'AddressType',
        )
      : base.Addresses,
    Phones: input.Phones
      ? mergeTyped(
          base.Phones,
          input.Phones.map((p) => ({ ...p, PhoneType: p.PhoneType ?? 'DEFAULT' }) as PhoneRec),
          'PhoneType',
        )
      : base.Phones,
    UpdatedDateUTC: now,
  };
  org.contacts.set(contact.ContactID, contact);
  return { contact, created: !existing };
}

/** Addresses and phones are replaced per type (sending a STREET address leaves the POBOX one). */
function mergeTyped<T extends object, K extends keyof T>(current: T[], incoming: T[], key: K): T[] {
  const out = current.filter((c) => !incoming.some((i) => i[key] === c[key]));
  return [
    ...out,
    ...incoming.map((i) => Object.fromEntries(Object.entries(i).filter(([, v]) => v !== undefined)) as T),
  ];
}

/**
 * The contact of an invoice, bill or credit note: by ContactID, by ContactNumber, or by Name (an
 * active contact of that name, or a new one created with the document).
 */
export function resolveDocumentContact(
  org: OrgRec,
  input: ContactInput | undefined,
  errors: string[],
): { contact?: ContactRec; create?: ContactInput } {
  if (!input || (!input.ContactID && !input.Name && !input.ContactNumber)) {
    errors.push('A Contact must be specified for this type of transaction');
    return {};
  }
  if (input.ContactID) {
    const c = isUuid(input.ContactID) ? findContact(org, input.ContactID) : undefined;
    if (!c) {
      errors.push(`The contact with the ContactID ${input.ContactID} could not be found.`);
      return {};
    }
    if (c.ContactStatus !== 'ACTIVE')
      errors.push(`The contact ${c.Name} has been archived. Restore the contact before using it on a transaction.`);
    return { contact: c };
  }
  if (input.ContactNumber) {
    const c = byNumber(org, input.ContactNumber);
    if (c) {
      if (c.ContactStatus !== 'ACTIVE')
        errors.push(`The contact ${c.Name} has been archived. Restore the contact before using it on a transaction.`);
      return { contact: c };
    }
  }
  if (input.Name) {
    const c = activeByName(org, input.Name);
    if (c) return { contact: c };
    return { create: input };
  }
  errors.push(`The contact with the ContactNumber ${input.ContactNumber} could not be found.`);
  return {};
}

/** Creates the contact a document named, once the document itself is known to be valid. */
export function createDocumentContact(ctx: ApiContext, input: ContactInput): ContactRec {
  const result = applyContact(ctx.org, { ...input, ContactID: undefined }, undefined, ctx.now);
  if ('errors' in result) throw new Error(result.errors.join('; '));
  ctx.emit('CONTACT', 'CREATE', result.contact.ContactID);
  return result.contact;
}

export function getContacts(ctx: ApiContext): SimResponse {
  const summaryOnly = queryFlag(ctx, 'summaryOnly');
  const ids = listParam(ctx, 'IDs');
  const includeArchived = queryFlag(ctx, 'includeArchived');
  const term = queryValue(ctx, 'searchTerm')?.toLowerCase();
  const rows: Array<{ record: Record<string, unknown>; updatedAt: number }> = [];
  for (const c of ctx.org.contacts.values()) {
    if (!includeArchived && !ids && c.ContactStatus !== 'ACTIVE') continue;
    if (ids && !ids.has(c.ContactID.toLowerCase())) continue;
    if (
      term &&
      ![c.Name, c.FirstName, c.LastName, c.ContactNumber, c.EmailAddress].some((f) => f?.toLowerCase().includes(term))
    )
      continue;
    rows.push({ record: renderContact(c, summaryOnly), updatedAt: c.UpdatedDateUTC });
  }
  const listed = listRecords(ctx, rows, { pageable: true, model: 'Contact' });
  if (!isListed(listed)) return listed;
  return envelope(
    ctx.app.name,
    ctx.now,
    'Contacts',
    listed.items,
    listed.pagination ? { pagination: listed.pagination } : undefined,
  );
}

export function getContact(ctx: ApiContext, key: string): SimResponse {
  const c = findContact(ctx.org, key);
  if (!c) return notFound();
  return envelope(ctx.app.name, ctx.now, 'Contacts', [renderContact(c)]);
}

function parseContacts(ctx: ApiContext): ContactInput[] | SimResponse {
  const elements = elementsOf(ctx.body, 'Contacts');
  if (!elements) return postDataInvalid('JSON for post data was invalid, could not find Contacts');
  const out: ContactInput[] = [];
  for (const e of elements) {
    const parsed = contactInput.safeParse(e);
    if (!parsed.success) return postDataInvalid(describeParseError(parsed.error));
    out.push(parsed.data);
  }
  return out;
}

/** PUT creates; POST creates or updates (by ContactID, else by ContactNumber). */
export function writeContacts(ctx: ApiContext, mode: 'create' | 'upsert', pathId?: string): SimResponse {
  const inputs = parseContacts(ctx);
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 0) return emptyBatch(ctx, 'Contacts');
  let target: ContactRec | undefined;
  if (pathId !== undefined) {
    target = findContact(ctx.org, pathId);
    if (!target) return notFound();
  }
  const outcomes: ElementOutcome[] = inputs.map((input) => {
    let existing = target;
    if (!existing && mode === 'upsert') {
      if (input.ContactID) {
        existing = findContact(ctx.org, input.ContactID);
        if (!existing)
          return {
            errors: [`The contact with the ContactID ${input.ContactID} could not be found.`],
            echo: echoOf(input),
          };
      } else if (input.ContactNumber) {
        existing = byNumber(ctx.org, input.ContactNumber);
      }
    }
    const result = applyContact(ctx.org, input, existing, ctx.now);
    if ('errors' in result) return { errors: result.errors, echo: echoOf(input) };
    ctx.emit('CONTACT', result.created ? 'CREATE' : 'UPDATE', result.contact.ContactID);
    return { ok: renderContact(result.contact) };
  });
  return batchAnswer(ctx, 'Contacts', 'HasValidationErrors', outcomes);
}

function echoOf(input: ContactInput): Record<string, unknown> {
  return {
    ...input,
    Addresses: input.Addresses ?? [],
    Phones: input.Phones ?? [],
    ContactGroups: [],
    ContactPersons: [],
  };
}
