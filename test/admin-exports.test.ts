import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createAdminLink } from '../src/access/admin-links';
import { createApiKey } from '../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../src/access/wiring';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import { parseExportItems } from '../src/exports/request';
import { createExport, type ExportView } from '../src/exports/store';
import { createLogger } from '../src/log';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { createApp } from '../web/app';
import { exportPageModel, etaWords } from '../web/admin/exports-pages';
import { listen, type RunningWebServer } from '../web/server';
import { chromiumSkipReason, launchChromium } from './support/chromium';
import { freePort } from './support/free-port';
import { eventually, orderTestEnv, sampleOrder, TEST_SETTINGS, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { csrfTokenOf, WebClient } from './support/web-client';

/**
 * The admin's Exports pages: the list and one export's page (progress bar, N of M, time left in
 * words, sentence, counts, each document's outcome with its Xero link), its JSON progress, Retry
 * failed documents and Cancel export (CSRF-protected, as the host API does them) — only with the
 * account's own admin session; another account's export is 404. In Chromium the page follows a
 * running export without reloading (SCREENSHOT_DIR keeps screenshots of it).
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let env: OrderTestEnv;
let access: AdminAccess;
let web: RunningWebServer;
let apiKey: string;
/** Another account of the same host app, with an export of its own. */
let otherAccountId: string;
let otherExportId: string;
const browser = new WebClient();

let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${++seq}`;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${web.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Rec };
}

function invoiceItem(patch: Rec = {}) {
  const order = sampleOrder({
    customer: { type: 'organisation', id: uid('cust'), name: `Export customer ${uid('c')}` },
    attachPdf: false,
  });
  return { kind: 'invoice', id: order.number, approved: true, document: { ...order, ...patch } };
}

async function startExport(documents: unknown[]): Promise<string> {
  const posted = await api('POST', `/accounts/${env.externalId}/exports`, { documents });
  assert.equal(posted.status, 202, JSON.stringify(posted.body));
  return posted.body.exportId as string;
}

const pages = () => `${web.url}/admin/accounts/${env.accountId}/exports`;
const progressOf = async (client: WebClient, exportId: string): Promise<Rec> => {
  const r = await client.get(`${pages()}/${exportId}/progress`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  return JSON.parse(r.text) as Rec;
};

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal, {
    settings: TEST_SETTINGS,
    fetchPdf: () => Promise.resolve({ bytes: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' }),
  });
  const log = createLogger('silent');
  const port = await freePort();
  access = buildAdminAccess({
    db: env.database.db,
    log,
    secrets: {
      tokenEncryptionKey: Buffer.from(env.cipherKeyHex, 'hex'),
      sessionSecret: randomBytes(32).toString('base64url'),
    },
    publicUrl: `http://127.0.0.1:${port}`,
    identity: {
      loginUrl: env.sim.url,
      identityUrl: env.sim.url,
      apiUrl: env.sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  web = await listen(
    createApp({
      db: env.database.db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: env.taskQueue,
      // Small waves, few in flight: an export moves in visible steps.
      exportWorkflowInput: { waveSize: 4, maxInFlight: 4, pollMs: 250 },
    }),
    port,
    '127.0.0.1',
  );
  apiKey = (await createApiKey(env.database.db, env.hostAppId)).key;

  otherAccountId = (
    await env.database.db
      .insertInto('accounts')
      .values({ host_app_id: env.hostAppId, external_id: uid('other'), name: 'Other Co', options: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  otherExportId = randomUUID();
  await createExport(
    env.database.db,
    otherAccountId,
    otherExportId,
    parseExportItems([{ kind: 'quote', id: 'Q-other', approved: true, document: {} }]),
    false,
  );

  const link = await createAdminLink(env.database.db, {
    secret: access.sessionSecret,
    publicUrl: access.publicUrl,
    accountId: env.accountId,
  });
  assert.equal((await browser.get(link.url)).status, 303);
});

after(async () => {
  await web?.close();
  await env?.close();
  await temporal?.close();
});

describe('admin exports pages', () => {
  test('list, page and JSON progress with the account session only; Retry failed (CSRF) gets a fixed document into Xero; another account’s export is 404; Cancel stops the rest', async () => {
    const good = [invoiceItem(), invoiceItem(), invoiceItem()];
    const usd = invoiceItem({ currency: 'USD' }); // fails until USD is enabled in Xero
    const draft = { ...invoiceItem(), approved: false };
    const hostile = { kind: 'quote', id: '<img src=x onerror=alert(1)>', approved: true, document: {} };
    const exportId = await startExport([...good, usd, draft, hostile]);

    // No session: nothing answers.
    const stranger = new WebClient();
    for (const url of [pages(), `${pages()}/${exportId}`, `${pages()}/${exportId}/progress`])
      assert.equal((await stranger.get(url)).status, 401, url);

    // The JSON progress, until every document has an outcome.
    const settled = await eventually(
      async () => {
        const p = await progressOf(browser, exportId);
        return p.counts.pending === 0 && p.counts.failed === 1 ? p : undefined;
      },
      60_000,
      'the export to settle with one failure',
    );
    assert.equal(settled.exportId, exportId);
    assert.equal(settled.total, 6);
    assert.equal(settled.done, 6);
    assert.equal(settled.progressText, '6 of 6');
    assert.deepEqual(settled.counts, { exported: 3, refused: 2, drafts: 1, failed: 1, pending: 0, cancelled: 0 });
    assert.equal(settled.canRetry, true);
    const byId = (p: Rec, id: string) => p.items.find((i: Rec) => i.id === id) as Rec;
    for (const g of good) {
      assert.equal(byId(settled, g.id).outcomeLabel, 'In Xero');
      assert.match(byId(settled, g.id).xeroUrl, /^https:\/\/go\.xero\.com\//);
    }
    assert.equal(byId(settled, usd.id).outcome, 'failed');
    assert.match(byId(settled, usd.id).reason, /USD/);
    assert.equal(byId(settled, usd.id).xeroUrl, '');
    assert.match(byId(settled, draft.id).reason, /a draft invoice: only approved documents are exported/);
    assert.equal(byId(settled, draft.id).outcomeLabel, 'Not exported');

    // The page: bar, N of M, sentence, counts, rows, Retry shown; everything escaped.
    const done = await eventually(
      async () => {
        const p = await progressOf(browser, exportId);
        return p.status === 'completed' ? p : undefined;
      },
      30_000,
      'the export to complete',
    );
    const html = (await browser.get(`${pages()}/${exportId}`)).text;
    assert.match(html, /<progress id="export-bar" max="6" value="6">/);
    assert.match(html, /<strong id="export-progress-text">6 of 6<\/strong>/);
    assert.ok(html.includes(`<p id="export-sentence" class="export-sentence">${done.sentence}</p>`), done.sentence);
    assert.match(done.sentence, /^3 of 6 invoices have been exported to Xero; 1 draft was not exported/);
    assert.match(html, /<form method="post" action="[^"]+\/retry" id="retry-form">/, 'Retry is shown');
    assert.match(html, /id="cancel-form" hidden>/, 'no Cancel once it has finished');
    assert.match(html, /Open in Xero/);
    assert.match(html, /<script src="\/assets\/export-progress\.js" defer><\/script>/);
    assert.ok(!html.includes('<img src=x'), 'a hostile id is escaped');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    const csp = (await browser.get(`${pages()}/${exportId}`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/, 'no inline script is allowed, the page uses a static one');

    // The list and the account page link to it.
    const list = (await browser.get(pages())).text;
    assert.ok(list.includes(`href="/admin/accounts/${env.accountId}/exports/${exportId}"`));
    assert.ok(list.includes(done.sentence));
    assert.ok(
      (await browser.get(`${web.url}/admin/accounts/${env.accountId}`)).text.includes(
        `href="/admin/accounts/${env.accountId}/exports" id="exports-link"`,
      ),
    );

    // Retry without the form's CSRF token (or with a forged one) is refused and sends nothing.
    const retryUrl = `${pages()}/${exportId}/retry`;
    const noToken = await browser.post(retryUrl, {});
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /This form had expired or did not come from this page/);
    assert.equal((await browser.post(retryUrl, { _csrf: 'forged' })).status, 403);
    assert.equal((await stranger.post(retryUrl, { _csrf: csrfTokenOf(html) })).status, 401);
    assert.equal((await progressOf(browser, exportId)).counts.failed, 1);

    // Fixed in Xero, then Retry: the document goes in.
    env.sim.sim.enableCurrency(env.tenantId, 'USD', 0.6);
    const retried = await browser.post(retryUrl, { _csrf: csrfTokenOf(html) });
    assert.equal(retried.status, 303, retried.text);
    assert.equal(retried.location, `${pages()}/${exportId}?notice=export_retry_sent&n=1`);
    assert.match((await browser.get(retried.location!)).text, /Retry started for 1 failed document/);
    const fixed = await eventually(
      async () => {
        const p = await progressOf(browser, exportId);
        return p.counts.exported === 4 ? p : undefined;
      },
      30_000,
      'the retried document in Xero',
    );
    assert.equal(fixed.counts.failed, 0);
    assert.equal(fixed.canRetry, false);
    assert.match(byId(fixed, usd.id).xeroUrl, /^https:\/\/go\.xero\.com\//);
    assert.ok((env.sim.sim.invoices(env.tenantId) as Rec[]).some((i) => i.InvoiceNumber === usd.id));

    // Unknown or malformed export ids, and another account's export (even with a valid token): 404.
    const token = csrfTokenOf((await browser.get(`${pages()}/${exportId}`)).text);
    for (const id of [randomUUID(), 'not-an-export', otherExportId]) {
      const page = await browser.get(`${pages()}/${id}`);
      assert.equal(page.status, 404, id);
      assert.match(page.text, /Export not found/);
      assert.equal((await browser.get(`${pages()}/${id}/progress`)).status, 404);
      assert.equal((await browser.post(`${pages()}/${id}/retry`, { _csrf: token })).status, 404);
      assert.equal((await browser.post(`${pages()}/${id}/cancel`, { _csrf: token })).status, 404);
    }
    // Under the other account's own URL this session is refused outright.
    const foreign = `${web.url}/admin/accounts/${otherAccountId}/exports/${otherExportId}`;
    assert.equal((await browser.get(foreign)).status, 403);
    assert.equal((await browser.get(`${foreign}/progress`)).status, 403);
    assert.equal((await browser.get(`${web.url}/admin/accounts/${otherAccountId}/exports`)).status, 403);

    // Cancel export from the page: what has not been sent is not sent.
    const big = await startExport(Array.from({ length: 40 }, () => invoiceItem()));
    const bigPage = (await browser.get(`${pages()}/${big}`)).text;
    assert.match(bigPage, /<form method="post" action="[^"]+\/cancel" id="cancel-form">/, 'Cancel while it runs');
    assert.equal((await browser.post(`${pages()}/${big}/cancel`, {})).status, 403, 'Cancel needs the CSRF token');
    const cancel = await browser.post(`${pages()}/${big}/cancel`, { _csrf: csrfTokenOf(bigPage) });
    assert.equal(cancel.status, 303);
    assert.match(cancel.location!, new RegExp(`/exports/${big}\\?notice=export_cancelled&n=\\d+$`));
    const cancelled = await eventually(
      async () => {
        const p = await progressOf(browser, big);
        return p.status !== 'running' ? p : undefined;
      },
      30_000,
      'the cancelled export to finish',
    );
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.statusLabel, 'Cancelled');
    assert.ok(cancelled.counts.cancelled > 0);
    assert.equal(cancelled.counts.exported + cancelled.counts.cancelled, 40);
    assert.equal(cancelled.canCancel, false);
  });

  test('time left in words, and the day limit said plainly', () => {
    assert.equal(etaWords(0), 'Almost done');
    assert.equal(etaWords(42), 'Less than a minute left');
    assert.equal(etaWords(60), 'About 1 minute left');
    assert.equal(etaWords(25 * 60), 'About 25 minutes left');
    assert.equal(etaWords(3 * 3600 + 60), 'About 3 hours left');
    assert.equal(etaWords(3 * 86_400), 'About 3 days left');
    const view: ExportView = {
      exportId: randomUUID(),
      status: 'running',
      total: 5000,
      exported: 1000,
      refused: 0,
      drafts: 0,
      failed: 0,
      pending: 4000,
      cancelled: 0,
      etaSeconds: 90_000,
      continuesNextDay: true,
      sentence: '1,000 of 5,000 invoices have been exported to Xero; 4,000 still to go',
      createdAt: new Date().toISOString(),
      items: [{ kind: 'invoice', id: 'A-1', outcome: 'exported', xeroUrl: 'javascript:alert(1)' }],
    };
    const m = exportPageModel(view);
    assert.equal(m.progressText, '1,000 of 5,000');
    assert.equal(m.etaText, 'About 25 hours left');
    assert.equal(m.continuesNextDay, true);
    assert.equal(m.nextDayText, 'It continues tomorrow: Xero allows 5,000 calls a day.');
    assert.equal(m.items[0]!.xeroUrl, '', 'only https links');
    const finished = exportPageModel({ ...view, status: 'completed', pending: 0 });
    assert.equal(finished.etaText, '');
    assert.equal(finished.continuesNextDay, false);
    assert.equal(finished.canCancel, false);
  });
});

const skip = chromiumSkipReason();

describe('an export page in a real browser', { skip }, () => {
  test('follows a running export without reloading: the bar moves, the sentence appears, rows link to Xero', async () => {
    const chromium = await launchChromium();
    try {
      const total = 16;
      const documents = Array.from({ length: total }, () => invoiceItem());
      const exportId = await startExport(documents);
      const page = await chromium.context.newPage();
      const problems: string[] = [];
      page.on(
        'console',
        (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
      );
      page.on('pageerror', (e) => problems.push(e.message));
      let navigations = 0;
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) navigations++;
      });

      const link = await createAdminLink(env.database.db, {
        secret: access.sessionSecret,
        publicUrl: access.publicUrl,
        accountId: env.accountId,
      });
      await page.goto(link.url);
      await page.locator('#exports-link').waitFor();
      await page.goto(`${pages()}/${exportId}`);
      await page.locator('#export-bar').waitFor();
      const navigationsAtLoad = navigations;
      await page.evaluate(() => {
        (globalThis as Rec).__exportPageMarker = 'still the same page';
      });

      const shot = async (name: string) => {
        if (process.env.SCREENSHOT_DIR)
          await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, `${name}.png`), fullPage: true });
      };
      const bar = page.locator('#export-bar');
      const status = async () => (await page.locator('#export-status').innerText()).trim();
      const value = async () => bar.evaluate((b) => (b as unknown as { value: number }).value);
      assert.equal(await status(), 'Running', 'opened while the export runs');
      assert.equal(await bar.evaluate((b) => (b as unknown as { max: number }).max), total);
      assert.match(await page.locator('#export-eta-text').innerText(), /left|Almost done/);
      assert.equal(await page.locator('#cancel-form').isVisible(), true);
      const first = await value();
      assert.ok(first < total, `not finished at load (${first})`);

      // The bar moves while the export still runs …
      const seen = new Set<number>([first]);
      const movedWhileRunning = await eventually(
        async () => {
          const [v, s] = [await value(), await status()];
          seen.add(v);
          return v > first && s === 'Running' ? v : undefined;
        },
        25_000,
        'the bar to move while running',
      );
      assert.ok(movedWhileRunning > first && movedWhileRunning <= total);
      await shot('export-running');
      assert.match(await page.locator('#export-progress-text').innerText(), new RegExp(`^\\d+ of ${total}$`));

      // … until the final sentence appears, all on the same page.
      const sentence = `${total} of ${total} invoices have been exported to Xero`;
      await page.locator('#export-sentence', { hasText: new RegExp(`^${sentence}$`) }).waitFor({ timeout: 25_000 });
      // The last documents can be in Xero a moment before the export itself has finished.
      await page.locator('#export-status', { hasText: /^Finished$/ }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#export-sentence').innerText(), sentence);
      assert.equal(await value(), total);
      assert.equal(await page.locator('#export-progress-text').innerText(), `${total} of ${total}`);
      assert.equal(await status(), 'Finished');
      assert.equal(await page.locator('[data-count="exported"]').innerText(), String(total));
      assert.equal(await page.locator('[data-count="pending"]').innerText(), '0');
      assert.equal(await page.locator('#cancel-form').isVisible(), false, 'no Cancel once finished');
      assert.equal(await page.locator('#export-eta').isVisible(), false);
      assert.match(await page.locator('#export-finished').innerText(), /finished \d+ \w+ \d{4}, \d\d:\d\d UTC/);
      assert.equal(navigations, navigationsAtLoad, 'no navigation while it updated');
      assert.equal(
        await page.evaluate(() => (globalThis as Rec).__exportPageMarker),
        'still the same page',
        'never reloaded',
      );
      assert.ok(seen.size >= 2, `several values seen: ${[...seen].join(', ')}`);

      // Every row: the document, "In Xero", and its link.
      const rows = page.locator('#export-items tbody tr');
      assert.equal(await rows.count(), total);
      for (let i = 0; i < total; i++) {
        const row = rows.nth(i);
        assert.equal(await row.locator('.doc-id').innerText(), documents[i]!.id);
        assert.equal(await row.locator('.outcome').innerText(), 'In Xero');
        const a = row.getByRole('link', { name: 'Open in Xero' });
        assert.match((await a.getAttribute('href')) ?? '', /^https:\/\/go\.xero\.com\//);
      }
      await shot('export-finished');
      assert.deepEqual(problems, [], 'no console errors (a CSP refusal would show here)');
    } finally {
      await chromium.close();
    }
  });
});
