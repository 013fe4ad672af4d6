import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApiKey, createHostApp } from '../src/access/api-keys';
import { driftSentences } from '../src/xero-changes/drift-queries';
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

/**
 * `GET /api/v1/accounts/{id}/reconciliation`, the drift actions and "Reconcile now": the list with
 * its plain words, filters and paging; one account (or host app) never sees another's drifts;
 * actions validated, naming the field; each action handed to the document's own workflow and
 * answered with what it decided.
 */

type Rec = Record<string, any>;
let temporal: TestTemporal;
let app: ReconciliationTestApp;
const path = (suffix = '') => `/accounts/${app.env.externalId}/reconciliation${suffix}`;

before(async () => {
  temporal = await testTemporal();
  app = await startReconciliationApp(temporal);
});

after(async () => {
  await app?.close();
  await temporal?.close();
});

describe('reconciliation API', () => {
  test('lists the account’s drifts in plain words, open by default, with filters, paging and the deep link', async () => {
    const { db } = app.env.database;
    const accountId = app.env.accountId;
    // The organisation's ShortCode, as the document side stores it for deep links.
    await db
      .insertInto('xero_org_short_codes')
      .values({ tenant_id: app.env.tenantId, short_code: '!abc12', read_at: new Date() })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    const t0 = Date.now() - 60_000;
    const total = await seedDrift(db, {
      accountId,
      hostId: 'L-1001',
      via: 'webhook',
      changes: { fields: [{ field: 'total', ours: 161, xeros: 150 }] },
      detectedAt: new Date(t0),
    });
    const voided = await seedDrift(db, {
      accountId,
      kind: 'bill',
      hostId: 'L-B7',
      xeroNumber: null,
      changes: {
        fields: [{ field: 'status', ours: 'AUTHORISED', xeros: 'VOIDED' }],
        closedInXero: { status: 'VOIDED', at: '2026-03-04T10:00:00Z' },
      },
      detectedAt: new Date(t0 + 1_000),
    });
    const paid = await seedDrift(db, {
      accountId,
      hostId: 'L-1002',
      changes: {
        fields: [{ field: 'lines[1].unitAmount', ours: 95, xeros: 80 }],
        paymentsInXero: [{ paymentId: randomUUID(), amount: 50, date: '2026-03-05', accountCode: '090' }],
      },
      detectedAt: new Date(t0 + 2_000),
    });
    const resolved = await seedDrift(db, {
      accountId,
      hostId: 'L-1003',
      changes: { fields: [{ field: 'reference', ours: 'A', xeros: 'B' }] },
      status: 'resolved',
      resolution: 'ignored',
    });

    const list = await app.api('GET', path());
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.open, 3);
    assert.equal(list.body.total, 3);
    assert.equal(typeof list.body.running, 'boolean');
    assert.deepEqual(
      list.body.drifts.map((d: Rec) => d.id),
      [paid, voided, total],
      'open drifts, the most recently changed first',
    );
    const byId = (id: string) => list.body.drifts.find((d: Rec) => d.id === id) as Rec;
    const first = byId(total);
    assert.deepEqual(
      {
        kind: first.kind,
        documentId: first.documentId,
        xeroNumber: first.xeroNumber,
        via: first.via,
        status: first.status,
        changes: first.changes,
        summary: first.summary,
      },
      {
        kind: 'order',
        documentId: 'L-1001',
        xeroNumber: 'L-1001',
        via: 'webhook',
        status: 'open',
        changes: { fields: [{ field: 'total', ours: 161, xeros: 150 }] },
        summary: ['Total 161.00 → 150.00'],
      },
    );
    assert.ok(!('resolution' in first));
    assert.match(first.detectedAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(first.updatedAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(first.xeroId, /^[0-9a-f-]{36}$/);
    assert.equal(
      first.xeroUrl,
      `https://go.xero.com/organisationlogin/default.aspx?shortcode=!abc12&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=${first.xeroId}`,
    );
    assert.equal(byId(voided).kind, 'bill');
    assert.equal(byId(voided).documentId, 'L-B7');
    assert.equal(byId(voided).xeroNumber, null);
    assert.match(byId(voided).xeroUrl, /AccountsPayable\/View\.aspx/);
    assert.deepEqual(byId(voided).summary, ['Voided in Xero on 2026-03-04', 'Status AUTHORISED → VOIDED']);
    assert.deepEqual(byId(paid).summary, [
      'Line 2 unit amount 95.00 → 80.00',
      'Payment 50.00 received in Xero on 2026-03-05 to account 090',
    ]);

    const onlyResolved = await app.api('GET', path('?status=resolved'));
    assert.equal(onlyResolved.status, 200);
    assert.equal(onlyResolved.body.open, 3, 'the open count whatever the filter');
    assert.deepEqual(
      onlyResolved.body.drifts.map((d: Rec) => [d.id, d.status, d.resolution]),
      [[resolved, 'resolved', 'ignored']],
    );
    assert.match(onlyResolved.body.drifts[0].resolvedAt, /^\d{4}-/);
    const all = await app.api('GET', path('?status=all'));
    assert.equal(all.body.total, 4);
    assert.equal(all.body.drifts.at(-1).id, resolved, 'resolved ones after the open ones');

    const page1 = await app.api('GET', path('?limit=2'));
    assert.deepEqual(
      page1.body.drifts.map((d: Rec) => d.id),
      [paid, voided],
    );
    assert.equal(page1.body.nextOffset, 2);
    const page2 = await app.api('GET', path(`?limit=2&offset=${page1.body.nextOffset}`));
    assert.deepEqual(
      page2.body.drifts.map((d: Rec) => d.id),
      [total],
    );
    assert.ok(!('nextOffset' in page2.body), 'the last page says so');

    const bad = await app.api('GET', path('?status=closed&limit=0'));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_query');
    assert.match(bad.body.fields.status, /choose one of: open, resolved, all/);
    assert.match(bad.body.fields.limit, /at least 1/);

    // Cleaned up so the other tests start from a known list.
    await db.deleteFrom('xero_drift').where('account_id', '=', accountId).execute();
  });

  test('one account never sees or acts on another’s drifts, within a host app or across host apps', async () => {
    const { db } = app.env.database;
    const mine = await seedDrift(db, {
      accountId: app.env.accountId,
      hostId: 'S-1',
      changes: { fields: [{ field: 'total', ours: 10, xeros: 12 }] },
    });
    const sibling = await otherAccount(db, app.env.hostAppId, 'Sibling Co');
    const siblingDrift = await seedDrift(db, {
      accountId: sibling.id,
      hostId: 'S-2 sibling',
      changes: { fields: [{ field: 'total', ours: 1, xeros: 2 }] },
    });
    // Another host app, with an account of the same external id as ours.
    const otherApp = await createHostApp(db, { name: 'Other host' });
    const otherKey = (await createApiKey(db, otherApp.id)).key;
    const foreign = (
      await db
        .insertInto('accounts')
        .values({ host_app_id: otherApp.id, external_id: app.env.externalId, name: 'Same id Co', options: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const foreignDrift = await seedDrift(db, {
      accountId: foreign,
      hostId: 'S-3 foreign',
      changes: { fields: [{ field: 'total', ours: 3, xeros: 4 }] },
    });

    const ours = await app.api('GET', path('?status=all'));
    assert.deepEqual(
      ours.body.drifts.map((d: Rec) => d.id),
      [mine],
    );
    assert.equal(ours.body.open, 1);
    const theirs = await app.api('GET', `/accounts/${sibling.externalId}/reconciliation?status=all`);
    assert.deepEqual(
      theirs.body.drifts.map((d: Rec) => d.id),
      [siblingDrift],
    );
    const foreignView = await app.api('GET', path('?status=all'), undefined, otherKey);
    assert.deepEqual(
      foreignView.body.drifts.map((d: Rec) => d.id),
      [foreignDrift],
      'the same account id under another host app is another account',
    );

    // Acting on another account's drift through our URL: 404, and the drift is untouched.
    for (const id of [siblingDrift, foreignDrift, randomUUID(), 'not-a-drift']) {
      const r = await app.api('POST', path(`/${id}/actions`), { action: 'ignore' });
      assert.equal(r.status, 404, id);
      assert.equal(r.body.error, 'drift_not_found');
    }
    // Ours through the other host app's key: its own account, where this drift does not exist.
    const cross = await app.api('POST', path(`/${mine}/actions`), { action: 'ignore' }, otherKey);
    assert.equal(cross.status, 404);
    const stillOpen = await db
      .selectFrom('xero_drift')
      .select(['id', 'status'])
      .where('id', 'in', [mine, siblingDrift, foreignDrift])
      .execute();
    assert.ok(stillOpen.every((r) => r.status === 'open'));
    // An unknown account of this host app.
    assert.equal((await app.api('GET', '/accounts/no-such-account/reconciliation')).status, 404);
    // No key at all.
    const anonymous = await fetch(`${app.web.url}/api/v1${path()}`);
    assert.equal(anonymous.status, 401);

    await db.deleteFrom('xero_drift').where('id', 'in', [mine, siblingDrift, foreignDrift]).execute();
  });

  test('actions are validated, naming the field; a resolved drift is not resolved twice', async () => {
    const { db } = app.env.database;
    const id = await seedDrift(db, {
      accountId: app.env.accountId,
      hostId: 'V-1',
      changes: { fields: [{ field: 'total', ours: 10, xeros: 12 }] },
    });
    for (const [body, message] of [
      [{}, /choose one of: send_ours, accept_xero, ignore/],
      [{ action: 'delete' }, /choose one of: send_ours, accept_xero, ignore/],
      [{ action: 42 }, /choose one of/],
    ] as const) {
      const r = await app.api('POST', path(`/${id}/actions`), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'invalid_request');
      assert.match(r.body.fields.action, message);
    }
    const extra = await app.api('POST', path(`/${id}/actions`), { action: 'ignore', force: true });
    assert.equal(extra.status, 400);
    assert.match(extra.body.fields['(body)'] ?? extra.body.fields.force ?? '', /unknown field: force/);

    const done = await seedDrift(db, {
      accountId: app.env.accountId,
      hostId: 'V-2',
      changes: { fields: [{ field: 'total', ours: 10, xeros: 12 }] },
      status: 'resolved',
      resolution: 'accepted_xero',
    });
    const again = await app.api('POST', path(`/${done}/actions`), { action: 'send_ours' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'drift_resolved');
    assert.match(again.body.message, /already resolved \(accepted_xero\)/);
    await db.deleteFrom('xero_drift').where('id', 'in', [id, done]).execute();
  });

  test('Reconcile now: 202 with the run’s workflow id; a second click while it runs starts nothing new; not connected is 409', async () => {
    // Two clicks at once: one run starts, the other is told it is already running.
    const both = await Promise.all([app.api('POST', path('/run')), app.api('POST', path('/run'), {})]);
    for (const r of both) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.workflowId, `reconcile:${app.env.accountId}`);
    }
    assert.deepEqual(both.map((r) => r.body.alreadyRunning).sort(), [false, true]);
    const status = await app.api('GET', path());
    assert.equal(status.status, 200);
    assert.ok('running' in status.body);

    const bad = await app.api('POST', path('/run'), { now: true });
    assert.equal(bad.status, 400);

    const { db } = app.env.database;
    const lonely = await otherAccount(db, app.env.hostAppId, 'Not connected Co');
    const refused = await app.api('POST', `/accounts/${lonely.externalId}/reconciliation/run`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'not_connected');
  });

  /**
   * The real outcome of each action, end to end: an accountant changes three synced invoices in
   * Xero; Xero's copies reach the documents' workflows as the intake hands them over; the drifts
   * they record are acted on through the API.
   */
  test('each action reaches the document’s workflow: send_ours rewrites Xero’s copy, accept_xero and ignore leave it; each drift resolved', async () => {
    const { env } = app;
    const docs = await changedInXero(env, 3);
    const driftIds = await driftsOf(env, docs);
    const listed = await app.api('GET', path());
    for (const id of driftIds) assert.ok(listed.body.drifts.some((d: Rec) => d.id === id));

    const actions = ['send_ours', 'accept_xero', 'ignore'] as const;
    const resolutions = { send_ours: 'sent_ours', accept_xero: 'accepted_xero', ignore: 'ignored' } as const;
    for (const [i, action] of actions.entries()) {
      const r = await app.api('POST', path(`/${driftIds[i]}/actions`), { action });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.applied, true);
      assert.equal(r.body.workflowId, `order:${env.accountId}:${docs[i]!.number}`);
      assert.equal(r.body.driftId, driftIds[i]);
      assert.equal(r.body.action, action);
      const drift = await eventually(
        async () => {
          const l = await app.api('GET', path('?status=resolved&limit=200'));
          return l.body.drifts.find((d: Rec) => d.id === driftIds[i]) as Rec | undefined;
        },
        30_000,
        `drift of ${action} resolved`,
      );
      assert.equal(drift.resolution, resolutions[action]);
      // The same answer again: the drift is resolved, nothing is sent twice.
      const again = await app.api('POST', path(`/${driftIds[i]}/actions`), { action });
      assert.equal(again.status, 409);
      assert.equal(again.body.error, 'drift_resolved');
    }
    // send_ours: Xero's copy is ours again; the others leave the accountant's version in Xero.
    await eventually(
      () => {
        const inv = simInvoice(env, docs[0]!.invoiceId)!;
        return (inv.LineItems as Rec[])[0]!.UnitAmount === docs[0]!.ourUnit && inv.Total === docs[0]!.ours.Total;
      },
      30_000,
      'our version back in Xero',
    );
    for (const d of docs.slice(1))
      assert.equal((simInvoice(env, d.invoiceId)!.LineItems as Rec[])[0]!.UnitAmount, d.ourUnit + 40);
    assert.equal((await app.api('GET', path())).body.open, 0);
  });

  test('plain words for every kind of difference', () => {
    assert.deepEqual(
      driftSentences({
        fields: [
          { field: 'status', ours: 'AUTHORISED', xeros: 'VOIDED' },
          { field: 'total', ours: 161, xeros: 150 },
          { field: 'reference', ours: 'PO-1', xeros: '' },
          { field: 'dueDate', ours: '2026-04-01', xeros: '2026-04-15' },
          { field: 'currency', ours: 'NZD', xeros: 'AUD' },
          { field: 'contact', ours: 'Acme Ltd', xeros: 'Acme Limited' },
          { field: 'lines', ours: 2, xeros: 1 },
          { field: 'lines[0].quantity', ours: 4, xeros: 5 },
          { field: 'lines[2].tracking', ours: ['Region: North'], xeros: [] },
          { field: 'somethingNew', ours: { a: 1 }, xeros: null },
        ],
        closedInXero: { status: 'DELETED', at: '2026-03-04' },
        paymentsInXero: [{ paymentId: 'p', amount: 1234.5, date: '2026-03-05', reference: 'Bank <transfer>' }],
      }),
      [
        'Deleted in Xero on 2026-03-04',
        'Status AUTHORISED → VOIDED',
        'Total 161.00 → 150.00',
        'Reference PO-1 → (none)',
        'Due date 2026-04-01 → 2026-04-15',
        'Currency NZD → AUD',
        'Contact Acme Ltd → Acme Limited',
        'Number of lines 2 → 1',
        'Line 1 quantity 4 → 5',
        'Line 3 tracking Region: North → (none)',
        'somethingNew {"a":1} → (none)',
        'Payment 1,234.50 received in Xero on 2026-03-05 (reference Bank <transfer>)',
      ],
    );
    assert.deepEqual(driftSentences({ fields: [] }), ['Changed in Xero']);
  });
});
