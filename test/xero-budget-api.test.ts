import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createAdminLink } from '../src/access/admin-links';
import { createApiKey, createHostApp } from '../src/access/api-keys';
import { ESTIMATED_CALLS_PER_DOCUMENT, xeroBudgetResponse } from '../src/xero/budget';
import { chromiumSkipReason, launchChromium } from './support/chromium';
import { startOrderApi, type OrderApi } from './support/order-api';
import { eventually, orderTestEnv, sampleOrder, type OrderTestEnv } from './support/orders';
import { testTemporal, type TestTemporal } from './support/temporal';
import { WebClient } from './support/web-client';

/**
 * The Xero budget through the API and on the account page, on a real dev server, PostgreSQL and the
 * simulator: the calls counted after a known number of Xero calls (the simulator's own log agrees),
 * documents waiting while Xero answers 503 and gone once it recovers, a failed document and an export's
 * queued items, another host app's key and another account, and the panel on the page (live).
 * SCREENSHOT_DIR keeps a screenshot of the panel.
 */

let temporal: TestTemporal;
let env: OrderTestEnv;
let http: OrderApi;

before(async () => {
  temporal = await testTemporal();
  env = await orderTestEnv(temporal);
  http = await startOrderApi(env, temporal.client);
});
after(async () => {
  await http?.close();
  await env?.close();
  await temporal?.close();
});

const budgetPath = () => `/accounts/${env.externalId}/xero-budget`;
const budget = async () => {
  const r = await http.api('GET', budgetPath());
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return xeroBudgetResponse.parse(r.body);
};
const accountingCalls = () => env.sim.sim.requestLog({ tenantId: env.tenantId }).length;
/** Xero reads through the engine's gateway: each takes a limiter permit, as every engine call does. */
async function xeroReads(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await env.xero.call(env.accountId, (api, t) => api.getCurrencies(t));
}

describe('GET /api/v1/accounts/{accountId}/xero-budget', () => {
  test('calls in the last minute and day after a known number of Xero calls, against the limits', async () => {
    const before = await budget();
    const simBefore = accountingCalls();
    await xeroReads(7);
    const after = await budget();
    assert.equal(accountingCalls() - simBefore, 7, 'the simulator answered 7 calls');
    assert.equal(after.minute.used - before.minute.used, 7);
    assert.equal(after.day.used - before.day.used, 7);
    // Xero's own limits (the web process's XERO_RATE_* defaults), whatever the test's worker allows itself.
    assert.deepEqual(
      { minute: after.minute.limit, day: after.day.limit, concurrent: after.concurrent.limit },
      { minute: 60, day: 5_000, concurrent: 5 },
    );
    assert.equal(after.minute.remaining, 60 - after.minute.used);
    assert.equal(after.day.remaining, 5_000 - after.day.used);
    assert.equal(after.concurrent.inFlight, 0);
    assert.equal(after.blocked, null);
    assert.equal(after.connection, 'active');
    assert.equal(after.organisation, 'Demo Company (NZ)');
    assert.equal(after.accountId, env.externalId);
    assert.deepEqual(after.queue, {
      documents: 0,
      exportDocuments: 0,
      estimatedCalls: 0,
      callsPerDocument: ESTIMATED_CALLS_PER_DOCUMENT,
    });
    assert.deepEqual(after.eta, {
      seconds: 0,
      doneAt: null,
      limitedBy: 'none',
      words: 'nothing waiting',
      timeZone: 'UTC',
    });
  });

  test("Xero's Retry-After shows as blocked until", async () => {
    const until = await env.database.db
      .insertInto('xero_rate_limits')
      .values({ tenant_id: env.tenantId, blocked_until: new Date(Date.now() + 120_000), block_reason: 'minute' })
      .onConflict((oc) =>
        oc.column('tenant_id').doUpdateSet({ blocked_until: new Date(Date.now() + 120_000), block_reason: 'minute' }),
      )
      .returning('blocked_until')
      .executeTakeFirstOrThrow();
    try {
      const b = await budget();
      assert.equal(b.blocked?.until, until.blocked_until!.toISOString());
      assert.equal(b.blocked?.reason, 'minute');
    } finally {
      await env.database.db
        .updateTable('xero_rate_limits')
        .set({ blocked_until: null })
        .where('tenant_id', '=', env.tenantId)
        .execute();
    }
  });

  test('documents waiting for Xero: counted while Xero answers 503, gone once they are in Xero', async () => {
    const fault = env.sim.sim.addFault({ path: '/Invoices*', status: 503, tenantId: env.tenantId });
    const orders = [sampleOrder(), sampleOrder(), sampleOrder()];
    try {
      for (const order of orders)
        assert.equal((await http.api('POST', `/accounts/${env.externalId}/orders`, { order })).status, 202);
      // Two documents of a bulk export not yet handed to their workflow wait too.
      const exportId = randomUUID();
      await env.database.db
        .insertInto('exports')
        .values({ id: exportId, account_id: env.accountId, total: 3 })
        .execute();
      await env.database.db
        .insertInto('export_items')
        .values([
          {
            export_id: exportId,
            seq: 0,
            kind: 'invoice',
            host_id: 'EXP-1',
            event: null,
            state: 'queued',
            reason: null,
          },
          { export_id: exportId, seq: 1, kind: 'bill', host_id: 'EXP-B', event: null, state: 'queued', reason: null },
          {
            export_id: exportId,
            seq: 2,
            kind: 'invoice',
            host_id: 'EXP-2',
            event: null,
            state: 'refused',
            reason: 'x',
          },
        ])
        .execute();
      const waiting = await eventually(async () => {
        const b = await budget();
        return b.queue.documents === 5 ? b : undefined;
      }, 20_000);
      assert.equal(waiting.queue.exportDocuments, 2);
      assert.equal(waiting.queue.estimatedCalls, Math.ceil(5 * ESTIMATED_CALLS_PER_DOCUMENT));
      assert.equal(waiting.eta.words, 'in less than a minute');
      assert.ok(waiting.eta.doneAt, 'a finish time');
      assert.ok(['none', 'minute'].includes(waiting.eta.limitedBy));
      await env.database.db.updateTable('exports').set({ status: 'completed' }).where('id', '=', exportId).execute();
    } finally {
      env.sim.sim.removeFault(fault.id);
    }
    const drained = await eventually(async () => {
      const b = await budget();
      return b.queue.documents === 0 ? b : undefined;
    }, 30_000);
    assert.equal(drained.eta.words, 'nothing waiting');
    for (const o of orders) assert.ok(env.sim.sim.invoices(env.tenantId).some((i) => i.InvoiceNumber === o.number));
  });

  test('a document held by a failure waits for a retry, not for Xero: not counted', async () => {
    const order = sampleOrder({ currency: 'USD' });
    assert.equal((await http.api('POST', `/accounts/${env.externalId}/orders`, { order })).status, 202);
    await eventually(
      async () =>
        (await env.database.db
          .selectFrom('sync_log')
          .select('id')
          .where('account_id', '=', env.accountId)
          .where('host_ref', '=', order.number)
          .where('outcome', '=', 'failure')
          .executeTakeFirst()) ?? undefined,
      30_000,
      'the failure logged',
    );
    assert.equal((await budget()).queue.documents, 0);
  });

  test('one host app never sees another’s account; another account sees only its own organisation', async () => {
    const otherApp = await createHostApp(env.database.db, { name: 'Other Co' });
    const otherKey = (await createApiKey(env.database.db, otherApp.id)).key;
    const foreign = await http.api('GET', budgetPath(), undefined, { authorization: `Bearer ${otherKey}` });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error, 'account_not_found');
    assert.doesNotMatch(JSON.stringify(foreign.body), /minute|Demo Company/);

    const anonymous = await fetch(`${http.web.url}/api/v1${budgetPath()}`);
    assert.equal(anonymous.status, 401);

    // The same host app's other account, not connected: none of the first one's calls or documents.
    const other = `acct-${randomUUID().slice(0, 8)}`;
    assert.equal((await http.api('PUT', `/accounts/${other}`, { name: 'Rimu Roofing' })).status, 201);
    const theirs = await http.api('GET', `/accounts/${other}/xero-budget`);
    assert.equal(theirs.status, 200);
    const b = xeroBudgetResponse.parse(theirs.body);
    assert.equal(b.connection, 'not_connected');
    assert.equal(b.organisation, null);
    assert.equal(b.minute.used, 0);
    assert.equal(b.day.used, 0);
    assert.equal(b.queue.documents, 0);
    assert.ok((await budget()).day.used > 0, 'the first account’s calls are still its own');
  });
});

describe('the account page’s Xero budget panel', () => {
  const signIn = async (client: WebClient) => {
    const link = await createAdminLink(env.database.db, {
      secret: http.access.sessionSecret,
      publicUrl: http.web.url,
      accountId: env.accountId,
    });
    assert.equal((await client.get(link.url)).status, 303);
  };
  const home = () => `${http.web.url}/admin/accounts/${env.accountId}`;

  test('the figures in plain words, escaped, on the page and in its live part', async () => {
    const client = new WebClient();
    await signIn(client);
    const b = await budget();
    const page = await client.get(home());
    assert.equal(page.status, 200);
    assert.match(page.text, /<h2 id="xero-budget-heading">Xero budget<\/h2>/);
    // The minute's count may drop between the two reads (calls age out of it); the day's cannot here.
    assert.match(page.text, /<span id="budget-minute-text">\d+ of 60<\/span>/, 'calls in the last minute');
    assert.match(
      page.text,
      new RegExp(`<span id="budget-day-text">${b.day.used.toLocaleString('en-GB')} of 5,000</span>`),
    );
    assert.match(page.text, /<progress class="budget-meter[^"]*" max="60" value="\d+"/);
    assert.match(page.text, /<dd id="budget-queue">No documents waiting for Xero<\/dd>/);
    assert.match(page.text, /<dd id="budget-in-flight">0 of 5<\/dd>/);

    const live = JSON.parse((await client.get(`${home()}/live`)).text);
    assert.match(live.budget.html, /id="xero-budget"/);
    assert.equal(typeof live.budget.key, 'string');
  });

  test('in a real browser the panel follows new calls without a reload', { skip: chromiumSkipReason() }, async () => {
    const browser = await launchChromium();
    try {
      const link = await createAdminLink(env.database.db, {
        secret: http.access.sessionSecret,
        publicUrl: http.web.url,
        accountId: env.accountId,
      });
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(link.url);
      const day = page.locator('#budget-day-text');
      await day.waitFor();
      const shown = Number((await day.innerText()).split(' of ')[0]!.replace(/,/g, ''));
      await xeroReads(3);
      const expected = (await budget()).day.used;
      assert.equal(expected, shown + 3, 'the API counts the new calls');
      const text = `${expected.toLocaleString('en-GB')} of 5,000`;
      await page.locator('#budget-day-text', { hasText: text }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#budget-day progress').getAttribute('value'), String(expected));
      assert.match(await page.locator('#xero-budget').innerText(), /Xero budget[\s\S]*No documents waiting for Xero/);
      if (process.env.SCREENSHOT_DIR)
        await page
          .locator('#xero-budget')
          .screenshot({ path: path.join(process.env.SCREENSHOT_DIR, 'xero-budget.png') });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
