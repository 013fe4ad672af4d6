import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseHandle } from '../src/db/database';
import { listOpenFailures, listSyncLog, getSyncLogEntry, syncLogQuerySchema } from '../src/sync-log/query';
import { createTestDatabase } from './support/database';

describe('sync log queries', () => {
  let database: DatabaseHandle;
  let accountA: string;
  let accountB: string;

  before(async () => {
    database = await createTestDatabase();
    const app = await database.db
      .insertInto('host_apps')
      .values({ name: 'h' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const mk = async (ext: string) =>
      (
        await database.db
          .insertInto('accounts')
          .values({ host_app_id: app.id, external_id: ext, name: ext, options: '{}' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    accountA = await mk('a');
    accountB = await mk('b');
    const log = (
      account: string,
      kind: string,
      host_ref: string,
      outcome: 'success' | 'failure' | 'skipped',
      message?: string,
    ) =>
      database.db
        .insertInto('sync_log')
        .values({ account_id: account, kind, action: 'create', host_ref, outcome, message: message ?? null })
        .execute();
    await log(accountA, 'invoice', 'SO-1', 'failure', "Account code '200' has been archived");
    await log(accountA, 'invoice', 'SO-1', 'success');
    await log(accountA, 'invoice', 'SO-2', 'failure', 'first');
    await log(accountA, 'invoice', 'SO-2', 'failure', 'second');
    await log(accountA, 'payment', 'SO-2', 'skipped', 'invoice not synced');
    await log(accountA, 'payment', 'SO-3', 'success');
    await log(accountA, 'payment', 'SO-3', 'failure', 'Payment amount exceeds the amount outstanding on this document');
    await log(accountB, 'invoice', 'SO-9', 'failure', 'other account');
  });
  after(() => database.close());

  test('newest first, with filters by outcome, kind and order number', async () => {
    const all = await listSyncLog(database.db, accountA, syncLogQuerySchema.parse({}));
    assert.equal(all.entries.length, 7);
    assert.ok(all.entries.every((e, i, a) => i === 0 || BigInt(a[i - 1]!.id) > BigInt(e.id)));
    assert.equal(all.nextBefore, undefined);
    const failures = await listSyncLog(database.db, accountA, syncLogQuerySchema.parse({ outcome: 'failure' }));
    assert.deepEqual(
      failures.entries.map((e) => e.message),
      [
        'Payment amount exceeds the amount outstanding on this document',
        'second',
        'first',
        "Account code '200' has been archived",
      ],
    );
    const so2payments = await listSyncLog(
      database.db,
      accountA,
      syncLogQuerySchema.parse({ kind: 'payment', orderNumber: 'SO-2' }),
    );
    assert.deepEqual(
      so2payments.entries.map((e) => e.outcome),
      ['skipped'],
    );
  });

  test('pages with a cursor and never mixes accounts', async () => {
    const page1 = await listSyncLog(database.db, accountA, syncLogQuerySchema.parse({ limit: '3' }));
    assert.equal(page1.entries.length, 3);
    assert.ok(page1.nextBefore);
    const page2 = await listSyncLog(
      database.db,
      accountA,
      syncLogQuerySchema.parse({ limit: '3', before: page1.nextBefore }),
    );
    const page3 = await listSyncLog(
      database.db,
      accountA,
      syncLogQuerySchema.parse({ limit: '3', before: page2.nextBefore }),
    );
    const ids = [...page1.entries, ...page2.entries, ...page3.entries].map((e) => e.id);
    assert.equal(new Set(ids).size, 7);
    assert.equal(page3.nextBefore, undefined);
    const other = await listSyncLog(database.db, accountB, syncLogQuerySchema.parse({}));
    assert.deepEqual(
      other.entries.map((e) => e.host_ref),
      ['SO-9'],
    );
    assert.equal(
      await getSyncLogEntry(database.db, accountB, String(page1.entries[0]!.id)),
      undefined,
      'account B read account A entry',
    );
    assert.equal(await getSyncLogEntry(database.db, accountA, 'not-a-number'), undefined);
  });

  test('open failures: the newest entry per document and step, when it failed', async () => {
    const open = await listOpenFailures(database.db, accountA);
    assert.deepEqual(
      open.map((f) => [f.kind, f.host_ref, f.message]),
      [
        ['payment', 'SO-3', 'Payment amount exceeds the amount outstanding on this document'],
        ['invoice', 'SO-2', 'second'],
      ],
    );
  });

  test("open failures of an order: the order's newest entry decides, whichever step wrote it", async () => {
    const app = await database.db
      .insertInto('host_apps')
      .values({ name: 'h2' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const acct = (
      await database.db
        .insertInto('accounts')
        .values({ host_app_id: app.id, external_id: 'c', name: 'c', options: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const log = (ref: string, kind: string, outcome: 'success' | 'failure' | 'skipped', message: string) =>
      database.db
        .insertInto('sync_log')
        .values({
          account_id: acct,
          kind,
          action: 'x',
          host_ref: ref,
          outcome,
          message,
          workflow_id: `order:${acct}:${ref}`,
        })
        .execute();
    await log('SO-1', 'attachment', 'failure', 'attach failed');
    await log('SO-1', 'invoice', 'success', 'cancelled: voided'); // another step settled the order
    await log('SO-2', 'payment', 'failure', 'pay:1 failed');
    await log('SO-2', 'payment', 'skipped', 'setup does not sync payments'); // a skip settles an order too
    await log('SO-3', 'invoice', 'success', 'created');
    await log('SO-3', 'payment', 'failure', 'Payments can only be made against Authorised documents.');
    await database.db
      .insertInto('sync_log')
      .values({
        account_id: acct,
        kind: 'contact',
        action: 'create',
        host_ref: 'cust-1',
        outcome: 'failure',
        message: 'contact failed',
        workflow_id: 'contact-sync:x',
      })
      .execute();
    await database.db
      .insertInto('sync_log')
      .values({
        account_id: acct,
        kind: 'contact',
        action: 'skip',
        host_ref: 'cust-1',
        outcome: 'skipped',
        message: 'archived',
        workflow_id: 'contact-sync:x',
      })
      .execute();
    const open = await listOpenFailures(database.db, acct);
    assert.deepEqual(
      open.map((f) => f.message),
      ['contact failed', 'Payments can only be made against Authorised documents.'],
    );
  });

  test('bad filters are refused with the field named', () => {
    const r = syncLogQuerySchema.safeParse({ outcome: 'maybe', limit: '0' });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues.map((i) => i.path.join('.')).sort(), ['limit', 'outcome']);
  });
});
