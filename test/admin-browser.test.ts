import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from './support/chromium';
import { loadSettings } from '../src/settings/store';
import { startAdminApp, type AdminApp } from './support/admin-app';

/**
 * One end-to-end run in headless Chromium (Debian's, driven by playwright-core): open the admin
 * link, Connect to Xero, Allow on the simulator's consent page, fill Setup (first with a mistake),
 * save. Set SCREENSHOT_DIR to keep screenshots of each page.
 */

const skip = chromiumSkipReason();
let app: AdminApp;
let context: BrowserContext;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

before(async () => {
  if (skip) return;
  app = await startAdminApp();
  browser = await launchChromium();
  context = browser.context;
});
after(async () => {
  await browser?.close();
  await app?.close();
});

describe('in a real browser', { skip }, () => {
  test('connect to Xero and complete setup by clicking', async () => {
    const { apiKey } = await app.newHostApp();
    await app.api(apiKey, 'PUT', '/accounts/browser-1', {
      name: 'Harbour Electrical',
      options: { costCentres: ['Installs'] },
    });
    const link = (await app.api(apiKey, 'POST', '/accounts/browser-1/admin-link')).body.url as string;
    const shot = async (name: string) => {
      if (process.env.SCREENSHOT_DIR)
        await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    };

    const page = await context.newPage();
    const problems: string[] = [];
    // Status codes are asserted elsewhere (422 re-renders, a missing favicon); what must not happen is a refusal.
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
    );
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(link);
    await page.getByRole('button', { name: 'Connect to Xero' }).waitFor();
    assert.match(await page.locator('header').innerText(), /Harbour Electrical/);
    await shot('1-account');

    await page.getByRole('button', { name: 'Connect to Xero' }).click();
    await page.getByRole('button', { name: 'Allow access' }).waitFor();
    assert.ok(page.url().startsWith(`${app.sim.url}/identity/connect/authorize`), page.url());
    await shot('2-xero-consent');
    await page.getByRole('button', { name: 'Allow access' }).click();

    // One organisation allowed (the first, ticked by default): straight to Setup.
    await page.getByRole('heading', { name: 'Setup' }).waitFor();
    assert.match(page.url(), /\/setup\?notice=connected$/);
    assert.match(await page.locator('#notice').innerText(), /Connected to Demo Company \(NZ\)/);
    await shot('3-setup');

    // What every account needs comes first; everything else is folded under Advanced.
    const headings = await page.locator('form h2').allInnerTexts();
    assert.equal(headings[0], 'What every account needs');
    assert.equal(await page.locator('details#advanced').getAttribute('open'), null, 'Advanced starts folded');
    assert.ok(await page.getByLabel('Sales account').isVisible());
    assert.ok(!(await page.getByLabel('Purchases account').isVisible()), 'advanced settings hidden until unfolded');
    await page.locator('details#advanced > summary').click();

    await page.getByLabel('Sales account').selectOption('200');
    await page.getByLabel('Purchases account').selectOption('310');
    await page.getByLabel('Bank account for payments').selectOption('090');
    await page.getByLabel('Default tax rate').selectOption('OUTPUT2');
    await page.getByLabel('Tracking category').selectOption('Cost Centre');
    await page.getByLabel('Xero option for cost centre 1').fill('installation');
    await page.getByLabel('Send contact changes every').fill('0');
    // Four status choices on the page (invoices, bills, credit notes, deal invoices): each in its own group.
    await page.getByRole('group', { name: 'Status of new invoices in Xero' }).getByLabel('Approved').check();
    await page.getByRole('group', { name: 'Status of new bills in Xero' }).getByLabel('Draft').check();
    await page.getByLabel('Credit note number prefix').fill('CN-');
    await page.getByLabel('Job description').check();
    await page.getByLabel('Sync payments').check();
    await page.getByRole('button', { name: 'Save setup' }).click();

    // Both mistakes at once, each next to its field; everything else as typed.
    await page.locator('#contactSyncIntervalHours-error').waitFor();
    assert.equal(await page.locator('#contactSyncIntervalHours-error').innerText(), 'must be at least 1');
    assert.match(
      await page.locator('#cc-row-0 .error').innerText(),
      /"installation" is not an option of Cost Centre in Xero/,
    );
    assert.equal(await page.getByLabel('Sales account').inputValue(), '200');
    assert.equal(await page.getByLabel('Xero option for cost centre 1').inputValue(), 'installation');
    assert.ok(await page.getByLabel('Job description').isChecked());
    assert.match(await page.locator('#error-summary').innerText(), /2 settings need your attention/);
    await shot('4-setup-error');

    await page.getByLabel('Send contact changes every').fill('6');
    await page.getByLabel('Xero option for cost centre 1').fill('Installation');
    await page.getByRole('button', { name: 'Save setup' }).click();
    await page.locator('#notice', { hasText: 'Setup saved' }).waitFor();
    await shot('5-saved');

    const accountId = new URL(page.url()).pathname.split('/')[3]!;
    const settings = await loadSettings(app.database.db, accountId);
    assert.equal(settings.revenueAccountCode, '200');
    assert.equal(settings.expenseAccountCode, '310');
    assert.equal(settings.bankAccountCode, '090');
    assert.equal(settings.trackingCategoryName, 'Cost Centre');
    assert.deepEqual(settings.costCentreOptions, { Installs: 'Installation' });
    assert.deepEqual(settings.referenceFields, ['orderNumber', 'jobDescription']);
    assert.equal(settings.invoiceStatus, 'AUTHORISED');
    assert.equal(settings.billStatus, 'DRAFT');
    assert.equal(settings.creditNoteStatus, 'AUTHORISED');
    assert.equal(settings.dealInvoiceStatus, 'DRAFT');
    assert.equal(settings.creditNoteNumberPrefix, 'CN-');
    assert.deepEqual(problems, [], 'no console errors (a CSP refusal would show here)');
  });
});
