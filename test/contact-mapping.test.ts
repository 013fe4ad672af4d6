import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contactDisplayName,
  contactNameKey,
  contactSettingsKey,
  fromXeroContact,
  hostContactBulkSchema,
  hostContactHash,
  hostContactIdSchema,
  hostContactSchema,
  toXeroContact,
  type HostContactInput,
} from '../src/domain/contact';
import { DEFAULT_SETTINGS, settingsSchema } from '../src/domain/settings';

const person = (over: Record<string, unknown> = {}) =>
  hostContactSchema.parse({
    id: 'C-1',
    type: 'person',
    firstName: 'Jane',
    lastName: 'Smith',
    ...over,
  } as HostContactInput);
const org = (over: Record<string, unknown> = {}) =>
  hostContactSchema.parse({ id: 'C-1', type: 'organisation', name: 'Acme Plumbing Ltd', ...over } as HostContactInput);
const settings = (over: Record<string, unknown> = {}) => settingsSchema.parse(over);

describe('contact display name follows setup', () => {
  const cases: Array<[string, ReturnType<typeof person>, 'first_last' | 'last_first' | 'last_comma_first', string]> = [
    ['person, first last', person(), 'first_last', 'Jane Smith'],
    ['person, last first', person(), 'last_first', 'Smith Jane'],
    ['person, last comma first', person(), 'last_comma_first', 'Smith, Jane'],
    ['person with only a last name', person({ firstName: undefined }), 'last_comma_first', 'Smith'],
    ['organisation ignores the person format', org(), 'last_comma_first', 'Acme Plumbing Ltd'],
  ];
  for (const [name, contact, format, expected] of cases) {
    test(name, () => assert.equal(contactDisplayName(contact, { personNameFormat: format }), expected));
  }
  test('name keys ignore case and spacing, as Xero does', () => {
    assert.equal(contactNameKey('  ACME   plumbing Ltd '), contactNameKey('Acme Plumbing Ltd'));
    assert.notEqual(contactNameKey('Acme Plumbing'), contactNameKey('Acme Plumbing Ltd'));
  });
});

describe('host contact → Xero contact under each setup option', () => {
  const cases: Array<[string, ReturnType<typeof person>, ReturnType<typeof settings>, Record<string, unknown>]> = [
    [
      'defaults',
      person(),
      settings(),
      { name: 'Jane Smith', contactNumber: 'C-1', firstName: 'Jane', lastName: 'Smith' },
    ],
    [
      'payer reference → account number',
      person({ payerReference: 'PAY-77' }),
      settings({ accountNumberFromPayerReference: true }),
      { name: 'Jane Smith', contactNumber: 'C-1', firstName: 'Jane', lastName: 'Smith', accountNumber: 'PAY-77' },
    ],
    [
      'payer reference left out when off',
      person({ payerReference: 'PAY-77' }),
      settings(),
      { name: 'Jane Smith', contactNumber: 'C-1', firstName: 'Jane', lastName: 'Smith' },
    ],
    [
      'name format',
      person(),
      settings({ personNameFormat: 'last_comma_first' }),
      { name: 'Smith, Jane', contactNumber: 'C-1', firstName: 'Jane', lastName: 'Smith' },
    ],
  ];
  for (const [name, contact, s, expected] of cases) {
    test(name, () => assert.deepEqual({ ...toXeroContact(contact, s) }, expected));
  }
  test('never sends a status (an update must not revive an archived contact)', () => {
    assert.equal('contactStatus' in toXeroContact(org({ email: 'a@b.test' }), DEFAULT_SETTINGS), false);
  });
  test('the settings key changes exactly with the options that change the Xero contact', () => {
    const base = contactSettingsKey(DEFAULT_SETTINGS);
    assert.notEqual(contactSettingsKey({ ...DEFAULT_SETTINGS, personNameFormat: 'last_first' }), base);
    assert.notEqual(contactSettingsKey({ ...DEFAULT_SETTINGS, accountNumberFromPayerReference: true }), base);
    assert.equal(contactSettingsKey(settings({ updateXeroContacts: false, contactSyncIntervalHours: 1 })), base);
  });
});

describe('host contact validation', () => {
  const cases: Array<[string, unknown, string | null]> = [
    ['a person', { id: 'a', type: 'person', lastName: 'Smith' }, null],
    [
      'a supplier organisation',
      { id: 'a', type: 'organisation', name: 'Pipes Inc', roles: ['supplier', 'contractor'] },
      null,
    ],
    ['an organisation without its name', { id: 'a', type: 'organisation' }, 'name'],
    ['a bad email', { id: 'a', type: 'person', lastName: 'S', email: 'nope' }, 'email'],
    ['an unknown role', { id: 'a', type: 'person', lastName: 'S', roles: ['employee'] }, 'roles.0'],
    ['no roles', { id: 'a', type: 'person', lastName: 'S', roles: [] }, 'roles'],
  ];
  for (const [name, body, path] of cases) {
    test(name, () => {
      const r = hostContactSchema.safeParse(body);
      if (path === null) assert.equal(r.success, true, r.success ? '' : JSON.stringify(r.error.issues));
      else assert.deepEqual(r.success ? [] : r.error.issues.map((i) => i.path.join('.')), [path]);
    });
  }
  test('roles default to customer', () => assert.deepEqual(person().roles, ['customer']));
  test('ids fit in Xero ContactNumber', () => {
    assert.equal(hostContactIdSchema.safeParse('cust-00042').success, true);
    assert.equal(hostContactIdSchema.safeParse('x'.repeat(51)).success, false);
    assert.equal(hostContactIdSchema.safeParse('has space').success, false);
  });
  test('bulk form refuses a repeated id', () => {
    const c = { id: 'A', type: 'person', lastName: 'S' };
    assert.equal(hostContactBulkSchema.safeParse({ contacts: [c, { ...c, id: 'B' }] }).success, true);
    assert.equal(hostContactBulkSchema.safeParse({ contacts: [c, c] }).success, false);
  });
  test('the hash ignores key order and changes with content', () => {
    const a = hostContactSchema.parse({ id: 'x', type: 'person', firstName: 'A', lastName: 'B' });
    const b = hostContactSchema.parse({ lastName: 'B', firstName: 'A', type: 'person', id: 'x' });
    assert.equal(hostContactHash(a), hostContactHash(b));
    assert.notEqual(hostContactHash(a), hostContactHash({ ...a, email: 'x@y.test' }));
  });
});

describe('Xero contact → pulled contact', () => {
  test('keeps what the host needs and normalises empties', () => {
    const pulled = fromXeroContact(
      {
        contactID: '5b0b6a4c-0000-4000-8000-000000000001',
        contactNumber: 'C-9',
        name: 'Acme',
        emailAddress: '',
        contactStatus: 'ARCHIVED' as never,
        isCustomer: true,
        phones: [
          { phoneType: 'DEFAULT' as never, phoneNumber: '555', phoneAreaCode: '09' },
          { phoneType: 'FAX' as never },
        ],
        addresses: [
          { addressType: 'STREET' as never, addressLine1: '1 Queen St', city: 'Auckland' },
          { addressType: 'POBOX' as never },
        ],
        updatedDateUTC: new Date('2026-01-02T03:04:05Z'),
      },
      'host-9',
    );
    assert.deepEqual(pulled, {
      xeroContactId: '5b0b6a4c-0000-4000-8000-000000000001',
      hostContactId: 'host-9',
      contactNumber: 'C-9',
      name: 'Acme',
      firstName: null,
      lastName: null,
      email: null,
      accountNumber: null,
      status: 'ARCHIVED',
      isCustomer: true,
      isSupplier: false,
      phones: [{ type: 'DEFAULT', number: '09 555' }],
      addresses: [
        { type: 'STREET', lines: ['1 Queen St'], city: 'Auckland', region: null, postalCode: null, country: null },
      ],
      updatedDateUtc: '2026-01-02T03:04:05.000Z',
    });
  });
});
