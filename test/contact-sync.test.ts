import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { AccountIdKey } from '../src/temporal/search-attributes';
import { contactSyncScheduleId, contactSyncProgressQuery, type ContactSyncResult } from '../src/contact-sync/shared';
import {
  deleteContactSync,
  describeContactSync,
  ensureContactSyncSchedule,
  pauseContactSync,
  startContactImport,
} from '../src/contact-sync/schedules';
import { hostContactState } from '../src/contact-sync/host-contacts';
import { readReferenceData } from '../src/contact-sync/reference-data';
import { importProgress } from '../src/contact-sync/runs';
import { testTemporal, type TestTemporal } from './support/temporal';
import { contactSyncEnv, organisation, person, type ContactSyncEnv } from './support/contact-sync';
import { saveHistoryFixture } from './support/histories';

let temporal: TestTemporal;
before(async () => {
  temporal = await testTemporal();
});
after(async () => {
  await temporal.close();
});

const byName = (env: ContactSyncEnv, name: string) =>
  env.xeroContacts().filter((c) => String(c.Name).toLowerCase() === name.toLowerCase());
const outboxEvents = (env: ContactSyncEnv) =>
  env.database.db
    .selectFrom('webhook_outbox')
    .select(['event_type', 'payload'])
    .where('event_type', '=', 'contacts.pulled')
    .orderBy('id')
    .execute();
const pulledNames = (payload: unknown) =>
  (payload as { data: { contacts: Array<{ name: string }> } }).data.contacts.map((c) => c.name).sort();
const counts = (r: ContactSyncResult) => ({
  pushed: r.pushed,
  linked: r.linked,
  pulled: r.pulled,
  failed: r.failed,
  skipped: r.skipped,
});

describe('contact sync against the simulator', () => {
  let env: ContactSyncEnv;
  const jane = person('Jane', 'Smith', { payerReference: 'PAY-1', email: 'jane@example.test' });
  before(async () => {
    env = await contactSyncEnv(temporal);
  });
  after(async () => {
    await env.close();
  });

  test('pulls every Xero contact first time, pushes new host contacts in batches of at most 50, links same names, leaves archived ones alone', async () => {
    const many = Array.from({ length: 52 }, (_, i) => organisation(`Customer ${String(i).padStart(2, '0')}`));
    const boom = organisation('BOOM fm'); // Xero has "Boom FM": same name, another case
    const old = organisation('Old Supplier Ltd'); // archived in Xero
    await env.putContacts(jane, boom, old, ...many);
    env.sim.sim.clearRequestLog();

    const result = await env.syncNow();
    assert.equal(result.status, 'done');
    assert.deepEqual(counts(result), { pushed: 53, linked: 1, pulled: 5, failed: 0, skipped: 1 });
    // Kept for test/order-replay.test.ts: a change that breaks running contact-sync workflows fails the suite.
    await saveHistoryFixture(temporal.client, 'contact-sync-first-run', result.workflowId);

    const puts = env.sim.sim.requestLog({ method: 'PUT', pathContains: '/Contacts' });
    assert.equal(puts.length, 2, '53 new contacts take two PUTs of at most 50');
    // Every host contact once, found by its ContactNumber; nothing duplicated.
    for (const c of [jane, ...many])
      assert.equal(env.xeroContacts().filter((x) => x.ContactNumber === c.id).length, 1, `${c.id} not exactly once`);
    assert.equal(byName(env, 'Boom FM').length, 1, 'a same-name contact was created again');
    const oldInXero = byName(env, 'Old Supplier Ltd');
    assert.equal(oldInXero.length, 1);
    assert.equal(oldInXero[0]!.ContactStatus, 'ARCHIVED', 'an archived contact was revived');
    const janeX = env.xeroContacts().find((x) => x.ContactNumber === jane.id)!;
    assert.equal(janeX.Name, 'Jane Smith');
    assert.equal(janeX.AccountNumber ?? null, null, 'account number set although setup says no');

    const boomState = await hostContactState(env.database.db, env.accountId, boom.id!);
    assert.equal(boomState?.status, 'linked');
    assert.equal(boomState?.xeroContactId, byName(env, 'Boom FM')[0]!.ContactID);
    assert.equal((await hostContactState(env.database.db, env.accountId, old.id!))?.status, 'archived');
    const links = await env.database.db
      .selectFrom('entity_links')
      .select(['host_id', 'xero_id'])
      .where('kind', '=', 'contact')
      .where('account_id', '=', env.accountId)
      .execute();
    assert.equal(links.length, 54);

    const log = await env.database.db
      .selectFrom('sync_log')
      .selectAll()
      .where('kind', '=', 'contact_sync')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(log.outcome, 'success');
    assert.equal(log.message, 'Contact sync: pushed 53, linked 1, pulled 5, failed 0, skipped 1');
    const events = await outboxEvents(env);
    assert.equal(events.length, 1);
    assert.deepEqual(pulledNames(events[0]!.payload), [
      'Boom FM',
      'City Agency',
      'Old Supplier Ltd',
      'PowerDirect',
      'Ridgeway University',
    ]);
  });

  test('a second run with nothing changed writes nothing and reports nothing', async () => {
    env.sim.sim.clearRequestLog();
    const result = await env.syncNow();
    assert.deepEqual(counts(result), { pushed: 0, linked: 0, pulled: 0, failed: 0, skipped: 0 });
    assert.equal(
      env.sim.sim.requestLog({ method: 'PUT' }).length + env.sim.sim.requestLog({ method: 'POST' }).length,
      0,
    );
    assert.equal((await outboxEvents(env)).length, 1);
  });

  test('setup options: name format and account number re-send changed contacts; "update Xero contacts" off sends new ones only', async () => {
    await env.setSettings({ personNameFormat: 'last_comma_first', accountNumberFromPayerReference: true });
    const r1 = await env.syncNow();
    assert.equal(r1.failed, 0);
    assert.equal(r1.pushed, 54, 'every contact Xero holds is re-sent once when the options change');
    const janeX = () => env.xeroContacts().find((x) => x.ContactNumber === jane.id)!;
    assert.equal(janeX().Name, 'Smith, Jane');
    assert.equal(janeX().AccountNumber, 'PAY-1');
    assert.equal(env.xeroContacts().filter((x) => x.ContactNumber === jane.id).length, 1);

    await env.setSettings({
      personNameFormat: 'last_comma_first',
      accountNumberFromPayerReference: true,
      updateXeroContacts: false,
    });
    const ann = person('Ann', 'Lee');
    await env.putContacts({ ...jane, email: 'jane.new@example.test' }, ann);
    const r2 = await env.syncNow();
    assert.deepEqual(counts(r2), { pushed: 1, linked: 0, pulled: 0, failed: 0, skipped: 0 });
    assert.equal(janeX().EmailAddress, 'jane@example.test', 'an existing contact was updated with updates off');
    assert.equal(byName(env, 'Lee, Ann').length, 1, 'a new contact was not created with updates off');

    await env.setSettings({
      personNameFormat: 'last_comma_first',
      accountNumberFromPayerReference: true,
      updateXeroContacts: true,
    });
    const r3 = await env.syncNow();
    assert.equal(r3.pushed, 1);
    assert.equal(
      janeX().EmailAddress,
      'jane.new@example.test',
      'the held-back change was not sent once updates were back on',
    );
  });

  test('per-contact errors are kept per contact; the rest of the batch goes through', async () => {
    const renamed = organisation('City Agency', {
      id: (
        await env.database.db
          .selectFrom('host_contacts')
          .select('host_id')
          .where('host_id', 'like', 'o-%')
          .where('status', '=', 'updated')
          .orderBy('host_id')
          .executeTakeFirstOrThrow()
      ).host_id,
    });
    const fine = { ...jane, email: 'jane.third@example.test' };
    await env.putContacts(renamed, fine);
    const result = await env.syncNow();
    assert.equal(result.failed, 1);
    assert.equal(result.pushed, 1);
    const state = await hostContactState(env.database.db, env.accountId, renamed.id!);
    assert.equal(state?.status, 'failed');
    assert.match(state?.errors.join(' ') ?? '', /City Agency is already assigned to another contact/);
    assert.equal(byName(env, 'City Agency').length, 1);
    const failure = await env.database.db
      .selectFrom('sync_log')
      .selectAll()
      .where('kind', '=', 'contact')
      .where('host_ref', '=', renamed.id!)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(failure.outcome, 'failure');
    assert.match(failure.message ?? '', /already assigned/);
    assert.equal(env.xeroContacts().find((x) => x.ContactNumber === jane.id)!.EmailAddress, 'jane.third@example.test');
  });

  test('a linked contact archived in Xero is reported once, not updated and not revived', async () => {
    const janeX = env.xeroContacts().find((x) => x.ContactNumber === jane.id)!;
    await env.xeroWrite([{ contactID: janeX.ContactID, contactStatus: 'ARCHIVED' as never }], 'POST');
    await env.putContacts({ ...jane, email: 'jane.fourth@example.test' });
    const result = await env.syncNow();
    assert.equal(result.skipped, 1);
    assert.equal(result.pulled, 1, 'the archiving in Xero is a change the host hears about');
    const now = env.xeroContacts().find((x) => x.ContactNumber === jane.id)!;
    assert.equal(now.ContactStatus, 'ARCHIVED');
    assert.equal(now.EmailAddress, 'jane.third@example.test');
    assert.equal((await hostContactState(env.database.db, env.accountId, jane.id!))?.status, 'archived');
    const again = await env.syncNow();
    assert.equal(again.skipped, 0, 'reported again without any change');
  });

  test('the incremental pull hands the host exactly what changed in Xero since the checkpoint', async () => {
    const before = (await outboxEvents(env)).length;
    const [city] = byName(env, 'City Agency');
    const [power] = byName(env, 'PowerDirect');
    await env.xeroWrite(
      [
        { contactID: city!.ContactID, emailAddress: 'new@cityagency.example' },
        { contactID: power!.ContactID, accountNumber: 'PD-9999' },
      ],
      'POST',
    );
    await env.xeroWrite([{ name: 'Walk-in Customer' }]);
    const result = await env.syncNow();
    assert.equal(result.pulled, 3);
    const events = await outboxEvents(env);
    assert.equal(events.length, before + 1);
    assert.deepEqual(pulledNames(events.at(-1)!.payload), ['City Agency', 'PowerDirect', 'Walk-in Customer']);
    const powerPulled = (
      events.at(-1)!.payload as { data: { contacts: Array<{ name: string; accountNumber: string }> } }
    ).data.contacts.find((c) => c.name === 'PowerDirect');
    assert.equal(powerPulled?.accountNumber, 'PD-9999');
    // The watermark moves on: a run right after reports nothing.
    assert.equal((await env.syncNow()).pulled, 0);
  });

  test('reference data is refreshed by the run', async () => {
    for (const kind of ['tax-rates', 'items', 'accounts', 'tracking-categories'] as const) {
      const data = await readReferenceData(env.database.db, env.accountId, kind);
      assert.ok(data.refreshedAt, `${kind} never refreshed`);
      assert.ok(data.items.length > 0, `${kind} is empty`);
    }
    const accounts = (await readReferenceData(env.database.db, env.accountId, 'accounts')).items as Array<{
      code: string;
    }>;
    assert.ok(accounts.some((a) => a.code === '200'));
  });

  test('"Import Xero customers": every contact, N of M progress, a webhook event per page, re-runnable', async () => {
    const before = (await outboxEvents(env)).length;
    const total = env.xeroContacts().length;
    for (let round = 0; round < 2; round++) {
      const { workflowId } = await startContactImport(
        temporal.client,
        { accountId: env.accountId, taskQueue: env.taskQueue },
        { pageSize: 25 },
      );
      const handle = temporal.client.workflow.getHandle(workflowId);
      const result = (await handle.result()) as ContactSyncResult;
      assert.equal(result.status, 'done');
      assert.equal(result.pulled, total);
      if (round === 0) await saveHistoryFixture(temporal.client, 'contact-import', workflowId);
      const progress = await importProgress(env.database.db, env.accountId);
      assert.deepEqual(
        { status: progress.status, done: progress.done, total: progress.total },
        { status: 'done', done: total, total },
      );
      const q = await handle.query(contactSyncProgressQuery);
      assert.equal(q.received, total);
    }
    const events = await outboxEvents(env);
    assert.equal(events.length - before, 2 * Math.ceil(total / 25));
    assert.equal(
      new Set(events.slice(before, before + Math.ceil(total / 25)).flatMap((e) => pulledNames(e.payload))).size,
      total,
    );
  });

  // ---- a worker killed midway ----

  test('resumes on another worker after Xero wrote and forgot the Idempotency-Key, without a duplicate contact', async () => {
    // Contacts that failed earlier are tried again by every run (and fail again): counted apart.
    const failingBefore = (
      await env.database.db
        .selectFrom('host_contacts')
        .select('host_id')
        .where('account_id', '=', env.accountId)
        .where('status', '=', 'failed')
        .execute()
    ).length;
    const contacts = Array.from({ length: 60 }, (_, i) => organisation(`Killed Co ${i}`));
    await env.putContacts(...contacts);
    const before = env.xeroContacts().length;
    // The first batch's PUT is slow, written, then its answer is lost (the connection drops).
    const fault = env.sim.sim.addFault({
      method: 'PUT',
      path: '/Contacts',
      latencyMs: 1_000,
      dropAfterCommit: true,
      times: 1,
    });
    const handle = await temporal.client.workflow.start('contactSyncWorkflow', {
      workflowId: `contact-sync-killed-${env.accountId}`,
      taskQueue: env.taskQueue,
      args: [{ accountId: env.accountId, mode: 'sync', heartbeatTimeout: '2 seconds' }],
    });
    // The PUT has reached Xero: the worker dies with it in flight.
    // (A rule that has used up its `times` is removed.)
    await waitFor(() => !env.sim.sim.faults().some((f) => f.id === fault.id), 'the first PUT');
    const dead = env.killWorker();
    try {
      // Xero commits the batch (all of it at once), and (later than ~6 minutes, as it were) forgets the key.
      await waitFor(() => env.xeroContacts().length > before, 'the first batch to be written');
      env.sim.sim.expireIdempotencyKeys();
    } finally {
      await env.startWorker();
    }

    const result = (await handle.result()) as ContactSyncResult;
    await dead;
    await saveHistoryFixture(temporal.client, 'contact-sync-killed-worker', handle.workflowId);
    assert.equal(result.status, 'done');
    assert.equal(result.failed, failingBefore);
    assert.equal(result.pushed, 60);
    for (const c of contacts)
      assert.equal(
        env.xeroContacts().filter((x) => x.ContactNumber === c.id).length,
        1,
        `${c.id} is in Xero ${env.xeroContacts().filter((x) => x.ContactNumber === c.id).length} times`,
      );
    assert.equal(env.xeroContacts().length, before + 60);
    const states = await env.database.db
      .selectFrom('host_contacts')
      .select(['host_id', 'status', 'xero_contact_id'])
      .where('account_id', '=', env.accountId)
      .where(
        'host_id',
        'in',
        contacts.map((c) => c.id!),
      )
      .execute();
    assert.equal(states.length, 60);
    assert.ok(
      states.every((s) => s.status === 'created' && s.xero_contact_id),
      JSON.stringify(states.filter((s) => s.status !== 'created')),
    );
    const batch = await env.database.db
      .selectFrom('contact_push_batches')
      .select(['create_attempts'])
      .where('account_id', '=', env.accountId)
      .where('run_key', 'like', 'contact-sync-killed-%')
      .where('batch_no', '=', 1)
      .executeTakeFirstOrThrow();
    assert.ok(batch.create_attempts >= 2, 'the first batch was not retried');
  });

  // ---- the schedule itself (last: it pauses and deletes the schedule) ----

  test('one schedule per account: interval from setup, overlap skipped, updated when setup changes, paused, removed', async () => {
    const raw = await temporal.client.schedule.getHandle(contactSyncScheduleId(env.accountId)).describe();
    assert.equal(raw.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(raw.action.type, 'startWorkflow');
    assert.equal(raw.action.type === 'startWorkflow' && raw.action.workflowType, 'contactSyncWorkflow');
    assert.equal(raw.action.type === 'startWorkflow' && raw.action.taskQueue, env.taskQueue);
    assert.equal(raw.typedSearchAttributes?.get(AccountIdKey), env.accountId);
    assert.equal((await describeContactSync(temporal.client, env.accountId))?.intervalHours, 6);

    await ensureContactSyncSchedule(
      temporal.client,
      { accountId: env.accountId, taskQueue: env.taskQueue },
      { contactSyncIntervalHours: 12 },
    );
    const updated = await describeContactSync(temporal.client, env.accountId);
    assert.equal(updated?.intervalHours, 12);
    assert.equal(updated?.paused, false);

    await pauseContactSync(temporal.client, env.accountId);
    assert.equal((await describeContactSync(temporal.client, env.accountId))?.paused, true);
    await ensureContactSyncSchedule(
      temporal.client,
      { accountId: env.accountId, taskQueue: env.taskQueue },
      { contactSyncIntervalHours: 6 },
    );
    assert.equal((await describeContactSync(temporal.client, env.accountId))?.paused, false);

    await deleteContactSync(temporal.client, env.accountId);
    assert.equal(await describeContactSync(temporal.client, env.accountId), undefined);
    await deleteContactSync(temporal.client, env.accountId); // removing twice is fine
    await ensureContactSyncSchedule(
      temporal.client,
      { accountId: env.accountId, taskQueue: env.taskQueue },
      { contactSyncIntervalHours: 6 },
    );
  });

  test('a run finding the connection needs reconnecting records it, pauses the schedule, and writes nothing', async () => {
    await env.database.db
      .updateTable('connections')
      .set({ status: 'needs_reconnect' })
      .where('account_id', '=', env.accountId)
      .execute();
    try {
      await env.putContacts(person('Never', 'Sent'));
      env.sim.sim.clearRequestLog();
      const result = await env.syncNow();
      assert.equal(result.status, 'not-connected');
      assert.equal(env.sim.sim.requestLog({ pathContains: '/Contacts' }).length, 0);
      assert.equal((await describeContactSync(temporal.client, env.accountId))?.paused, true);
      const entry = await env.database.db
        .selectFrom('sync_log')
        .selectAll()
        .where('kind', '=', 'contact_sync')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(entry.outcome, 'skipped');
      assert.match(entry.message ?? '', /reconnect/);
    } finally {
      await env.database.db
        .updateTable('connections')
        .set({ status: 'active' })
        .where('account_id', '=', env.accountId)
        .execute();
      await ensureContactSyncSchedule(
        temporal.client,
        { accountId: env.accountId, taskQueue: env.taskQueue },
        { contactSyncIntervalHours: 6 },
      );
    }
  });
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
