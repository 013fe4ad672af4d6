import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Eta } from 'eta';
import type { Account } from '../src/db/schema';
import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../src/domain/settings';
import type { ReferenceData, XeroAccountRef } from '../src/xero/reference-data';
import {
  settingsFromValues,
  valuesFromBody,
  valuesFromSettings,
  type SetupFormValues,
} from '../web/admin/settings-form';
import { setupPageModel } from '../web/admin/setup-page';

/** The Setup form ↔ settings without a server: what a browser posts, what is saved, what is shown again. */

/** What a browser posts for these values (unchecked boxes absent, cost-centre rows as parallel lists). */
function bodyOf(v: SetupFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = { _csrf: 'token' };
  for (const [key, value] of Object.entries(v)) {
    if (key === 'costCentres') continue;
    if (typeof value === 'boolean') {
      if (value) body[key] = 'on';
    } else body[key] = value;
  }
  body.cc_name = v.costCentres.map((r) => r.name);
  body.cc_option = v.costCentres.map((r) => r.option);
  return body;
}

const parse = (body: Record<string, unknown>) => settingsFromValues(valuesFromBody(body));
/** Settings as stored (JSON): a field left unset is absent, not `undefined`. */
const stored = (s: Settings | undefined) => (s === undefined ? undefined : JSON.parse(JSON.stringify(s)));
/** The saved settings of a valid form, or its errors. */
const saved = (body: Record<string, unknown>) => {
  const parsed = parse(body);
  return parsed.ok ? stored(parsed.settings) : parsed.errors;
};
const defaultsBody = () => bodyOf(valuesFromSettings(DEFAULT_SETTINGS));

describe('Setup form: differences between totals', () => {
  test('the defaults round-trip: held, no rounding account, 0.05', () => {
    const values = valuesFromSettings(DEFAULT_SETTINGS);
    assert.equal(values.totalDifference, 'hold');
    assert.equal(values.roundingAccountCode, '');
    assert.equal(values.roundingTolerance, '0.05');
    assert.deepEqual(saved(bodyOf(values)), DEFAULT_SETTINGS);
  });

  test('rounding lines, their account and tolerance round-trip through the form', () => {
    const settings: Settings = settingsSchema.parse({
      revenueAccountCode: '200',
      totalDifference: 'rounding_line',
      roundingAccountCode: '860',
      roundingTolerance: 0.1,
    });
    const values = valuesFromSettings(settings);
    assert.deepEqual(
      {
        totalDifference: values.totalDifference,
        roundingAccountCode: values.roundingAccountCode,
        roundingTolerance: values.roundingTolerance,
      },
      { totalDifference: 'rounding_line', roundingAccountCode: '860', roundingTolerance: '0.10' },
      'an amount is shown with two decimals',
    );
    assert.deepEqual(saved(bodyOf(values)), settings);
  });

  test('what the admin types is parsed: spaces trimmed, whole amounts and a leading point accepted', () => {
    for (const [typed, expected] of [
      [' 0.02 ', 0.02],
      ['1', 1],
      ['10', 10],
      ['.5', 0.5],
      ['2.', 2],
      ['0.01', 0.01],
    ] as const) {
      const parsed = parse({
        ...defaultsBody(),
        totalDifference: 'rounding_line',
        roundingAccountCode: '860',
        roundingTolerance: typed,
      });
      assert.ok(parsed.ok, `${typed}: ${JSON.stringify(!parsed.ok && parsed.errors)}`);
      assert.equal(parsed.settings.roundingTolerance, expected, typed);
      assert.equal(parsed.settings.totalDifference, 'rounding_line');
      assert.equal(parsed.settings.roundingAccountCode, '860');
    }
  });

  test('a form from before these settings existed holds differences with the default tolerance', () => {
    const body = defaultsBody();
    delete body.totalDifference;
    delete body.roundingAccountCode;
    delete body.roundingTolerance;
    assert.deepEqual(saved(body), DEFAULT_SETTINGS);
  });

  test('an empty, non-numeric or out-of-range tolerance is a field error, never a crash', () => {
    const cases: Array<[string, string]> = [
      ['', 'enter an amount, for example 0.05'],
      ['   ', 'enter an amount, for example 0.05'],
      ['abc', 'enter an amount in digits with a point, for example 0.05'],
      ['0,05', 'enter an amount in digits with a point, for example 0.05'],
      ['1e-2', 'enter an amount in digits with a point, for example 0.05'],
      ['$0.05', 'enter an amount in digits with a point, for example 0.05'],
      ['Infinity', 'enter an amount in digits with a point, for example 0.05'],
      ['0', 'must be at least 0.01'],
      ['-0.05', 'must be at least 0.01'],
      ['20', 'must be at most 10'],
      ['0.055', 'at most 2 decimals'],
    ];
    for (const [typed, message] of cases) {
      const values = valuesFromBody({ ...defaultsBody(), roundingTolerance: typed });
      const parsed = settingsFromValues(values);
      assert.equal(parsed.ok, false, typed);
      if (parsed.ok) continue;
      assert.deepEqual(parsed.errors, { roundingTolerance: message }, JSON.stringify(typed));
      assert.equal(values.roundingTolerance, typed.trim(), 'what was typed is kept for the form');
      // The other fields can still be checked against Xero, the tolerance left at its default.
      assert.deepEqual(stored(parsed.rest), DEFAULT_SETTINGS, typed);
    }
  });

  test('rounding lines need an account; every problem is named at once', () => {
    const parsed = parse({
      ...defaultsBody(),
      revenueAccountCode: '200',
      totalDifference: 'rounding_line',
      roundingAccountCode: '',
      roundingTolerance: 'five cents',
    });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.deepEqual(parsed.errors, {
      roundingTolerance: 'enter an amount in digits with a point, for example 0.05',
      roundingAccountCode: 'choose the account rounding lines are booked to',
    });
    // The rest (differences held meanwhile) is still checked against Xero.
    assert.equal(parsed.rest?.revenueAccountCode, '200');
    assert.equal(parsed.rest?.totalDifference, 'hold');
  });

  test('an unknown choice is a field error', () => {
    const parsed = parse({ ...defaultsBody(), totalDifference: 'ignore' });
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.errors.totalDifference!, /hold, rounding_line/);
  });
});

describe('Setup page: differences between totals', () => {
  const acct = (code: string, name: string, type: string, extra: Partial<XeroAccountRef> = {}): XeroAccountRef => ({
    code,
    name,
    type,
    accountClass: 'EXPENSE',
    active: true,
    enablePayments: false,
    ...extra,
  });
  const ref: ReferenceData = {
    organisation: { name: 'Acme Plumbing Ltd', baseCurrency: 'NZD', shortCode: '!Pq7rT', plan: 'PREMIUM' },
    accounts: [
      acct('090', 'Business Bank Account', 'BANK', { accountClass: 'ASSET' }),
      acct('200', 'Sales', 'REVENUE', { accountClass: 'REVENUE' }),
      acct('429', 'General Expenses', 'EXPENSE'),
      acct('499', 'Old Expenses', 'EXPENSE', { active: false }),
      acct('860', 'Rounding', 'CURRLIAB', { accountClass: 'LIABILITY' }),
    ],
    taxRates: [],
    trackingCategories: [],
    brandingThemes: [],
  };
  const account = {
    id: '6f1d2c3b-0000-4000-8000-000000000001',
    name: 'Acme',
    options: {},
  } as unknown as Account;

  test('the rounding account list: Rounding first, no bank or archived accounts, a stale choice kept visible', () => {
    const model = setupPageModel(account, ref, valuesFromSettings(DEFAULT_SETTINGS), {});
    assert.deepEqual(
      model.lists.roundingAccounts.map((o) => o.value),
      ['860', '200', '429'],
    );
    assert.equal(model.lists.roundingAccounts[0]!.label, '860 — Rounding');
    assert.deepEqual(
      model.lists.totalDifferences.map((c) => c.value),
      ['hold', 'rounding_line'],
    );
    const stale = setupPageModel(
      account,
      ref,
      { ...valuesFromSettings(DEFAULT_SETTINGS), roundingAccountCode: '499' },
      { roundingAccountCode: 'account 499 is archived in Xero' },
    );
    assert.deepEqual(stale.lists.roundingAccounts.at(-1), { value: '499', label: '499 (not available in Xero)' });
    assert.deepEqual(stale.errorList, [
      { anchor: 'roundingAccountCode', label: 'Rounding account', message: 'account 499 is archived in Xero' },
    ]);
  });

  const eta = new Eta({ views: path.join(__dirname, '../web/views') });
  const render = (values: SetupFormValues, errors: Record<string, string> = {}) =>
    eta.render('./setup', {
      title: 'Setup',
      nav: 'setup',
      account,
      csrfToken: 'token',
      ...setupPageModel(account, ref, values, errors),
    });

  test('the page shows the choice, the account select and the amount, with the defaults', () => {
    const html = render(valuesFromSettings(DEFAULT_SETTINGS));
    assert.match(html, /<h2>Checks before writing<\/h2>/);
    assert.match(html, /name="lockedPeriod" value="hold" checked/);
    assert.match(html, /name="totalDifference" value="hold" checked/);
    assert.match(html, /name="totalDifference" value="rounding_line">/);
    assert.match(html, /Your app sends each document&#39;s total\. Xero rounds tax on every line/);
    assert.match(html, /<select id="roundingAccountCode" name="roundingAccountCode"/);
    assert.match(html, /<option value="860">860 — Rounding<\/option>/);
    assert.doesNotMatch(html, /<select id="roundingAccountCode"[^]*?<option value="090">[^]*?<\/select>/);
    assert.match(
      html,
      /<input type="number" id="roundingTolerance" name="roundingTolerance" value="0.05" min="0.01" max="10" step="0.01"/,
    );
    assert.match(html, /<label for="roundingTolerance">Largest difference to round<\/label>/);
  });

  test('an invalid amount is shown next to its field, as typed', () => {
    const values = valuesFromBody({ ...defaultsBody(), totalDifference: 'rounding_line', roundingTolerance: 'abc"<' });
    const parsed = settingsFromValues(values);
    assert.equal(parsed.ok, false);
    const html = render(values, parsed.ok ? {} : parsed.errors);
    assert.match(html, /name="totalDifference" value="rounding_line" checked/);
    assert.match(html, /name="roundingTolerance" value="abc&quot;&lt;"/);
    assert.match(html, /aria-describedby="roundingTolerance-help roundingTolerance-error" aria-invalid="true"/);
    assert.match(
      html,
      /<p class="error" id="roundingTolerance-error">enter an amount in digits with a point, for example 0.05<\/p>/,
    );
    assert.match(html, /<a href="#roundingTolerance">Largest difference to round<\/a>/);
    assert.match(html, /id="roundingAccountCode-error">choose the account rounding lines are booked to</);
  });
});
