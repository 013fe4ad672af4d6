import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsSchema, type SettingsInput } from '../src/domain/settings';
import { checkSettingsAgainstXero } from '../src/domain/settings-checks';
import type { ReferenceData, XeroAccountRef } from '../src/xero/reference-data';

/** Settings checked against an organisation's live data, without Xero: a table of settings → field errors. */

const acct = (code: string, name: string, type: string, extra: Partial<XeroAccountRef> = {}): XeroAccountRef => ({
  code,
  name,
  type,
  accountClass: type === 'REVENUE' ? 'REVENUE' : type === 'BANK' ? 'ASSET' : 'EXPENSE',
  active: true,
  enablePayments: false,
  ...extra,
});

const ref = (organisation = 'Acme Plumbing Ltd'): ReferenceData => ({
  organisation: { name: organisation, baseCurrency: 'NZD', shortCode: '!Pq7rT', plan: 'PREMIUM' },
  accounts: [
    acct('090', 'Business Bank Account', 'BANK'),
    acct('200', 'Sales', 'REVENUE'),
    acct('205', 'Sales - Hardware', 'REVENUE', { active: false }),
    acct('310', 'Cost of Goods Sold', 'DIRECTCOSTS'),
    acct('860', 'Rounding', 'CURRLIAB', { accountClass: 'LIABILITY' }),
    acct('861', 'Old Rounding', 'CURRLIAB', { accountClass: 'LIABILITY', active: false }),
  ],
  taxRates: [{ taxType: 'OUTPUT2', name: '15% GST on Income', rate: 15, active: true }],
  trackingCategories: [],
  brandingThemes: [],
});

const settings = (input: SettingsInput) => settingsSchema.parse(input);

describe('checkSettingsAgainstXero: the rounding account', () => {
  const cases: Array<{ name: string; input: SettingsInput; organisation?: string; expected: Record<string, string> }> =
    [
      { name: 'not set, rounding lines off', input: {}, expected: {} },
      { name: "Xero's Rounding account", input: { roundingAccountCode: '860' }, expected: {} },
      {
        name: 'an active account used for rounding lines',
        input: { totalDifference: 'rounding_line', roundingAccountCode: '860', roundingTolerance: 0.1 },
        expected: {},
      },
      {
        name: 'an expense account is fine too',
        input: { totalDifference: 'rounding_line', roundingAccountCode: '310' },
        expected: {},
      },
      {
        name: 'a code the organisation does not have',
        input: { totalDifference: 'rounding_line', roundingAccountCode: '999' },
        expected: { roundingAccountCode: 'account 999 does not exist in Acme Plumbing Ltd' },
      },
      {
        name: 'a missing code, organisation without a name',
        input: { roundingAccountCode: '999' },
        organisation: '',
        expected: { roundingAccountCode: 'account 999 does not exist in this Xero organisation' },
      },
      {
        name: 'an archived account',
        input: { totalDifference: 'rounding_line', roundingAccountCode: '861' },
        expected: { roundingAccountCode: 'account 861 is archived in Xero' },
      },
      {
        name: 'a bank account',
        input: { totalDifference: 'rounding_line', roundingAccountCode: '090' },
        expected: {
          roundingAccountCode:
            'Business Bank Account is a bank account; Xero does not accept it on invoice or bill lines',
        },
      },
      {
        name: 'checked even while differences are held (it would be used once rounding is turned on)',
        input: { totalDifference: 'hold', roundingAccountCode: '205' },
        expected: { roundingAccountCode: 'account 205 is archived in Xero' },
      },
      {
        name: 'each field keeps its own error',
        input: { revenueAccountCode: '205', roundingAccountCode: '090', totalDifference: 'rounding_line' },
        expected: {
          revenueAccountCode: 'account 205 is archived in Xero',
          roundingAccountCode:
            'Business Bank Account is a bank account; Xero does not accept it on invoice or bill lines',
        },
      },
    ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(checkSettingsAgainstXero(settings(c.input), ref(c.organisation)), c.expected);
    });
  }
});
