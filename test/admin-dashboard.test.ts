import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { findAccount } from '../src/access/accounts';
import { createAdminLink } from '../src/access/admin-links';
import { createApiKey, createHostApp } from '../src/access/api-keys';
import { buildAdminAccess, type AdminAccess } from '../src/access/wiring';
import { createOrderSyncClient, type OrderSyncClient } from '../src/client';
import { DEFAULT_XERO_SCOPES } from '../src/config';
import type { DatabaseHandle } from '../src/db/database';
import { createLogger } from '../src/log';
import { loadSettings } from '../src/settings/store';
import { temporalFailedSyncsUrl, temporalWorkflowUrl, temporalWorkflowsUrl } from '../src/sync-log/failures';
import { startXeroSimulator, type RunningXeroSimulator } from '../src/xero-sim/server';
import { createXeroGateway } from '../src/xero/gateway';
import { SIMULATOR_CLIENT } from '../src/xero/identity';
import { createRateLimiter } from '../src/xero/rate-limiter';
import { scopesInWords } from '../web/admin/dashboard';
import { createApp } from '../web/app';
import { orderStatus } from '../web/routes/orders';
import { listen, type RunningWebServer } from '../web/server';
import { chromiumSkipReason, launchChromium } from './support/chromium';
import { createTestDatabase } from './support/database';
import { freePort } from './support/free-port';
import { eventually, FAST_ORDER_CONFIG, sampleOrder, TEST_SETTINGS } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { WebClient } from './support/web-client';
import { connectAccountForTest } from './support/xero-connect';

/**
 * The account home as a dashboard, live: a failure retried outside the page (fixed through the API,
 * retried through the API) leaves the open page's list without a reload; the health line, the amber
 * pill, the counts, relative times, plain-words scopes, the Temporal UI's filtered list; Setup in two
 * parts with a warning naming a required field left empty; the live endpoints' session checks; the
 * engine id in the account API. SCREENSHOT_DIR keeps screenshots of the home page with failures and
 * of Setup.
 */

const UI = 'http://temporal-ui.test:8233';
const HOST_ACCOUNT = 'acct-dash';
const skipBrowser = chromiumSkipReason();

let temporal: TestTemporal;
let database: DatabaseHandle;
let sim: RunningXeroSimulator;
let access: AdminAccess;
let web: RunningWebServer;
let stopWorker: () => Promise<void>;
let client: OrderSyncClient;
let apiKey: string;
let accountId: string;
let tenantId: string;

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${web.url}/api/v1${p}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const home = () => `${web.url}/admin/accounts/${accountId}`;
const invoiceIn = (n: string) =>
  sim.sim.invoices(tenantId).find((i) => i.InvoiceNumber === n) as Record<string, unknown> | undefined;
const adminLink = async (id = accountId) =>
  (await createAdminLink(database.db, { secret: access.sessionSecret, publicUrl: access.publicUrl, accountId: id }))
    .url;

before(async () => {
  temporal = await testTemporal();
  database = await createTestDatabase();
  const { db } = database;
  sim = await startXeroSimulator();
  const log = createLogger('silent');
  const port = await freePort();
  access = buildAdminAccess({
    db,
    log,
    secrets: { tokenEncryptionKey: randomBytes(32), sessionSecret: randomBytes(32).toString('base64url') },
    publicUrl: `http://127.0.0.1:${port}`,
    identity: {
      loginUrl: sim.url,
      identityUrl: sim.url,
      apiUrl: sim.url,
      ...SIMULATOR_CLIENT,
      scopes: DEFAULT_XERO_SCOPES,
    },
  });
  const xero = createXeroGateway({ access: access.xeroAccess, limiter: createRateLimiter({ db }), apiUrl: sim.url });
  const worker = await temporal.startWorker({ db, databaseKind: database.kind, xero, orders: FAST_ORDER_CONFIG });
  stopWorker = worker.stop;
  client = createOrderSyncClient(temporal.client, { taskQueue: worker.taskQueue });
  web = await listen(
    createApp({
      db,
      temporal: temporal.client,
      log,
      access,
      taskQueue: worker.taskQueue,
      temporalUi: { url: UI, namespace: temporal.namespace },
    }),
    port,
    '127.0.0.1',
  );
  const hostApp = await createHostApp(db, { name: 'Quotes Co' });
  apiKey = (await createApiKey(db, hostApp.id)).key;
  assert.equal((await api('PUT', `/accounts/${HOST_ACCOUNT}`, { name: 'Kauri Joinery' })).status, 201);
  accountId = (await findAccount(db, hostApp.id, HOST_ACCOUNT))!.id;
  tenantId = (await connectAccountForTest({ db, cipher: access.cipher, simUrl: sim.url, accountId })).tenantId;
  assert.equal((await api('PUT', `/accounts/${HOST_ACCOUNT}/settings`, TEST_SETTINGS)).status, 200);
});

after(async () => {
  await web?.close();
  await stopWorker?.();
  await sim?.close();
  await database?.close();
  await temporal?.close();
});

describe('pure parts', () => {
  test('the Temporal UI list of failed syncs, filtered by the account', () => {
    const ui = { url: 'http://localhost:8233/', namespace: 'default' };
    assert.equal(
      temporalFailedSyncsUrl(ui, 'a1b2'),
      `http://localhost:8233/namespaces/default/workflows?query=${encodeURIComponent('SyncStatus="Failed" AND AccountId="a1b2"')}`,
    );
    assert.equal(
      temporalFailedSyncsUrl(ui),
      'http://localhost:8233/namespaces/default/workflows?query=SyncStatus%3D%22Failed%22',
    );
    assert.equal(temporalWorkflowsUrl(ui), 'http://localhost:8233/namespaces/default/workflows');
    assert.equal(
      temporalWorkflowUrl(ui, 'order:a:1/2'),
      'http://localhost:8233/namespaces/default/workflows/order%3Aa%3A1%2F2',
    );
    // A quote in an id cannot end the query's string early.
    assert.ok(!decodeURIComponent(temporalFailedSyncsUrl(ui, 'x" OR "1')).includes('x" OR'));
  });

  test('scopes in plain words', () => {
    assert.equal(scopesInWords(DEFAULT_XERO_SCOPES), 'invoices, payments, contacts, settings, attachments');
    assert.equal(scopesInWords('openid offline_access'), 'sign-in only');
    assert.equal(scopesInWords('accounting.contacts.read'), 'contacts (read only)');
  });

  test("an order's status: one vocabulary with sync.status", () => {
    const view = (status: 'pending' | 'synced' | 'failed' | 'closed' | 'skipped') =>
      ({ status }) as Parameters<typeof orderStatus>[1];
    assert.equal(orderStatus('syncing', view('synced')), 'synced');
    assert.equal(orderStatus('syncing', view('failed')), 'failed');
    assert.equal(orderStatus('syncing', null), 'pending');
    assert.equal(orderStatus('cancelled', null), 'closed');
    assert.equal(orderStatus('cancelled', view('closed')), 'closed');
    assert.equal(orderStatus('skipped', null), 'skipped');
  });
});

describe('over HTTP', () => {
  test('the account API gives the engine id (Temporal’s AccountId)', async () => {
    const r = await api('GET', `/accounts/${HOST_ACCOUNT}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.engineId, accountId);
    assert.equal(r.body.accountId, HOST_ACCOUNT);
  });

  test('the live endpoints need a session for that very account', async () => {
    const anonymous = new WebClient();
    for (const p of ['/live', '/sync-log/head?after=0', '/contacts/import-progress']) {
      const r = await anonymous.get(`${home()}${p}`);
      assert.equal(r.status, 401, p);
      assert.doesNotMatch(r.text, /"failures"|"entries"/);
    }
    assert.equal((await api('PUT', '/accounts/acct-other', { name: 'Other Ltd' })).status, 201);
    const other = (await findAccount(database.db, (await hostAppIdOf())!, 'acct-other'))!.id;
    const otherBrowser = new WebClient();
    assert.equal((await otherBrowser.get(await adminLink(other))).status, 303);
    for (const p of ['/live', '/sync-log/head?after=0'])
      assert.equal((await otherBrowser.get(`${home()}${p}`)).status, 403, p);

    const mine = new WebClient();
    assert.equal((await mine.get(await adminLink())).status, 303);
    const live = await mine.get(`${home()}/live`);
    assert.equal(live.status, 200);
    assert.match(live.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(live.headers.get('cache-control'), 'no-store');
    const body = JSON.parse(live.text);
    assert.equal(typeof body.failures.count, 'number');
    assert.match(body.failures.html, /<section class="card" id="failures"/);
    assert.match(body.health.html, /id="health"/);
    assert.match(body.recent.html, /id="recent"/);
    assert.ok('label' in body.import);
    const head = await mine.get(`${home()}/sync-log/head?after=0&outcome=bogus`);
    assert.equal(head.status, 400);
    assert.equal((await mine.get(`${home()}/sync-log/head?after=0`)).status, 200);
  });
});

async function hostAppIdOf(): Promise<string | undefined> {
  const row = await database.db
    .selectFrom('accounts')
    .select('host_app_id')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row?.host_app_id;
}

describe('in a real browser', { skip: skipBrowser }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  const problems: string[] = [];
  const shot = async (page: Page, name: string) => {
    if (process.env.SCREENSHOT_DIR)
      await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  };
  const watch = (page: Page) => {
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
    );
    page.on('pageerror', (e) => problems.push(e.message));
    return page;
  };

  before(async () => {
    browser = await launchChromium();
    context = browser.context;
  });
  after(async () => {
    await browser?.close();
  });

  test('a failure retried outside the page leaves the open page without a reload; the dashboard around it', async () => {
    sim.sim.setStatus(tenantId, { accountCode: '200' }, 'ARCHIVED');
    const order = sampleOrder();
    const { workflowId } = await client.startOrderSync(accountId, { order, convertedAt: new Date().toISOString() });
    await eventually(
      async () =>
        (await api('GET', `/accounts/${HOST_ACCOUNT}/failures`)).body.failures.length === 1 ? true : undefined,
      30_000,
      'the failure recorded',
    );

    const page = watch(await context.newPage());
    await page.goto(await adminLink());
    await page.locator('#failures li.failure').first().waitFor();

    // The health line: organisation, amber state, one open failure, Xero calls used.
    const health = page.locator('#health');
    assert.match(await health.innerText(), /Demo Company/);
    assert.equal(await page.locator('#health-failures').innerText(), '1 open failure');
    assert.match(await page.locator('#health-calls').innerText(), /Xero calls, last 24 h: [1-9]\d* of 5,000/);
    assert.match(await page.locator('#health-last-sync').innerText(), /Last successful sync: /);
    assert.match((await page.locator('#connection-pill').getAttribute('class')) ?? '', /\battention\b/);
    assert.equal(await page.locator('#tab-failures-count').innerText(), '1');
    assert.equal(await page.locator('#failures-count').innerText(), '1');
    assert.equal(await page.locator('#scopes').innerText(), 'invoices, payments, contacts, settings, attachments');
    assert.equal(
      await page.locator('#temporal-failed').getAttribute('href'),
      `${UI}/namespaces/default/workflows?query=${encodeURIComponent(`SyncStatus="Failed" AND AccountId="${accountId}"`)}`,
    );
    assert.equal(
      await page.locator('#failures .actions a', { hasText: 'Open in Temporal' }).first().getAttribute('href'),
      `${UI}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
    );
    // Times in the viewer's zone, relative; the UTC fallback stays in the HTML for readers without scripts.
    const when = page.locator('#failures time[data-local]').first();
    await page.locator('#failures time[data-formatted="relative"]').first().waitFor();
    assert.match(await when.innerText(), /ago|now|second/);
    assert.ok(((await when.getAttribute('title')) ?? '').length > 0, 'the full local time as its tooltip');
    assert.match((await when.getAttribute('datetime')) ?? '', /^\d{4}-\d\d-\d\dT/);
    await shot(page, 'home-with-failures');

    // The sync log page, open in another tab, gets new entries at its head too.
    const log = watch(await context.newPage());
    await log.goto(`${home()}/sync-log`);
    const rowsBefore = await log.locator('#sync-log tbody tr').count();

    // Outside the page: fix setup and retry through the host API.
    await page.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));
    assert.equal((await api('PATCH', `/accounts/${HOST_ACCOUNT}/settings`, { revenueAccountCode: '260' })).status, 200);
    const retry = await api('POST', `/accounts/${HOST_ACCOUNT}/orders/${order.number}/retry`, {});
    assert.ok([200, 202].includes(retry.status), `${retry.status} ${JSON.stringify(retry.body)}`);

    await page.locator('#no-failures').waitFor({ timeout: 30_000 });
    assert.ok(invoiceIn(order.number), 'the invoice is in Xero');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere),
      true,
      'the list changed without a reload',
    );
    assert.ok(await page.locator('#tab-failures-count').isHidden());
    await page.locator('#connection-pill.active').waitFor();
    assert.equal(await page.locator('#health-failures').innerText(), 'No open failures');
    // The latest syncs, each synced document with its link into Xero.
    const xeroLink = page.locator('#recent a.xero-link').first();
    await xeroLink.waitFor({ timeout: 10_000 });
    assert.match((await xeroLink.getAttribute('href')) ?? '', /^https:\/\/go\.xero\.com\//);

    await log.locator(`#sync-log tbody tr:nth-child(${rowsBefore + 1})`).waitFor({ timeout: 15_000 });
    assert.ok((await log.locator('#sync-log tbody tr[data-live="new"] a.xero-link').count()) >= 1);
    assert.match(await log.locator('#sync-log tbody tr time[data-local]').first().innerText(), /ago|now|second/);
    await log.close();
    await page.close();
    sim.sim.setStatus(tenantId, { accountCode: '200' }, 'ACTIVE');
    assert.deepEqual(problems, [], 'no console errors (a CSP refusal would show here)');
  });

  test('Import Xero customers: the N of M appears without a reload', async () => {
    const page = watch(await context.newPage());
    await page.goto(await adminLink());
    await page.getByRole('button', { name: /Import Xero customers/ }).click();
    await page.locator('#notice', { hasText: 'Import of your Xero contacts started' }).waitFor();
    await page.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));
    await page.locator('#import-progress', { hasText: /\d+ of \d+ contacts/ }).waitFor({ timeout: 30_000 });
    await page.locator('#import-progress', { hasText: /^Imported \d+ of \d+ contacts/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere), true);
    assert.ok(await page.locator('#import-contacts').isEnabled());
    await page.close();
    assert.deepEqual(problems, []);
  });

  test('Setup: the required part first, Advanced folded; a required field left empty is saved with a warning naming it', async () => {
    const page = watch(await context.newPage());
    await page.goto(await adminLink());
    await page.goto(`${home()}/setup`);
    assert.equal((await page.locator('form h2').allInnerTexts())[0], 'What every account needs');
    for (const label of ['Sales account', 'Default tax rate', 'Bank account for payments'])
      assert.ok(await page.getByLabel(label).isVisible(), label);
    assert.ok(await page.getByRole('group', { name: 'Status of new invoices in Xero' }).isVisible());
    assert.equal(await page.locator('details#advanced').getAttribute('open'), null);
    assert.ok(await page.getByLabel('Tracking category').isHidden());
    assert.equal(await page.locator('#missing-warning').count(), 0);
    await shot(page, 'setup');

    await page.getByLabel('Sales account').selectOption('');
    await page.getByRole('button', { name: 'Save setup' }).click();
    await page.locator('#notice', { hasText: 'Setup saved' }).waitFor();
    const warning = page.locator('#missing-warning');
    assert.match(
      await warning.innerText(),
      /Saved, but syncing waits for Setup\.\s+Invoices will not sync until you choose Sales account\./,
    );
    assert.equal(
      await warning.getByRole('link', { name: 'Sales account' }).getAttribute('href'),
      '#revenueAccountCode',
    );
    await shot(page, 'setup-missing-warning');
    assert.equal((await loadSettings(database.db, accountId)).revenueAccountCode, undefined, 'saved as sent');

    await page.goto(home());
    assert.match(await page.locator('#health-waits').innerText(), /Syncing waits for Setup: choose the sales account/);
    assert.match((await page.locator('#connection-pill').getAttribute('class')) ?? '', /\bactive\b/);
    assert.match(await page.locator('#health-state').innerText(), /setup incomplete/);
    await page.close();
    assert.equal((await api('PATCH', `/accounts/${HOST_ACCOUNT}/settings`, { revenueAccountCode: '260' })).status, 200);
    assert.deepEqual(problems, []);
  });
});
