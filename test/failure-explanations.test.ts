import path from 'node:path';
import { test } from 'node:test';
import { Eta } from 'eta';
import assert from 'node:assert/strict';
import { explainFailure, explainFailures, type FailureFacts } from '../src/domain/failure-explanations';
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
  // Xero's "not found" answers (the simulator's words: src/xero-sim/contacts.ts, invoices.ts, payments.ts, answers.ts).
  [
    'contact gone',
    { messages: ['The contact with the ContactID 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a could not be found.'] },
    /^The Xero contact 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a no longer exists in Xero \(deleted there, or Xero was reset\)$/,
    /^Retry: the sync finds the customer again .* choose another one/,
  ],
  [
    'chosen contact gone (the engine checked)',
    {
      errorKind: 'not_found',
      step: 'contact',
      messages: [
        'the Xero contact 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a does not exist or is archived (deleted or merged in Xero?): choose another contact and send the document again',
      ],
    },
    /^The Xero contact 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a chosen for the document does not exist or is archived/,
    /Choose another contact .* in your app/,
  ],
  [
    'contact number unknown',
    { messages: ['The contact with the ContactNumber CUST-9 could not be found.'] },
    /^No Xero contact has the contact number CUST-9$/,
    /contact number to the contact in Xero/,
  ],
  [
    'invoice gone on revise (a 404)',
    {
      errorKind: 'not_found',
      step: 'revise',
      document: { word: 'invoice', number: 'INV-1', id: 'a1b2c3d4-0000-4000-8000-000000000001' },
      messages: ["The resource you're looking for cannot be found"],
    },
    /^The invoice INV-1 no longer exists in Xero \(deleted there, or Xero was reset\)$/,
    /does not re-create it .* cancel the document in your app .* new number/,
  ],
  [
    'bill gone, number unknown',
    {
      errorKind: 'not_found',
      step: 'attach',
      document: { word: 'bill', id: 'a1b2c3d4-0000-4000-8000-000000000002' },
      messages: ["The resource you're looking for cannot be found"],
    },
    /^The bill a1b2c3d4-0000-4000-8000-000000000002 no longer exists in Xero/,
    /cancel the document/,
  ],
  [
    'a 404 without a known document',
    { errorKind: 'not_found', step: 'revise', messages: ["The resource you're looking for cannot be found"] },
    /^The document no longer exists in Xero/,
    /cancel the document/,
  ],
  [
    'payment on an invoice gone',
    {
      step: 'pay:p1',
      document: { word: 'invoice', number: 'INV-7', id: 'a1b2c3d4-0000-4000-8000-000000000007' },
      messages: ['Invoice a1b2c3d4-0000-4000-8000-000000000007 could not be found.'],
    },
    /^The invoice INV-7 no longer exists in Xero/,
    /cancel the document in your app/,
  ],
  [
    'another invoice gone (a credit note applied to it)',
    {
      document: { word: 'credit note', number: 'CN-1', id: 'a1b2c3d4-0000-4000-8000-00000000000c' },
      messages: ['Invoice INV-9 could not be found.'],
    },
    /^The invoice INV-9 no longer exists in Xero/,
    /^Check the invoice in Xero/,
  ],
  [
    'invoice by id gone (an update by id)',
    { messages: ['Invoice with ID a1b2c3d4-0000-4000-8000-000000000003 could not be found.'] },
    /^The invoice a1b2c3d4-0000-4000-8000-000000000003 no longer exists in Xero/,
    /Check the invoice in Xero/,
  ],
  [
    'credit note gone',
    {
      document: { word: 'credit note', number: 'CN-1', id: 'a1b2c3d4-0000-4000-8000-00000000000c' },
      messages: ['Credit note with ID a1b2c3d4-0000-4000-8000-00000000000c could not be found.'],
    },
    /^The credit note CN-1 no longer exists in Xero/,
    /cancel the document/,
  ],
  [
    'payment bank account gone',
    { messages: ['Account 090 could not be found.'] },
    /^Bank account 090 does not exist in Xero$/,
    /^Choose another bank account in Setup$/,
  ],
  [
    'item gone',
    { messages: ["Item with ItemID 'a1b2c3d4-0000-4000-8000-00000000000f' could not be found."] },
    /^The Xero item a1b2c3d4-0000-4000-8000-00000000000f no longer exists in Xero/,
    /Push the items again/,
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

/** Every problem of a failure, each with its own explanation (explainFailures); explainFailure is the first. */
const multi: Array<[string, FailureFacts, Array<[RegExp, RegExp]>]> = [
  [
    'archived account and bad tax code',
    {
      messages: [
        "The account code '200' has been archived, or deleted. Each line item must reference a valid account.",
        "The TaxType code 'ZZZ' does not exist or cannot be used for this type of transaction.",
      ],
    },
    [
      [/^Revenue account 200 is archived in Xero$/, /Choose another revenue account in Setup/],
      [/^Tax rate ZZZ/, /tax code on the order line/],
    ],
  ],
  [
    'the same problem on two lines is listed once',
    {
      messages: [
        "Account code '999' is not a valid code for this document.",
        "Account code '999' is not a valid code for this document.",
        "Item code 'PIPE-99' is not valid.",
      ],
    },
    [
      [/^Account 999 does not exist/, /order line/],
      [/^Item PIPE-99 does not exist in Xero$/, /item code/],
    ],
  ],
  [
    'messages no rule knows come last, together, in Xero words',
    {
      messages: ['Something odd happened.', "Item code 'PIPE-99' is not valid.", 'Something else odd happened.'],
    },
    [
      [/^Item PIPE-99 does not exist in Xero$/, /item code/],
      [
        /^Xero said: Something odd happened\.; Something else odd happened\.$/,
        /^Correct the document or Setup, then retry$/,
      ],
    ],
  ],
  [
    'a contact gone and an archived account',
    {
      messages: [
        'The contact with the ContactID 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a could not be found.',
        "Account code '200' has been archived, or has been deleted. Each line item must reference a valid account.",
      ],
    },
    [
      [/^The Xero contact 0b7c3c5e-1111-4c1e-9d2a-4f0e1d2c3b4a no longer exists/, /^Retry/],
      [/^Revenue account 200 is archived/, /Setup/],
    ],
  ],
  [
    'an engine kind is one explanation',
    { errorKind: 'missing_setup', messages: ['revenue account', 'bank account'] },
    [[/^Setup is incomplete: revenue account, bank account$/, /Complete Setup/]],
  ],
  ['nothing said', { messages: [] }, [[/^Xero said: Xero refused the document without saying why$/, /retry/]]],
];

for (const [name, facts, expected] of multi) {
  test(`explains every problem: ${name}`, () => {
    const all = explainFailures(facts, settings);
    assert.equal(all.length, expected.length, JSON.stringify(all));
    expected.forEach(([problem, action], i) => {
      assert.match(all[i]!.problem, problem);
      assert.match(all[i]!.action, action);
    });
    assert.deepEqual(explainFailure(facts, settings), all[0]);
  });
}

test('the failures list shows every problem with its own remedy (web/views/_failures.eta)', () => {
  const eta = new Eta({ views: path.join(__dirname, '..', 'web', 'views') });
  const failure = (id: string, explanations: Array<{ problem: string; action: string }>) => ({
    id,
    orderNumber: `SO-${id}`,
    what: 'Invoice create',
    when: 'just now',
    problem: explanations[0]!.problem,
    todo: explanations[0]!.action,
    explanations,
    message: 'Xero said so',
    retryable: true,
    workflowId: `order:a:SO-${id}`,
  });
  const two = explainFailures(multi[0]![1], settings);
  const html = eta.render('./_failures', {
    account: { id: 'acc' },
    csrfToken: 't',
    failures: [failure('1', two), failure('2', [{ problem: 'Tax <b>', action: 'Fix & retry' }])],
  });
  const items = html.split('<li class="failure"').slice(1);
  assert.equal(items.length, 2);
  assert.match(items[0]!, /2 problems:/);
  assert.equal(items[0]!.match(/<p class="problem">/g)?.length, 2);
  assert.ok(items[0]!.includes('Revenue account 200 is archived in Xero'));
  assert.ok(items[0]!.includes('Tax rate ZZZ'));
  assert.ok(items[0]!.includes('Choose another revenue account in Setup'));
  assert.equal(items[1]!.match(/<p class="problem">/g)?.length, 1);
  assert.ok(items[1]!.includes('Tax &lt;b&gt;'), 'escaped');
  assert.ok(!items[1]!.includes('problems:'));
});
