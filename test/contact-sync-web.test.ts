import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeContactSync } from '../src/contact-sync/schedules';
import { csrfTokenOf } from './support/web-client';
import { testTemporal, type TestTemporal } from './support/temporal';
import { contactSyncWebEnv, type ContactSyncWebEnv } from './support/contact-sync';

/** Contact sync through the doors users have: the host API, the admin pages and the connect flow. */

let temporal: TestTemporal;
let env: ContactSyncWebEnv;
before(async () => {
  temporal = await testTemporal();
  env = await contactSyncWebEnv(temporal);
});
after(async () => {
  await env.close();
  await temporal.close();
});

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('contact sync through the API and the admin pages', () => {
  let apiKey: string;
  let accountId: string;
  let browser: Awaited<ReturnType<ContactSyncWebEnv['connect']>>['browser'];
  let accountUrl: string;

  test('the schedule is created on connect, follows setup, and is removed on disconnect', async () => {
    ({ apiKey } = await env.newHostApp());
    assert.equal((await env.api(apiKey, 'PUT', '/accounts/jobs-1', { name: 'Jobs One' })).status, 201);
    ({ browser, accountUrl, accountId } = await env.connect(apiKey, 'jobs-1'));
    const created = await describeContactSync(temporal.client, accountId);
    assert.ok(created, 'no schedule after connecting');
    assert.equal(created.paused, false);
    assert.equal(created.intervalHours, 6);

    assert.equal(
      (await env.api(apiKey, 'PATCH', '/accounts/jobs-1/settings', { contactSyncIntervalHours: 2 })).status,
      200,
    );
    assert.equal((await describeContactSync(temporal.client, accountId))?.intervalHours, 2);

    assert.equal((await env.api(apiKey, 'DELETE', '/accounts/jobs-1/connection')).status, 200);
    assert.equal(
      await describeContactSync(temporal.client, accountId),
      undefined,
      'the schedule outlived the connection',
    );
    assert.equal((await env.api(apiKey, 'POST', '/accounts/jobs-1/contact-sync')).status, 409);

    ({ browser, accountUrl } = await env.connect(apiKey, 'jobs-1'));
    assert.equal(
      (await describeContactSync(temporal.client, accountId))?.intervalHours,
      2,
      'reconnecting did not bring the schedule back with the saved interval',
    );
  });

  test('host contacts: PUT one, the bulk form, zod-validated; a sync run pushes them and reports each', async () => {
    const jane = { type: 'person', firstName: 'Jane', lastName: 'Doe', email: 'jane@doe.example', roles: ['customer'] };
    const first = await env.api(apiKey, 'PUT', '/accounts/jobs-1/contacts/cust-1', jane);
    assert.equal(first.status, 201);
    assert.equal(first.body.contact.result, 'created');
    assert.equal(first.body.contact.sync.status, 'pending');
    assert.equal(
      (await env.api(apiKey, 'PUT', '/accounts/jobs-1/contacts/cust-1', jane)).body.contact.result,
      'unchanged',
    );

    const bad = await env.api(apiKey, 'PUT', '/accounts/jobs-1/contacts/cust-2', {
      type: 'person',
      firstName: 'No',
      email: 'not-an-email',
      roles: ['employee'],
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.body.fields).sort(), ['email', 'lastName', 'roles.0']);
    assert.equal(
      (await env.api(apiKey, 'PUT', '/accounts/jobs-1/contacts/cust-2', { ...jane, id: 'other' })).status,
      400,
    );
    assert.equal((await env.api(apiKey, 'PUT', '/accounts/jobs-1/contacts/has%20space', jane)).status, 400);

    const badBulk = await env.api(apiKey, 'POST', '/accounts/jobs-1/contacts/bulk', {
      contacts: [
        { id: 'sup-1', type: 'organisation', name: 'Pipes Inc', roles: ['supplier'] },
        { id: 'sup-2', type: 'organisation' },
      ],
    });
    assert.equal(badBulk.status, 400);
    assert.ok('contacts.1.name' in badBulk.body.fields);
    assert.equal(
      (await env.api(apiKey, 'GET', '/accounts/jobs-1/contacts/sup-1')).status,
      404,
      'a rejected bulk request stored something',
    );
    const bulk = await env.api(apiKey, 'POST', '/accounts/jobs-1/contacts/bulk', {
      contacts: [
        { id: 'sup-1', type: 'organisation', name: 'Pipes Inc', roles: ['supplier'] },
        { id: 'con-1', type: 'person', firstName: 'Kim', lastName: 'Contractor', roles: ['contractor'] },
        { id: 'cust-3', type: 'organisation', name: 'Ridgeway University' },
      ],
    });
    assert.equal(bulk.status, 200);
    assert.deepEqual(
      bulk.body.contacts.map((c: { result: string }) => c.result),
      ['created', 'created', 'created'],
    );

    assert.equal((await env.api(apiKey, 'POST', '/accounts/jobs-1/contact-sync')).status, 202);
    const run = await until(async () => {
      const s = await env.api(apiKey, 'GET', '/accounts/jobs-1/contact-sync');
      return s.body.runs.find((r: { mode: string; status: string }) => r.mode === 'sync' && r.status !== 'running');
    }, 'the triggered run');
    assert.equal(run.status, 'done');
    assert.deepEqual(
      { pushed: run.pushed, linked: run.linked, failed: run.failed },
      { pushed: 3, linked: 1, failed: 0 },
    );
    const cust1 = (await env.api(apiKey, 'GET', '/accounts/jobs-1/contacts/cust-1')).body.contact;
    assert.equal(cust1.status, 'created');
    assert.match(cust1.xeroContactId, /^[0-9a-f-]{36}$/);
    assert.equal((await env.api(apiKey, 'GET', '/accounts/jobs-1/contacts/cust-3')).body.contact.status, 'linked');
  });

  test('GET …/xero/contacts?since= pages through the Xero contacts for hosts that poll', async () => {
    const all = (await env.api(apiKey, 'GET', '/accounts/jobs-1/xero/contacts?limit=500')).body;
    assert.equal(all.nextCursor, undefined);
    assert.ok(
      all.contacts.some(
        (c: { name: string; hostContactId: string | null }) => c.name === 'Jane Doe' && c.hostContactId === 'cust-1',
      ),
    );
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await env.api(
        apiKey,
        'GET',
        `/accounts/jobs-1/xero/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200);
      assert.ok(page.body.contacts.length <= 2);
      names.push(...page.body.contacts.map((c: { name: string }) => c.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(names.sort(), all.contacts.map((c: { name: string }) => c.name).sort());
    const newest = all.contacts
      .map((c: { updatedDateUtc: string }) => c.updatedDateUtc)
      .sort()
      .at(-1);
    assert.deepEqual(
      (await env.api(apiKey, 'GET', `/accounts/jobs-1/xero/contacts?since=${encodeURIComponent(newest)}`)).body
        .contacts,
      [],
    );
    const older = (
      await env.api(apiKey, 'GET', '/accounts/jobs-1/xero/contacts?since=2025-01-01T00:00:00Z')
    ).body.contacts
      .map((c: { name: string }) => c.name)
      .sort();
    assert.deepEqual(
      older,
      ['Jane Doe', 'Kim Contractor', 'Pipes Inc'],
      'since= should leave out the seeded contacts last changed in 2024',
    );
    assert.equal((await env.api(apiKey, 'GET', '/accounts/jobs-1/xero/contacts?since=yesterday')).status, 400);
  });

  test('reference data endpoints serve what the last run read from Xero, to this host only', async () => {
    for (const kind of ['tax-rates', 'items', 'accounts', 'tracking-categories', 'currencies']) {
      const r = await env.api(apiKey, 'GET', `/accounts/jobs-1/xero/${kind}`);
      assert.equal(r.status, 200, kind);
      assert.equal(r.body.kind, kind);
      assert.ok(r.body.refreshedAt, `${kind} not refreshed`);
      assert.ok(r.body.items.length > 0, `${kind} empty`);
    }
    const tax = (await env.api(apiKey, 'GET', '/accounts/jobs-1/xero/tax-rates')).body.items as Array<{
      taxType: string;
    }>;
    assert.ok(tax.some((t) => t.taxType === 'OUTPUT2'));
    assert.equal((await env.api(apiKey, 'GET', '/accounts/jobs-1/xero/invoices')).status, 404);
    const other = await env.newHostApp();
    assert.equal(
      (await env.api(other.apiKey, 'GET', '/accounts/jobs-1/xero/tax-rates')).status,
      404,
      "another host read this host's data",
    );
    const unauth = await fetch(`${env.url}/api/v1/accounts/jobs-1/xero/tax-rates`);
    assert.equal(unauth.status, 401);
  });

  test('"Import Xero customers" from the account page shows N of M and can be run again', async () => {
    const page = await browser.get(accountUrl);
    assert.match(page.text, /id="import-contacts"[^>]*>Import Xero customers</);
    assert.match(page.text, /Not imported yet/);
    const started = await browser.post(`${accountUrl}/contacts/import`, { _csrf: csrfTokenOf(page.text) });
    assert.equal(started.status, 303);
    assert.match(started.location!, /notice=import_started/);
    const total = env.sim.sim.contacts(env.sim.sim.organisations()[0]!.tenantId).length;
    const progress = await until(async () => {
      const p = JSON.parse((await browser.get(`${accountUrl}/contacts/import-progress`)).text) as {
        status: string;
        done: number;
        total: number;
        label: string;
      };
      return p.status === 'done' && p;
    }, 'the import');
    assert.deepEqual({ done: progress.done, total: progress.total }, { done: total, total });
    assert.equal(progress.label.startsWith(`Imported ${total} of ${total} contacts`), true, progress.label);
    const after = await browser.get(accountUrl);
    assert.match(after.text, new RegExp(`Imported ${total} of ${total} contacts`));
    assert.match(after.text, /Import Xero customers again/);
    assert.match(after.text, /id="last-contact-sync">[^<]*pushed 3, linked 1/);

    // Again, through the API this time.
    const again = await env.api(apiKey, 'POST', '/accounts/jobs-1/xero/contacts/import');
    assert.equal(again.status, 202);
    await temporal.client.workflow.getHandle(again.body.workflowId).result();
    assert.equal((await env.api(apiKey, 'GET', '/accounts/jobs-1/contact-sync')).body.import.status, 'done');
    const events = await env.database.db
      .selectFrom('webhook_outbox')
      .select('payload')
      .where('event_type', '=', 'contacts.pulled')
      .execute();
    const imports = events
      .map((e) => e.payload as { data: { reason: string; contacts: unknown[] } })
      .filter((p) => p.data.reason === 'import');
    assert.equal(imports.length, 2);
    assert.ok(imports.every((p) => p.data.contacts.length === total));
  });

  test('the bulk form takes 500 contacts in one request (well over 100 kB)', async () => {
    const contacts = Array.from({ length: 500 }, (_, i) => ({
      id: `bulk-${i}`,
      type: 'organisation',
      name: `Bulk Customer ${i} Limited`,
      email: `accounts${i}@bulk-customer.example`,
      phones: [{ type: 'default', number: `09 555 ${String(i).padStart(4, '0')}` }],
      addresses: [
        {
          type: 'street',
          lines: [`${i} Long Street Name Road`, 'Unit 4'],
          city: 'Auckland',
          postalCode: '1010',
          country: 'New Zealand',
        },
      ],
      roles: ['customer', 'supplier'],
    }));
    assert.ok(JSON.stringify({ contacts }).length > 150_000);
    const r = await env.api(apiKey, 'POST', '/accounts/jobs-1/contacts/bulk', { contacts });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200));
    assert.equal(r.body.contacts.length, 500);
    assert.equal(
      (
        await env.api(apiKey, 'POST', '/accounts/jobs-1/contacts/bulk', {
          contacts: [...contacts, { ...contacts[0], id: 'bulk-500' }],
        })
      ).status,
      400,
      'more than 500 accepted',
    );
  });
});

describe('reference data on connect', () => {
  test('tax rates, items, accounts, tracking categories and currencies are there as soon as the account connects, before any contact-sync run', async () => {
    const { apiKey } = await env.newHostApp();
    assert.equal((await env.api(apiKey, 'PUT', '/accounts/ref-1', { name: 'Ref One' })).status, 201);
    const { accountId } = await env.connect(apiKey, 'ref-1');
    const runs = await env.database.db
      .selectFrom('contact_sync_runs')
      .select('run_key')
      .where('account_id', '=', accountId)
      .execute();
    assert.deepEqual(runs, [], 'no contact-sync run yet');
    for (const kind of ['tax-rates', 'items', 'accounts', 'tracking-categories', 'currencies']) {
      const r = await env.api(apiKey, 'GET', `/accounts/ref-1/xero/${kind}`);
      assert.equal(r.status, 200, kind);
      assert.ok(r.body.refreshedAt, `${kind} read on connect`);
      assert.ok(r.body.items.length > 0, `${kind} empty`);
    }
  });
});
