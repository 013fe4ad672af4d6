import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Contact } from 'xero-node';
import { customerSchema, type Customer } from './order';
import { contactFor, contactNameFor } from './invoice-mapping';
import type { Settings } from './settings';
import { identifier } from './text';
import { stableJson } from './stable-json';

/**
 * Host contacts (customers, suppliers, contractors) pushed on the contact-sync schedule. A host
 * contact IS an order's customer plus its roles: one schema (`customerSchema`) and one mapping to
 * Xero (`contactFor`) serve both doors, so a customer looks the same in Xero whichever way it came.
 */

export const CONTACT_ROLES = ['customer', 'supplier', 'contractor'] as const;

/** Host contact ids become Xero's ContactNumber (50 characters at most): limited alike. */
export const hostContactIdSchema = identifier(50).regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

const rolesSchema = z.object({ roles: z.array(z.enum(CONTACT_ROLES)).min(1).max(3).default(['customer']) });

/** A host contact with its id (the path's id for a single PUT, the element's for the bulk form). */
export const hostContactSchema = z.intersection(customerSchema, rolesSchema);
export type HostContact = z.infer<typeof hostContactSchema>;
export type HostContactInput = z.input<typeof hostContactSchema>;

/** The bulk form: up to 500 contacts per request, each with its own id. */
export const hostContactBulkSchema = z.object({
  contacts: z
    .array(hostContactSchema)
    .min(1)
    .max(500)
    .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, 'each contact id may appear once'),
});

type ContactSettings = Pick<Settings, 'personNameFormat' | 'accountNumberFromPayerReference'>;

/** The Xero contact for a host contact: the order mapping, so ContactNumber = the host id. */
export function toXeroContact(c: Customer, settings: ContactSettings): Contact {
  return contactFor(c, settings);
}

export function contactDisplayName(c: Customer, settings: Pick<Settings, 'personNameFormat'>): string {
  return contactNameFor(c, settings);
}

/** Xero treats names differing only in case or spacing as the same contact. */
export function contactNameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The setup options that change what a contact looks like in Xero: when they change, contacts are re-sent. */
export function contactSettingsKey(settings: ContactSettings): string {
  return `${settings.personNameFormat}|${settings.accountNumberFromPayerReference ? 'acct' : 'noacct'}`;
}

/** A stable fingerprint of a host contact, to tell a changed contact from a repeat of the same one. */
export function hostContactHash(c: HostContact): string {
  return createHash('sha256').update(stableJson(c)).digest('hex').slice(0, 32);
}

/** A Xero contact as the engine hands it to the host (webhook `contacts.pulled`, `GET …/xero/contacts`). */
export interface PulledContact {
  xeroContactId: string;
  /** The host contact linked to it, when there is one. */
  hostContactId: string | null;
  contactNumber: string | null;
  name: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  accountNumber: string | null;
  status: 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';
  isCustomer: boolean;
  isSupplier: boolean;
  phones: Array<{ type: string; number: string }>;
  addresses: Array<{
    type: string;
    lines: string[];
    city: string | null;
    region: string | null;
    postalCode: string | null;
    country: string | null;
  }>;
  updatedDateUtc: string | null;
}

/** Xero's contact (as xero-node parsed it) → what the host receives. */
export function fromXeroContact(c: Contact, hostContactId: string | null): PulledContact {
  const phones = (c.phones ?? [])
    .filter((p) => p.phoneNumber)
    .map((p) => ({
      type: String(p.phoneType ?? 'DEFAULT'),
      number: [p.phoneCountryCode, p.phoneAreaCode, p.phoneNumber].filter(Boolean).join(' '),
    }));
  const addresses = (c.addresses ?? [])
    .filter((a) => a.addressLine1 || a.city || a.postalCode || a.country)
    .map((a) => ({
      type: String(a.addressType ?? 'STREET'),
      lines: [a.addressLine1, a.addressLine2, a.addressLine3, a.addressLine4].filter((l): l is string => !!l),
      city: a.city || null,
      region: a.region || null,
      postalCode: a.postalCode || null,
      country: a.country || null,
    }));
  return {
    xeroContactId: c.contactID ?? '',
    hostContactId,
    contactNumber: c.contactNumber || null,
    name: c.name ?? '',
    firstName: c.firstName || null,
    lastName: c.lastName || null,
    email: c.emailAddress || null,
    accountNumber: c.accountNumber || null,
    status: String(c.contactStatus ?? 'ACTIVE') as PulledContact['status'],
    isCustomer: Boolean(c.isCustomer),
    isSupplier: Boolean(c.isSupplier),
    phones,
    addresses,
    updatedDateUtc: c.updatedDateUTC ? new Date(c.updatedDateUTC).toISOString() : null,
  };
}
