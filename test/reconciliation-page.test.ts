import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_SETTINGS } from '../src/domain/settings';
import { loadSettings } from '../src/settings/store';
import {
  settingsFromValues,
  valuesFromBody,
  valuesFromSettings,
  type SetupFormValues,
} from '../web/admin/settings-form';
import { chromiumSkipReason, launchChromium } from './support/chromium';
import { eventually } from './support/orders';
import {
  changedInXero,
  driftsOf,
  otherAccount,
  seedDrift,
  simInvoice,
  startReconciliationApp,
  type ReconciliationTestApp,
} from './support/reconciliation';
import { testTemporal, type TestTemporal } from './support/temporal';
import { csrfTokenOf, WebClient } from './support/web-client';

/**
 * The admin's Reconciliation page: the documents whose Xero copy differs, what differs in plain
 * words, when and how it was seen, three actions per document (CSRF-protected forms, redirect with a
 * notice), "Reconcile now", the last and next run, resolved drifts below; hostile text rendered as
 * text; the tab's open count on every page; only the account's own session. Then Setup's "Changes
 * made in Xero" section saved and shown again, and in Chromium the three actions clicked on real
 * documents changed in Xero (SCREENSHOT_DIR keeps screenshots).
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let app: ReconciliationTestApp;
let browser: WebClient;
const page = () => `${app.web.url}/admin/accounts/${app.env.accountId}/reconciliation`;

const HOSTILE_ID = `<script>alert("id")</script> "quoted" 'single' 🧾`;
const HOSTILE_REFERENCE = `</td><img src=x onerror=alert(1)> “ref” 💸`;

before(async () => {
  temporal = await testTemporal();
  app = await startReconciliationApp(temporal);
  browser = await app.signIn();
});

after(async () => {
  await app?.close();
  await temporal?.close();
});

/** What a browser posts for these Setup values (as test/settings-form.test.ts does). */
function setupBody(v: SetupFormValues, csrf: string): Record<string, string | string[]> {
  const body: Record<string, string | string[]> = { _csrf: csrf };
  for (const [key, value] of Object.entries(v)) {
    if (key === 'costCentres') continue;
    if (typeof value === 'boolean') {
      if (value) body[key] = 'on';
    } else body[key] = value as string | string[];
  }
  body.cc_name = v.costCentres.map((r) => r.name);
  body.cc_option = v.costCentres.map((r) => r.option);
  return body;
}

describe('Reconciliation page', () => {
  test('lists differences in plain words with three actions each, the runs, resolved ones below; hostile text is text', async () => {
    const { db } = app.env.database;
    const accountId = app.env.accountId;
    const hostile = await seedDrift(db, {
      accountId,
      hostId: HOSTILE_ID,
      xeroNumber: `INV "${'<b>'}" 🧾`,
      via: 'webhook',
      changes: {
        fields: [
          { field: 'total', ours: 161, xeros: 150 },
          { field: 'reference', ours: 'PO-1', xeros: HOSTILE_REFERENCE },
        ],
      },
    });
    const bill = await seedDrift(db, {
      accountId,
      kind: 'bill',
      hostId: 'B-7',
      changes: {
        fields: [
          { field: 'status', ours: 'AUTHORISED', xeros: 'VOIDED' },
          { field: 'lines[1].unitAmount', ours: 95, xeros: 80 },
        ],
        closedInXero: { status: 'VOIDED', at: '2026-03-04T10:00:00Z' },
        paymentsInXero: [{ paymentId: randomUUID(), amount: 50, date: '2026-03-05', accountCode: '090' }],
      },
    });
    const done = await seedDrift(db, {
      accountId,
      hostId: 'R-1',
      changes: { fields: [{ field: 'dueDate', ours: '2026-04-01', xeros: '2026-04-15' }] },
      status: 'resolved',
      resolution: 'accepted_xero',
    });
    const sibling = await otherAccount(db, app.env.hostAppId);
    const siblingDrift = await seedDrift(db, {
      accountId: sibling.id,
      hostId: 'NOT-MINE',
      changes: { fields: [{ field: 'total', ours: 1, xeros: 2 }] },
    });

    const res = await browser.get(page());
    assert.equal(res.status, 200, res.text);
    const html = res.text;
    // Escaped by the template engine: the markup never reaches the page as markup.
    assert.ok(!html.includes('<script>alert'), 'a hostile document id is escaped');
    assert.ok(!html.includes('<img src=x'), 'a hostile value is escaped');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;'));
    assert.ok(html.includes('🧾') && html.includes('💸'), 'emoji shown as they are');
    assert.ok(!html.includes('NOT-MINE'), 'another account’s drift is not listed');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.ok(
      !/<script>(?!<\/script>)/.test(html.replace(/<script src="[^"]+" defer><\/script>/g, '')),
      'no inline script',
    );

    // Rows, words, when and how, and three forms per open row.
    const row = (id: string) => {
      const m = new RegExp(`<tr class="drift[^"]*" data-drift="${id}">([\\s\\S]*?)</tr>`).exec(html);
      assert.ok(m, `row ${id}`);
      return m[1]!;
    };
    assert.match(row(hostile), /Total 161\.00 → 150\.00/);
    assert.match(row(hostile), /via Xero&#39;s notification|via Xero's notification/);
    assert.match(row(bill), /Bill B-7/);
    assert.match(row(bill), /Voided in Xero on 2026-03-04/);
    assert.match(row(bill), /Status AUTHORISED → VOIDED/);
    assert.match(row(bill), /Line 2 unit amount 95\.00 → 80\.00/);
    assert.match(row(bill), /Payment 50\.00 received in Xero on 2026-03-05 to account 090/);
    assert.match(row(bill), /via scheduled reconciliation/);
    assert.match(row(bill), /<time datetime="\d{4}-\d\d-\d\dT[^"]+" data-local>/);
    for (const id of [hostile, bill]) {
      for (const label of ['Send our version again', "Accept Xero(&#39;|’|')s", 'Ignore'])
        assert.match(row(id), new RegExp(`<button[^>]*>${label}</button>`), `${label} on ${id}`);
      assert.equal((row(id).match(/name="_csrf"/g) ?? []).length, 3);
      assert.ok(row(id).includes(`action="/admin/accounts/${accountId}/reconciliation/${id}/actions"`));
    }
    assert.match(html, /id="open-count">2</);
    assert.match(row(done), /Xero(&#39;|')s version accepted/);
    assert.ok(!row(done).includes('<button'), 'no actions on a resolved drift');
    assert.match(html, /id="reconcile-now"/);
    assert.match(html, /id="last-run">Not run yet</);
    assert.match(html, /id="next-run">/);

    // The tab and its count, on this page and the others.
    assert.match(
      html,
      /id="tab-reconciliation" aria-current="page">Reconciliation <span class="count open"[^>]*>2<\/span>/,
    );
    const home = (await browser.get(`${app.web.url}/admin/accounts/${accountId}`)).text;
    assert.match(home, /id="tab-reconciliation">Reconciliation <span class="count open"[^>]*>2<\/span>/);

    // Only the account's own session; another account's drift is 404; forms need their token.
    assert.equal((await new WebClient().get(page())).status, 401);
    assert.equal((await browser.get(`${app.web.url}/admin/accounts/${sibling.id}/reconciliation`)).status, 403);
    const token = csrfTokenOf(html);
    const noToken = await browser.post(`${page()}/${bill}/actions`, { action: 'ignore' });
    assert.equal(noToken.status, 403);
    const foreign = await browser.post(`${page()}/${siblingDrift}/actions`, { _csrf: token, action: 'ignore' });
    assert.equal(foreign.status, 404);
    assert.match(foreign.text, /Difference not found/);
    const unknownAction = await browser.post(`${page()}/${bill}/actions`, { _csrf: token, action: 'delete' });
    assert.equal(unknownAction.status, 400);
    // A resolved drift: nothing is sent, the notice says so.
    const twice = await browser.post(`${page()}/${done}/actions`, { _csrf: token, action: 'ignore' });
    assert.equal(twice.status, 303);
    assert.equal(twice.location, `${page()}?notice=drift_resolved&drift=${done}`);
    assert.match((await browser.get(twice.location!)).text, /Order R-1 was already resolved; nothing was changed\./);

    // Resolved only, as a filter.
    const resolvedOnly = (await browser.get(`${page()}?status=resolved`)).text;
    assert.ok(resolvedOnly.includes(`data-drift="${done}"`));
    assert.ok(!resolvedOnly.includes(`data-drift="${bill}"`));

    // Reconcile now: post-redirect-get with a notice.
    const run = await browser.post(`${page()}/run`, { _csrf: token });
    assert.equal(run.status, 303);
    assert.match(run.location!, /\?notice=reconcile_(started|running)$/);
    assert.match((await browser.get(run.location!)).text, /Reconciliation started|already running/);

    await db.deleteFrom('xero_drift').where('id', 'in', [hostile, bill, done, siblingDrift]).execute();
  });

  test('Setup: "Changes made in Xero" with its three settings and help, saved and shown again; errors name the field', async () => {
    const setupUrl = `${app.web.url}/admin/accounts/${app.env.accountId}/setup`;
    const form = await browser.get(setupUrl);
    assert.equal(form.status, 200, form.text);
    const section = /<section class="card" id="changes-in-xero">([\s\S]*?)<\/section>/.exec(form.text)?.[1] ?? '';
    assert.match(section, /<h2>Changes made in Xero<\/h2>/);
    assert.match(section, /When your app revises a document an accountant changed in Xero/);
    assert.match(section, /value="hold" checked> <span>Hold and report/);
    assert.match(section, /Your app(&#39;|')s version wins/);
    assert.match(section, /When your app revises a document voided or deleted in Xero/);
    assert.match(section, /value="fail" checked> <span>Fail and explain/);
    assert.match(section, /Create it again in Xero/);
    assert.match(section, /Reconcile with Xero every/);
    assert.match(section, /name="reconciliationIntervalHours" value="24"/);

    const current = valuesFromSettings(await loadSettings(app.env.database.db, app.env.accountId));
    const token = csrfTokenOf(form.text);
    const saved = await browser.post(
      setupUrl,
      setupBody(
        { ...current, xeroChangeWins: 'host', voidedInXero: 'recreate', reconciliationIntervalHours: '6' },
        token,
      ),
    );
    assert.equal(saved.status, 303, saved.text.slice(0, 2000));
    const settings = await loadSettings(app.env.database.db, app.env.accountId);
    assert.equal(settings.xeroChangeWins, 'host');
    assert.equal(settings.voidedInXero, 'recreate');
    assert.equal(settings.reconciliationIntervalHours, 6);
    const again = (await browser.get(setupUrl)).text;
    assert.match(again, /value="host" checked/);
    assert.match(again, /value="recreate" checked/);
    assert.match(again, /name="reconciliationIntervalHours" value="6"/);

    const invalid = await browser.post(
      setupUrl,
      setupBody({ ...valuesFromSettings(settings), reconciliationIntervalHours: '0', xeroChangeWins: 'xero' }, token),
    );
    assert.equal(invalid.status, 422);
    assert.match(invalid.text, /Reconcile with Xero every<\/a>: must be at least 1/);
    assert.match(invalid.text, /When your app revises a document changed in Xero<\/a>: choose one of: hold, host/);
    assert.match(invalid.text, /id="reconciliationIntervalHours-error">must be at least 1</);
    assert.equal((await loadSettings(app.env.database.db, app.env.accountId)).reconciliationIntervalHours, 6);

    // Without a server: the defaults round-trip, a form from before these settings holds the defaults.
    const d = settingsFromValues(valuesFromSettings(DEFAULT_SETTINGS));
    assert.ok(d.ok);
    assert.deepEqual(
      [d.settings.xeroChangeWins, d.settings.voidedInXero, d.settings.reconciliationIntervalHours],
      ['hold', 'fail', 24],
    );
    const old = setupBody(valuesFromSettings(DEFAULT_SETTINGS), 't');
    delete old.xeroChangeWins;
    delete old.voidedInXero;
    delete old.reconciliationIntervalHours;
    const parsedOld = settingsFromValues(valuesFromBody(old));
    assert.ok(parsedOld.ok);
    assert.equal(parsedOld.settings.reconciliationIntervalHours, 24);
    const words = settingsFromValues({ ...valuesFromSettings(DEFAULT_SETTINGS), reconciliationIntervalHours: 'daily' });
    assert.ok(!words.ok);
    assert.equal(words.errors.reconciliationIntervalHours, 'enter a whole number');
    const big = settingsFromValues({ ...valuesFromSettings(DEFAULT_SETTINGS), reconciliationIntervalHours: '169' });
    assert.ok(!big.ok);
    assert.equal(big.errors.reconciliationIntervalHours, 'must be at most 168');

    await app.env.setSettings({
      ...JSON.parse(JSON.stringify(settings)),
      xeroChangeWins: 'hold',
      voidedInXero: 'fail',
    });
  });
});

const skip = chromiumSkipReason();

describe('the Reconciliation page in a real browser', { skip }, () => {
  /**
   * Three invoices synced, then changed by an accountant in Xero; their drifts recorded by the
   * document side from Xero's copies. Each button clicked once.
   */
  test('opens with the drifts, clicks each action and sees what happened', async () => {
    const { env } = app;
    const { db } = env.database;
    const docs = await changedInXero(env, 3);

    const chromium = await launchChromium();
    try {
      const tab = await chromium.context.newPage();
      const problems: string[] = [];
      tab.on(
        'console',
        (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()),
      );
      tab.on('pageerror', (e) => problems.push(e.message));
      tab.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      const shot = async (name: string) => {
        if (process.env.SCREENSHOT_DIR)
          await tab.screenshot({ path: path.join(process.env.SCREENSHOT_DIR, `${name}.png`), fullPage: true });
      };
      await tab.goto(await app.adminLink());
      await tab.goto(page());
      // "Reconcile now" from the page (a scheduled run may already be going: either notice will do).
      await tab.getByRole('button', { name: 'Reconcile now' }).click();
      await tab.locator('#notice').waitFor();
      assert.match(await tab.locator('#notice').innerText(), /Reconciliation started|already running/);
      const driftIds = await driftsOf(env, docs);
      // A hostile row beside them, rendered as text and never run.
      const hostile = await seedDrift(db, {
        accountId: env.accountId,
        hostId: HOSTILE_ID,
        changes: { fields: [{ field: 'reference', ours: 'PO-1', xeros: HOSTILE_REFERENCE }] },
      });

      await tab.goto(page());
      const rowOf = (id: string) => tab.locator(`tr[data-drift="${id}"]`);
      await rowOf(driftIds[0]!).waitFor();
      assert.equal(await rowOf(hostile).locator('.doc-label').innerText(), `Order ${HOSTILE_ID}`);
      assert.match(
        await rowOf(hostile).locator('.changes').innerText(),
        /Reference PO-1 → <\/td><img src=x onerror=alert\(1\)> “ref” 💸/,
      );
      assert.equal(await tab.locator('img[src="x"]').count(), 0);
      for (const [i, d] of docs.entries()) {
        const text = await rowOf(driftIds[i]!).innerText();
        assert.match(text, new RegExp(`Order ${d.number}`));
        assert.match(text, /Line 1 unit amount/);
        assert.match(text, /Total/);
      }
      assert.match(await tab.locator('#tab-reconciliation-count').innerText(), /^\d+$/);
      await shot('reconciliation-open');

      const clicks = [
        {
          button: 'Send our version again',
          notice: /our version (is being|was) sent to Xero again/,
          resolution: 'Our version sent again',
        },
        { button: "Accept Xero's", notice: /Xero's version is accepted/, resolution: "Xero's version accepted" },
        { button: 'Ignore', notice: /ignored\. Xero keeps its version/, resolution: 'Ignored' },
      ];
      for (const [i, c] of clicks.entries()) {
        await rowOf(driftIds[i]!).getByRole('button', { name: c.button }).click();
        await tab.locator('#notice').waitFor();
        const notice = await tab.locator('#notice').innerText();
        assert.ok(notice.includes(`Order ${docs[i]!.number}`), notice);
        assert.match(notice, c.notice);
        // Resolved (send_ours once Xero has our version): the row moves to the resolved list.
        await eventually(
          async () => {
            await tab.goto(page());
            const resolvedRow = tab.locator(`#resolved tr[data-drift="${driftIds[i]}"]`);
            return (
              (await resolvedRow.count()) === 1 &&
              (await resolvedRow.locator('.resolution-words').innerText()) === c.resolution
            );
          },
          30_000,
          `${c.button} resolved`,
        );
      }
      await shot('reconciliation-after-actions');
      // Resolved as sent means Xero has our version again; the others keep the accountant's.
      const inv = simInvoice(env, docs[0]!.invoiceId)!;
      assert.equal((inv.LineItems as Rec[])[0]!.UnitAmount, docs[0]!.ourUnit, 'our version back in Xero');
      assert.equal(inv.Total, docs[0]!.ours.Total);
      for (const d of docs.slice(1))
        assert.equal((simInvoice(env, d.invoiceId)!.LineItems as Rec[])[0]!.UnitAmount, d.ourUnit + 40);
      // The tab's count follows: only the hostile row is left open.
      assert.equal(await tab.locator('#tab-reconciliation-count').innerText(), '1');
      assert.deepEqual(
        problems,
        [],
        'no console errors, no dialogs (a CSP refusal or injected script would show here)',
      );
      await db.deleteFrom('xero_drift').where('id', '=', hostile).execute();
    } finally {
      await chromium.close();
    }
  });
});
