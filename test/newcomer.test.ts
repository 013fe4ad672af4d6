import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startEngineProcess } from './support/engine-process';
import { chromiumSkipReason, launchChromium } from './support/chromium';

/**
 * The brief's promise: from clone to a synced sample invoice in the simulated Xero with `npm start`
 * and what it prints — the admin link (connect, Setup) and the sample-order command.
 */
test(
  'newcomer: npm start, follow the admin link, connect and set up, send the sample order, see the invoice in Xero',
  { timeout: 180_000, skip: chromiumSkipReason() },
  async () => {
    const engine = await startEngineProcess();
    const chromium = await launchChromium();
    const browser = chromium.context;
    try {
      await engine.waitFor(/Press Ctrl-C/);
      const adminLink = (await engine.waitFor(/Admin URL:\s+(\S+)/))[1]!;
      const apiKey = (await engine.waitFor(/Demo API key:\s+(\S+)/))[1]!;
      const sampleFile = (await engine.waitFor(/--data @(\S+)/))[1]!;

      const page = await browser.newPage();
      await page.goto(adminLink);
      await page.getByRole('button', { name: 'Connect to Xero' }).click();
      await page.getByRole('button', { name: 'Allow access' }).click();
      await page.getByRole('heading', { name: 'Setup' }).waitFor();
      await page.getByLabel('Sales account').selectOption('200');
      await page.getByLabel('Bank account for payments').selectOption('090');
      await page.getByLabel('Default tax rate').selectOption('OUTPUT2');
      await page.getByRole('button', { name: 'Save setup' }).click();
      await page
        .locator('#notice', { hasText: 'Setup saved' })
        .waitFor({ timeout: 15_000 })
        .catch(async (err: Error) => {
          const summary = await page
            .locator('#error-summary')
            .innerText()
            .catch(() => '(no error summary)');
          throw new Error(`${err.message}\nSetup was not saved: ${summary}`);
        });

      // The printed command, as a host would send it.
      const sample = readFileSync(sampleFile, 'utf8');
      const orderNumber = (JSON.parse(sample) as { order: { number: string } }).order.number;
      const sent = await fetch(`http://localhost:${engine.port}/api/v1/accounts/demo/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: sample,
      });
      assert.equal(sent.status, 202, await sent.clone().text());

      const sim = `http://127.0.0.1:${engine.simPort}/__sim`;
      const orgs = (await (await fetch(`${sim}/organisations`)).json()) as Array<{ tenantId: string; name: string }>;
      const tenant = orgs.find((o) => o.name === 'Demo Company (NZ)')!.tenantId;
      let invoice: Record<string, unknown> | undefined;
      let attachments: unknown[] = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const invoices = (await (await fetch(`${sim}/organisations/${tenant}/invoices`)).json()) as Array<
          Record<string, unknown>
        >;
        invoice = invoices.find((i) => i.InvoiceNumber === orderNumber);
        if (invoice) {
          attachments = (await (
            await fetch(`${sim}/organisations/${tenant}/documents/${String(invoice.InvoiceID)}/attachments`)
          ).json()) as unknown[];
          if (attachments.length > 0) break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(invoice, `invoice ${orderNumber} never appeared in the simulated Xero\n${engine.output()}`);
      assert.equal(invoice.Type, 'ACCREC');
      assert.equal(invoice.Status, 'AUTHORISED');
      assert.equal(invoice.Reference, orderNumber);
      assert.equal(Number(invoice.Total), 161.0); // (95 + 4 x 12.50 less 10%) = 140.00 + 15% GST
      assert.equal(attachments.length, 1, 'the order PDF is attached');
      assert.equal(await engine.interrupt(), 0);
    } finally {
      await chromium.close();
      engine.cleanup();
    }
  },
);
