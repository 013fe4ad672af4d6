import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountType } from 'xero-node';
import { rawApi, startTestSim } from './helpers';

describe('organisation and reference data', async () => {
  const sim = await startTestSim();
  const { api, tenantId } = sim;

  it('Organisation: name, base currency, short code, no lock dates', async () => {
    const org = (await api.getOrganisations(tenantId)).body.organisations![0]!;
    assert.equal(org.name, 'Demo Company (NZ)');
    assert.equal(org.baseCurrency, 'NZD');
    assert.equal(org.shortCode, '!xkd4N');
    assert.equal(org.organisationID, tenantId);
    assert.equal(org.periodLockDate, undefined);
    assert.equal(org.endOfYearLockDate, undefined);
    const other = (await api.getOrganisations(sim.otherTenantId)).body.organisations![0]!;
    assert.equal(other.name, 'Acme Plumbing Ltd');
  });

  it('Accounts: revenue, direct costs, expense and bank accounts, some archived', async () => {
    const accounts = (await api.getAccounts(tenantId)).body.accounts!;
    const byCode = new Map(accounts.map((a) => [a.code, a]));
    assert.equal(byCode.get('200')!.type, AccountType.REVENUE);
    assert.equal(byCode.get('260')!.name, 'Other Revenue');
    assert.equal(byCode.get('310')!.type, AccountType.DIRECTCOSTS);
    assert.equal(byCode.get('429')!.type, AccountType.EXPENSE);
    assert.equal(byCode.get('090')!.type, AccountType.BANK);
    assert.ok(byCode.get('090')!.bankAccountNumber);
    assert.equal(String(byCode.get('205')!.status), 'ARCHIVED');
    const banks = (await api.getAccounts(tenantId, undefined, 'Type=="BANK" AND Status=="ACTIVE"')).body.accounts!;
    assert.deepEqual(banks.map((a) => a.code).sort(), ['090', '091']);
  });

  it('TaxRates: GST on income and expenses, no GST, zero rated, one deleted', async () => {
    const rates = (await api.getTaxRates(tenantId)).body.taxRates!;
    const byType = new Map(rates.map((t) => [t.taxType, t]));
    assert.equal(byType.get('OUTPUT2')!.name, '15% GST on Income');
    assert.equal(byType.get('OUTPUT2')!.effectiveRate, 15);
    assert.ok(byType.get('INPUT2') && byType.get('NONE') && byType.get('EXEMPTOUTPUT'));
    assert.equal(String(byType.get('TAX001')!.status), 'DELETED');
  });

  it('TrackingCategories: active categories and options; archived ones only with includeArchived', async () => {
    const cats = (await api.getTrackingCategories(tenantId)).body.trackingCategories!;
    assert.deepEqual(
      cats.map((c) => c.name),
      ['Region', 'Cost Centre'],
    );
    assert.deepEqual(
      cats[0]!.options!.map((o) => o.name),
      ['North', 'South'],
    );
    const all = (await api.getTrackingCategories(tenantId, undefined, undefined, true)).body.trackingCategories!;
    assert.deepEqual(
      all.map((c) => c.name),
      ['Region', 'Cost Centre', 'Old Projects'],
    );
    assert.deepEqual(
      all[0]!.options!.map((o) => [o.name, String(o.status)]),
      [
        ['North', 'ACTIVE'],
        ['South', 'ACTIVE'],
        ['West', 'ARCHIVED'],
      ],
    );
  });

  it('BrandingThemes and Items', async () => {
    const themes = (await api.getBrandingThemes(tenantId)).body.brandingThemes!;
    assert.deepEqual(
      themes.map((t) => t.name),
      ['Standard', 'Special Projects'],
    );
    const items = (await api.getItems(tenantId)).body.items!;
    assert.deepEqual(
      items.map((i) => i.code),
      ['DEV-HOUR', 'PIPE-15'],
    );
    assert.equal(items[1]!.purchaseDetails!.accountCode, '310');
  });

  it('puts the remaining-calls headers on every accounting answer', async () => {
    const res = await rawApi(sim, 'GET', '/Accounts');
    for (const h of ['x-daylimit-remaining', 'x-minlimit-remaining', 'x-appminlimit-remaining'])
      assert.match(res.headers.get(h) ?? '', /^\d+$/, h);
  });
});
