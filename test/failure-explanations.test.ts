import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainFailure, type FailureFacts } from '../src/domain/failure-explanations';
import { settingsSchema } from '../src/domain/settings';

const settings = settingsSchema.parse({
  revenueAccountCode: '200',
  expenseAccountCode: '310',
  bankAccountCode: '090',
  defaultTaxType: 'OUTPUT2',
});

const cases: Array<[string, FailureFacts, RegExp, RegExp]> = [
  [
    'archived revenue account',
    {
      messages: [
        "Account code '200' has been archived, or has been deleted. Each line item must reference a valid account.",
      ],
    },
    /^Revenue account 200 is archived in Xero$/,
    /Choose another revenue account in Setup/,
  ],
  [
    'unknown line account',
    { messages: ["Account code '999' is not a valid code for this document."] },
    /^Account 999 does not exist/,
    /order line/,
  ],
  [
    'bad default tax',
    { messages: ["The TaxType code 'OUTPUT2' does not exist or cannot be used for this type of transaction."] },
    /Tax rate OUTPUT2/,
    /default tax rate in Setup/,
  ],
  [
    'bad line tax',
    { messages: ["The TaxType code 'ZZZ' does not exist or cannot be used for this type of transaction."] },
    /Tax rate ZZZ/,
    /tax code on the order line/,
  ],
  [
    'tracking option',
    { messages: ["The tracking option 'North' does not exist in the tracking category 'Region'."] },
    /^Tracking option 'North' does not exist in category 'Region'$/,
    /map the cost centre/,
  ],
  [
    'duplicate number',
    { messages: ['Invoice # must be unique.'] },
    /already has an invoice with this number/,
    /prefix in Setup/,
  ],
  [
    'lock date',
    { messages: ['The document date cannot be before the period lock date of 31 Mar 2026.'] },
    /locked in Xero/,
    /first open day/,
  ],
  [
    // As integrators report Xero's words on its smallest plans (xero-facts.md, Organisation).
    'plan approval cap',
    { messages: ['You have reached the limit of invoices you can approve this month.'] },
    /monthly limit of approved invoices or bills/,
    /Draft in Setup/,
  ],
  [
    'draft payment',
    { messages: ['Payments can only be made against Authorised documents.'] },
    /not approved/,
    /Authorised in Setup/,
  ],
  [
    'overpayment',
    { messages: ['Payment amount exceeds the amount outstanding on this document'] },
    /more than what is still owed/,
    /directly in Xero/,
  ],
  [
    'edit with payment',
    { messages: ['This document cannot be edited as it has a payment or credit note allocated to it.'] },
    /cannot be changed/,
    /Remove the payments/,
  ],
  ['not connected', { messages: [], errorKind: 'not_connected' }, /not connected/, /Connect to Xero/],
  [
    'needs reconnect',
    { messages: ['invalid_grant'], errorKind: 'needs_reconnect' },
    /expired or was revoked/,
    /Reconnect/,
  ],
  [
    'missing setup',
    { messages: ['revenue account', 'bank account'], errorKind: 'missing_setup' },
    /Setup is incomplete: revenue account, bank account/,
    /Complete Setup/,
  ],
  // The simulator's exact words (src/xero-sim/lines.ts, contacts.ts, invoices.ts, lock-dates.ts), which are Xero's.
  [
    'sim: archived revenue account',
    {
      messages: [
        "The account code '200' has been archived, or deleted. Each line item must reference a valid account.",
      ],
    },
    /^Revenue account 200 is archived in Xero$/,
    /^Choose another revenue account in Setup$/,
  ],
  [
    'sim: archived tracking option',
    {
      messages: ["The tracking option 'North' does not exist or has been archived in the tracking category 'Region'."],
    },
    /^Tracking option 'North' does not exist in category 'Region'$/,
    /Add the option in Xero/,
  ],
  [
    'sim: archived tracking category',
    { messages: ["The tracking category 'Region' does not exist or has been archived."] },
    /^Tracking category 'Region' does not exist or is archived in Xero$/,
    /another tracking category in Setup/,
  ],
  [
    'sim: unknown item',
    { messages: ["Item code 'PIPE-99' is not valid."] },
    /^Item PIPE-99 does not exist in Xero$/,
    /item code on the order line/,
  ],
  [
    'sim: archived contact',
    { messages: ['The contact Acme Ltd has been archived. Restore the contact before using it on a transaction.'] },
    /^The Xero contact 'Acme Ltd' is archived$/,
    /Restore the contact in Xero/,
  ],
  [
    'sim: duplicate contact name',
    {
      messages: [
        'The contact name Acme Ltd is already assigned to another contact. The contact name must be unique across all active contacts.',
      ],
    },
    /^Another Xero contact is already called 'Acme Ltd'$/,
    /Rename or archive/,
  ],
  [
    'sim: currency',
    { messages: ['Organisation is not subscribed to currency USD'] },
    /does not use currency USD/,
    /currency settings/,
  ],
  [
    'sim: lock date',
    { messages: ['The document date cannot be on or before the lock date of 31 March 2026.'] },
    /locked in Xero/,
    /lock date/,
  ],
  [
    'sim: bad default tax',
    { messages: ["The TaxType code 'OUTPUT2' does not exist or cannot be used for this type of transaction."] },
    /^Tax rate OUTPUT2/,
    /default tax rate in Setup/,
  ],
  [
    'invalid data: NUL in a value',
    {
      errorKind: 'invalid_data',
      sqlstate: '22021',
      messages: [
        'The database refused to store the data during ensureContact: a text value contains a NUL character (U+0000), which the database cannot store',
      ],
    },
    /NUL character/,
    /Correct the value in your app .* send the document again/,
  ],
  [
    'invalid data: a constraint',
    { errorKind: 'invalid_data', sqlstate: '23505', messages: ['a record with the same key already exists'] },
    /already exists/,
    /duplicate or missing value/,
  ],
  [
    'invalid data: a query the database cannot run is the engine at fault',
    { errorKind: 'invalid_data', sqlstate: '42P01', messages: ['the engine database does not match'] },
    /does not match/,
    /fault in the sync engine/,
  ],
  [
    'invalid data without a message still explains',
    { errorKind: 'invalid_data', messages: [] },
    /database refused to store/,
    /Correct the value/,
  ],
  [
    'anything else keeps Xero words',
    { messages: ['Something odd happened.'] },
    /^Xero said: Something odd happened\.$/,
    /retry/,
  ],
];

for (const [name, facts, problem, action] of cases) {
  test(`explains: ${name}`, () => {
    const e = explainFailure(facts, settings);
    assert.match(e.problem, problem);
    assert.match(e.action, action);
  });
}
