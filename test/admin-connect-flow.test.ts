import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../src/domain/settings';
import { loadSettings } from '../src/settings/store';
import { NotConnectedError } from '../src/xero/access';
import { InvalidGrantError } from '../src/xero/identity';
import { startAdminApp, type AdminApp } from './support/admin-app';
import { csrfTokenOf, WebClient } from './support/web-client';
import { parseAuthorizePage } from './support/xero-connect';

/**
 * The admin's whole first experience over HTTP, against the Xero simulator:
 * API key → account → admin link → connect (consent page) → choose organisation → setup → disconnect.
 */

let app: AdminApp;
before(async () => {
  app = await startAdminApp();
});
after(async () => {
  await app.close();
});

/** Opens an admin link in a fresh "browser" and lands on the account page. */
async function signIn(apiKey: string, externalId: string): Promise<{ browser: WebClient; accountUrl: string }> {
  const link = await app.api(apiKey, 'POST', `/accounts/${externalId}/admin-link`);
  assert.equal(link.status, 201);
  const browser = new WebClient();
  const enter = await browser.get(link.body.url);
  assert.equal(enter.status, 303);
  assert.match(enter.location!, /\/admin\/accounts\/[0-9a-f-]{36}$/);
  return { browser, accountUrl: enter.location! };
}

/** Clicks "Connect to Xero" and answers the simulator's consent page; returns the callback hop. */
async function connectVia(
  browser: WebClient,
  accountUrl: string,
  answer: { decision: 'allow' | 'deny'; tenants?: string[] },
) {
  const page = await browser.get(accountUrl);
  const toXero = await browser.post(`${accountUrl}/connect`, { _csrf: csrfTokenOf(page.text) });
  assert.equal(toXero.status, 303);
  const consent = await browser.get(toXero.location!);
  assert.equal(consent.status, 200);
  const parsed = parseAuthorizePage(consent.text);
  const form = new URLSearchParams(parsed.hidden);
  const chosen = answer.tenants ?? [parsed.organisations[0]!.name];
  for (const name of chosen) form.append('tenant', parsed.organisations.find((o) => o.name === name)!.tenantId);
  form.set('decision', answer.decision);
  const back = await browser.post(new URL(parsed.action, toXero.location!).toString(), form);
  assert.equal(back.status, 302);
  return { authorizeUrl: new URL(toXero.location!), callbackUrl: back.location! };
}

describe('connect, choose the organisation, set up, disconnect', () => {
  test('the whole flow over HTTP', async () => {
    const { apiKey } = await app.newHostApp();

    // The host creates its account, then updates it.
    const created = await app.api(apiKey, 'PUT', '/accounts/acme-1', {
      name: 'Acme Plumbing',
      options: { costCentres: ['Install', 'Service'] },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.connection, { status: 'not_connected' });
    const updated = await app.api(apiKey, 'PUT', '/accounts/acme-1', {
      name: 'Acme Plumbing Ltd',
      options: { costCentres: ['Install', 'Service'] },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.name, 'Acme Plumbing Ltd');

    const { browser, accountUrl } = await signIn(apiKey, 'acme-1');
    const accountId = accountUrl.split('/').pop()!;
    const overview = await browser.get(accountUrl);
    assert.equal(overview.status, 200);
    assert.match(overview.text, /Connect to Xero/);
    assert.match(overview.text, /Acme Plumbing Ltd/);

    // Connect: the authorize request carries state, PKCE S256 and the configured scopes.
    const { authorizeUrl, callbackUrl } = await connectVia(browser, accountUrl, {
      decision: 'allow',
      tenants: ['Demo Company (NZ)', 'Acme Plumbing Ltd'],
    });
    assert.equal(authorizeUrl.pathname, '/identity/connect/authorize');
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorizeUrl.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.ok((authorizeUrl.searchParams.get('state') ?? '').length >= 32);
    assert.equal(authorizeUrl.searchParams.get('scope'), app.access.identity.scopes);
    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), `${app.url}/connect/callback`);

    // Two organisations allowed: the admin is asked which one.
    const callback = await browser.get(callbackUrl);
    assert.equal(callback.status, 303);
    assert.equal(callback.location, `${accountUrl}/organisation`);
    const choose = await browser.get(callback.location!);
    assert.match(choose.text, /Demo Company \(NZ\)/);
    assert.match(choose.text, /Acme Plumbing Ltd/);
    const acme = app.sim.sim.organisations().find((o) => o.name === 'Acme Plumbing Ltd')!;
    const chosen = await browser.post(`${accountUrl}/organisation`, {
      _csrf: csrfTokenOf(choose.text),
      tenantId: acme.tenantId,
    });
    assert.equal(chosen.status, 303);
    assert.equal(chosen.location, `${accountUrl}/setup?notice=connected`);

    const connection = await app.database.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    assert.equal(connection.tenant_id, acme.tenantId);
    assert.equal(connection.tenant_name, 'Acme Plumbing Ltd');
    assert.equal(connection.status, 'active');
    assert.ok(connection.access_token_expires_at.getTime() > Date.now() + 25 * 60_000);
    assert.match(connection.scopes, /accounting\.invoices/);
    assert.equal(
      await app.database.db.selectFrom('pending_connections').select('id').executeTakeFirst(),
      undefined,
      'pending tokens are deleted once chosen',
    );

    // Setup is filled from the live organisation.
    const setup = await browser.get(chosen.location!);
    assert.equal(setup.status, 200);
    assert.match(setup.text, /Connected to Acme Plumbing Ltd/);
    assert.doesNotMatch(setup.text, /id="plan-warning"/, 'no warning on a plan without caps');
    // On Xero's starter plan Setup says approvals are capped and how to keep syncing past the cap.
    app.access.referenceData.invalidate(accountId);
    app.sim.sim.setPlan(acme.tenantId, 'STARTER');
    const capped = await browser.get(chosen.location!);
    assert.match(
      capped.text,
      /id="plan-warning">Acme Plumbing Ltd is on Xero&#39;s starter plan, which approves at most 20 invoices and 5 bills a month/,
    );
    app.sim.sim.setPlan(acme.tenantId, 'PREMIUM');
    app.access.referenceData.invalidate(accountId);
    assert.match(setup.text, /<option value="200">200 — Sales<\/option>/);
    assert.doesNotMatch(setup.text, /value="205"/, 'archived accounts are not offered');
    assert.match(setup.text, /<option value="OUTPUT2">15% GST on Income \(15%\)<\/option>/);
    assert.match(setup.text, /<option value="Cost Centre">Cost Centre<\/option>/);
    assert.match(
      setup.text,
      /name="cc_name" value="Install"/,
      'host cost centres from the account options prefill the mapping',
    );
    // The new document kinds' defaults: bills and credit notes approved, deal invoices drafts, no prefix.
    assert.match(setup.text, /<h2>Bills and credit notes<\/h2>/);
    assert.match(setup.text, /<h2>CRM deals<\/h2>/);
    assert.match(setup.text, /name="billStatus" value="AUTHORISED" checked/);
    assert.match(setup.text, /name="creditNoteStatus" value="AUTHORISED" checked/);
    assert.match(setup.text, /name="dealInvoiceStatus" value="DRAFT" checked/);
    assert.match(setup.text, /name="creditNoteNumberPrefix" value=""/);
    // Differences between totals are held by default; rounding lines would use up to 0.05.
    assert.match(setup.text, /name="totalDifference" value="hold" checked/);
    assert.match(setup.text, /name="roundingTolerance" value="0.05"/);

    // An invalid form: errors next to the fields, everything typed kept, nothing saved.
    const form = {
      _csrf: csrfTokenOf(setup.text),
      revenueAccountCode: '200',
      expenseAccountCode: '200',
      bankAccountCode: '090',
      defaultTaxType: 'OUTPUT2',
      brandingThemeId: '',
      trackingCategoryName: 'Cost Centre',
      cc_name: ['Install', 'Service', ''],
      cc_option: ['Installation', 'servicing', ''],
      invoiceStatus: 'DRAFT',
      lineAmountTypes: 'Inclusive',
      invoiceNumberPrefix: 'INV-',
      billStatus: 'DRAFT',
      creditNoteStatus: 'SUBMITTED',
      dealInvoiceStatus: 'AUTHORISED',
      // Too long, and with characters the page must escape.
      creditNoteNumberPrefix: 'CN"<b>-0123456789abcdef',
      referenceFields: ['orderNumber', 'jobLocation'],
      exportedJobStatus: 'Invoiced',
      syncPayments: 'on',
      personNameFormat: 'last_comma_first',
      contactSyncIntervalHours: 'six',
      defaultDueDays: '20',
      roundingTolerance: 'abc',
    };
    const invalid = await browser.post(`${accountUrl}/setup`, form);
    assert.equal(invalid.status, 422);
    assert.match(invalid.text, /id="expenseAccountCode-error">must differ from the revenue account</);
    assert.match(invalid.text, /id="contactSyncIntervalHours-error">enter a whole number</);
    assert.match(invalid.text, /name="contactSyncIntervalHours" value="six"/, 'what was typed is kept');
    assert.match(invalid.text, /name="invoiceNumberPrefix" value="INV-"/);
    assert.match(invalid.text, /value="jobLocation" checked/);
    assert.match(invalid.text, /value="last_comma_first" checked/);
    assert.match(invalid.text, /name="cc_option" value="servicing"/);
    assert.match(invalid.text, /name="billStatus" value="DRAFT" checked/);
    assert.match(invalid.text, /name="creditNoteStatus" value="SUBMITTED" checked/);
    assert.match(invalid.text, /name="dealInvoiceStatus" value="AUTHORISED" checked/);
    assert.match(invalid.text, /id="creditNoteNumberPrefix-error">at most 20 characters</);
    assert.match(invalid.text, /name="creditNoteNumberPrefix" value="CN&quot;&lt;b&gt;-0123456789abcdef"/);
    assert.doesNotMatch(invalid.text, /CN"<b>/, 'the typed prefix is escaped');
    assert.match(invalid.text, /<a href="#creditNoteNumberPrefix">Credit note number prefix<\/a>/);
    assert.match(
      invalid.text,
      /id="roundingTolerance-error">enter an amount in digits with a point, for example 0.05</,
    );
    assert.match(invalid.text, /name="roundingTolerance" value="abc"/);
    assert.deepEqual(await loadSettings(app.database.db, accountId), DEFAULT_SETTINGS);

    // Fixed, but the option does not exist in Xero exactly as typed.
    const notInXero = await browser.post(`${accountUrl}/setup`, {
      ...form,
      _csrf: csrfTokenOf(invalid.text),
      expenseAccountCode: '310',
      contactSyncIntervalHours: '12',
      creditNoteNumberPrefix: 'CN-',
      totalDifference: 'rounding_line',
      roundingAccountCode: '090',
      roundingTolerance: '0.10',
    });
    assert.equal(notInXero.status, 422);
    assert.match(
      notInXero.text,
      /id="roundingAccountCode-error">Business Bank Account is a bank account; Xero does not accept it on invoice or bill lines</,
    );
    assert.match(
      notInXero.text,
      /&quot;servicing&quot; is not an option of Cost Centre in Xero \(names must match exactly\)/,
    );

    const saved = await browser.post(`${accountUrl}/setup`, {
      ...form,
      _csrf: csrfTokenOf(notInXero.text),
      expenseAccountCode: '310',
      contactSyncIntervalHours: '12',
      cc_option: ['Installation', 'Maintenance', ''],
      creditNoteNumberPrefix: 'CN-',
      totalDifference: 'rounding_line',
      roundingAccountCode: '400',
      roundingTolerance: '0.10',
    });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, `${accountUrl}/setup?notice=saved`);
    const settings = await loadSettings(app.database.db, accountId);
    assert.equal(settings.revenueAccountCode, '200');
    assert.equal(settings.expenseAccountCode, '310');
    assert.equal(settings.invoiceStatus, 'DRAFT');
    assert.equal(settings.lineAmountTypes, 'Inclusive');
    assert.deepEqual(settings.referenceFields, ['orderNumber', 'jobLocation']);
    assert.deepEqual(settings.costCentreOptions, { Install: 'Installation', Service: 'Maintenance' });
    assert.equal(settings.syncPayments, true);
    assert.equal(settings.updateXeroContacts, false);
    assert.equal(settings.contactSyncIntervalHours, 12);
    assert.equal(settings.defaultDueDays, 20);
    assert.equal(settings.billStatus, 'DRAFT');
    assert.equal(settings.creditNoteStatus, 'SUBMITTED');
    assert.equal(settings.dealInvoiceStatus, 'AUTHORISED');
    assert.equal(settings.creditNoteNumberPrefix, 'CN-');
    assert.equal(settings.totalDifference, 'rounding_line');
    assert.equal(settings.roundingAccountCode, '400');
    assert.equal(settings.roundingTolerance, 0.1);
    const reopened = await browser.get(`${accountUrl}/setup`);
    assert.match(reopened.text, /name="billStatus" value="DRAFT" checked/);
    assert.match(reopened.text, /name="creditNoteStatus" value="SUBMITTED" checked/);
    assert.match(reopened.text, /name="dealInvoiceStatus" value="AUTHORISED" checked/);
    assert.match(reopened.text, /name="creditNoteNumberPrefix" value="CN-"/);
    assert.match(reopened.text, /name="totalDifference" value="rounding_line" checked/);
    assert.match(reopened.text, /<option value="400" selected>400 — Advertising<\/option>/);
    assert.match(reopened.text, /name="roundingTolerance" value="0.10"/);
    assert.match((await browser.get(saved.location!)).text, /Setup saved/);

    // The same settings through the API; a bad write names the field.
    const read = await app.api(apiKey, 'GET', '/accounts/acme-1/settings');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.settings, settings);
    assert.deepEqual(read.body.missingForInvoices, []);
    const bad = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', {
      defaultDueDays: 400,
      invoiceStatus: 'PAID',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_settings');
    assert.equal(bad.body.fields.defaultDueDays, 'must be at most 365');
    assert.match(bad.body.fields.invoiceStatus, /DRAFT, SUBMITTED, AUTHORISED/);
    const badKinds = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', {
      billStatus: 'PAID',
      creditNoteStatus: 'VOIDED',
      dealInvoiceStatus: 'draft',
      creditNoteNumberPrefix: 'CN\n',
    });
    assert.equal(badKinds.status, 400);
    assert.deepEqual(Object.keys(badKinds.body.fields).sort(), [
      'billStatus',
      'creditNoteNumberPrefix',
      'creditNoteStatus',
      'dealInvoiceStatus',
    ]);
    assert.match(badKinds.body.fields.billStatus, /DRAFT, SUBMITTED, AUTHORISED/);
    const kinds = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', {
      billStatus: 'SUBMITTED',
      creditNoteStatus: 'DRAFT',
      dealInvoiceStatus: 'DRAFT',
      creditNoteNumberPrefix: 'SCN-',
    });
    assert.equal(kinds.status, 200);
    const kindsRead = (await app.api(apiKey, 'GET', '/accounts/acme-1/settings')).body.settings;
    assert.deepEqual(
      {
        billStatus: kindsRead.billStatus,
        creditNoteStatus: kindsRead.creditNoteStatus,
        dealInvoiceStatus: kindsRead.dealInvoiceStatus,
        creditNoteNumberPrefix: kindsRead.creditNoteNumberPrefix,
      },
      {
        billStatus: 'SUBMITTED',
        creditNoteStatus: 'DRAFT',
        dealInvoiceStatus: 'DRAFT',
        creditNoteNumberPrefix: 'SCN-',
      },
    );
    assert.equal(kindsRead.invoiceStatus, 'DRAFT', 'PATCH of the new fields keeps the invoice status');
    const archived = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', { revenueAccountCode: '205' });
    assert.equal(archived.status, 422);
    assert.equal(archived.body.fields.revenueAccountCode, 'account 205 is archived in Xero');
    const bankRounding = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', { roundingAccountCode: '090' });
    assert.equal(bankRounding.status, 422);
    assert.deepEqual(bankRounding.body.fields, {
      roundingAccountCode: 'Business Bank Account is a bank account; Xero does not accept it on invoice or bill lines',
    });
    const patched = await app.api(apiKey, 'PATCH', '/accounts/acme-1/settings', {
      revenueAccountCode: '260',
      defaultDueDays: 14,
    });
    assert.equal(patched.status, 200);
    assert.equal((await loadSettings(app.database.db, accountId)).revenueAccountCode, '260');
    assert.equal(
      (await loadSettings(app.database.db, accountId)).expenseAccountCode,
      '310',
      'PATCH keeps what it was not given',
    );

    // Disconnect: revoked at Xero, connection removed, later access answered "not connected".
    const refreshToken = app.access.cipher.decrypt(connection.refresh_token_enc);
    const confirm = await browser.get(`${accountUrl}/disconnect`);
    assert.match(confirm.text, /Disconnect from Xero\?/);
    const gone = await browser.post(`${accountUrl}/disconnect`, { _csrf: csrfTokenOf(confirm.text) });
    assert.equal(gone.status, 303);
    assert.equal(gone.location, `${accountUrl}?notice=disconnected`);
    assert.match((await browser.get(gone.location!)).text, /Disconnected from Xero/);
    assert.equal(
      await app.database.db
        .selectFrom('connections')
        .select('id')
        .where('account_id', '=', accountId)
        .executeTakeFirst(),
      undefined,
    );
    await assert.rejects(
      app.access.identity.refresh(refreshToken),
      InvalidGrantError,
      'the refresh token is revoked at Xero',
    );
    await assert.rejects(
      app.access.xeroAccess.accessFor(accountId),
      (err: unknown) => err instanceof NotConnectedError && err.reason === 'not_connected',
    );
    assert.deepEqual((await app.api(apiKey, 'GET', '/accounts/acme-1')).body.connection, { status: 'not_connected' });
    assert.equal((await browser.get(`${accountUrl}/setup`)).location, `${accountUrl}?notice=not_connected`);
  });

  test('one organisation allowed: connected straight away, landing on Setup; the sync side hears of each change', async () => {
    const events: string[] = [];
    app.access.onConnected = async (id) => void events.push(`connected ${id}`);
    app.access.onSettingsSaved = async (id, s) => void events.push(`settings ${id} ${s.contactSyncIntervalHours}h`);
    app.access.onDisconnected = async () => {
      throw new Error('schedule service down');
    };
    try {
      const { apiKey } = await app.newHostApp();
      await app.api(apiKey, 'PUT', '/accounts/solo', { name: 'Solo Ltd' });
      const { browser, accountUrl } = await signIn(apiKey, 'solo');
      const accountId = accountUrl.split('/').pop()!;
      const { callbackUrl } = await connectVia(browser, accountUrl, {
        decision: 'allow',
        tenants: ['Demo Company (NZ)'],
      });
      const callback = await browser.get(callbackUrl);
      assert.equal(callback.status, 303);
      assert.equal(callback.location, `${accountUrl}/setup?notice=connected`);
      const account = await app.api(apiKey, 'GET', '/accounts/solo');
      assert.equal(account.body.connection.status, 'active');
      assert.equal(account.body.connection.organisation, 'Demo Company (NZ)');

      assert.equal(
        (await app.api(apiKey, 'PATCH', '/accounts/solo/settings', { contactSyncIntervalHours: 3 })).status,
        200,
      );
      // A failing hook is logged; the admin's disconnect still happens.
      const gone = await app.api(apiKey, 'DELETE', '/accounts/solo/connection');
      assert.equal(gone.status, 200);
      assert.deepEqual(gone.body, { disconnected: true, revokedAtXero: true });
      assert.deepEqual(events, [`connected ${accountId}`, `settings ${accountId} 3h`]);
      assert.ok(app.logLines.some((l) => l.includes('account hook failed') && l.includes('onDisconnected')));
      assert.deepEqual((await app.api(apiKey, 'DELETE', '/accounts/solo/connection')).body, {
        disconnected: false,
        revokedAtXero: false,
      });
    } finally {
      app.access.onConnected = app.access.onSettingsSaved = app.access.onDisconnected = undefined;
    }
  });

  test('Deny, a tampered state, a replayed callback and a Xero error bring the admin back with the reason', async () => {
    const { apiKey } = await app.newHostApp();
    await app.api(apiKey, 'PUT', '/accounts/careful', { name: 'Careful Ltd' });
    const { browser, accountUrl } = await signIn(apiKey, 'careful');

    const denied = await connectVia(browser, accountUrl, { decision: 'deny' });
    assert.equal(new URL(denied.callbackUrl).searchParams.get('error'), 'access_denied');
    const back = await browser.get(denied.callbackUrl);
    assert.equal(back.location, `${accountUrl}?notice=denied`);
    assert.match(
      (await browser.get(back.location!)).text,
      /You chose not to allow access on Xero(&#39;|')s page, so nothing was connected/,
    );

    const allowed = await connectVia(browser, accountUrl, { decision: 'allow' });
    const tampered = new URL(allowed.callbackUrl);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')!.slice(0, -2)}xx`);
    const refused = await browser.get(tampered.toString());
    assert.equal(refused.location, `${accountUrl}?notice=invalid_state`);
    assert.match((await browser.get(refused.location!)).text, /could not be verified/);
    assert.equal((await app.api(apiKey, 'GET', '/accounts/careful')).body.connection.status, 'not_connected');

    // The genuine callback still works once; replaying it is refused.
    assert.equal((await browser.get(allowed.callbackUrl)).location, `${accountUrl}/setup?notice=connected`);
    assert.equal((await browser.get(allowed.callbackUrl)).location, `${accountUrl}?notice=invalid_state`);

    // An error reported by Xero, with a valid state.
    const page = await browser.get(accountUrl);
    const toXero = await browser.post(`${accountUrl}/connect`, { _csrf: csrfTokenOf(page.text) });
    const state = new URL(toXero.location!).searchParams.get('state')!;
    const xeroError = await browser.get(
      `${app.url}/connect/callback?error=server_error&state=${encodeURIComponent(state)}`,
    );
    assert.equal(xeroError.location, `${accountUrl}?notice=xero_error&code=server_error`);
    assert.match((await browser.get(xeroError.location!)).text, /Xero reported a problem \(server_error\)/);
    // An unsafe error code is not echoed.
    const page2 = await browser.get(accountUrl);
    const state2 = new URL(
      (await browser.post(`${accountUrl}/connect`, { _csrf: csrfTokenOf(page2.text) })).location!,
    ).searchParams.get('state')!;
    const odd = await browser.get(
      `${app.url}/connect/callback?error=${encodeURIComponent('<script>x</script>')}&state=${encodeURIComponent(state2)}`,
    );
    assert.equal(odd.location, `${accountUrl}?notice=xero_error&code=unknown_error`);
  });

  test('a connection Xero no longer accepts is marked "needs reconnecting" with a banner on every page', async () => {
    const { apiKey } = await app.newHostApp();
    await app.api(apiKey, 'PUT', '/accounts/revoked', { name: 'Revoked Ltd' });
    const { browser, accountUrl } = await signIn(apiKey, 'revoked');
    const { callbackUrl } = await connectVia(browser, accountUrl, {
      decision: 'allow',
      tenants: ['Demo Company (NZ)'],
    });
    await browser.get(callbackUrl);
    const accountId = accountUrl.split('/').pop()!;

    // The user removes the app in Xero; the next refresh gets invalid_grant.
    const row = await app.database.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    await app.access.identity.revoke(app.access.cipher.decrypt(row.refresh_token_enc));
    await app.database.db
      .updateTable('connections')
      .set({ access_token_expires_at: new Date(Date.now() + 30_000) })
      .where('id', '=', row.id)
      .execute();
    await assert.rejects(
      app.access.xeroAccess.accessFor(accountId),
      (err: unknown) => err instanceof NotConnectedError && err.reason === 'needs_reconnect',
    );
    assert.equal((await app.api(apiKey, 'GET', '/accounts/revoked')).body.connection.status, 'needs_reconnect');

    for (const path of ['', '/setup', '/disconnect']) {
      const page = await browser.get(`${accountUrl}${path}`);
      assert.match(page.text, /id="reconnect-banner"/, `banner on ${path || 'the account page'}`);
    }
    assert.match((await browser.get(accountUrl)).text, /Reconnect to Xero/);

    // Reconnecting to the same organisation keeps the connection (and its connected-at), active again.
    const again = await connectVia(browser, accountUrl, { decision: 'allow', tenants: ['Demo Company (NZ)'] });
    assert.equal((await browser.get(again.callbackUrl)).location, `${accountUrl}/setup?notice=connected`);
    const after = await app.database.db
      .selectFrom('connections')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    assert.equal(after.id, row.id);
    assert.equal(after.status, 'active');
    assert.equal(after.connected_at.getTime(), row.connected_at.getTime());
    assert.doesNotMatch((await browser.get(accountUrl)).text, /id="reconnect-banner"/);
  });
});
