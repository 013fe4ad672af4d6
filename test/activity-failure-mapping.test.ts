import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import pg from 'pg';
import type { DatabaseHandle } from '../src/db/database';
import { explainFailure } from '../src/domain/failure-explanations';
import { settingsSchema } from '../src/domain/settings';
import { toActivityFailure, withFailureMapping } from '../src/orders/failures';
import { failureFactsOf } from '../src/sync-log/failures';
import { XeroApiError } from '../src/xero/errors';
import { RateLimitWaitError } from '../src/xero/rate-limiter';
import { createTestDatabase, databaseKinds } from './support/database';

/**
 * What Temporal does with an activity's error: an error that will repeat (bad data, a broken
 * constraint, a query the database cannot run, a 400 from Xero) is a non-retryable business failure;
 * one that passes (a restarted or overloaded database, a deadlock, Xero 5xx/429) is retried.
 */

/** A server error as pg builds it from the wire (the same class, the same fields). */
function pgError(code: string, message: string, fields: Partial<pg.DatabaseError> = {}): pg.DatabaseError {
  const e = new pg.DatabaseError(message, message.length, 'error');
  Object.assign(e, { severity: 'ERROR', code, ...fields });
  return e;
}

type Expect = { retry: true; type?: string; delayMs?: number } | { retry: false; kind: string; says?: RegExp };

const cases: Array<[string, unknown, Expect]> = [
  // ---- PostgreSQL: repeats → business failure ----
  [
    '22021 NUL in text',
    pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    { retry: false, kind: 'invalid_data', says: /NUL character/ },
  ],
  [
    '22P05 NUL in JSON',
    pgError('22P05', 'unsupported Unicode escape sequence'),
    { retry: false, kind: 'invalid_data', says: /NUL/ },
  ],
  [
    '22001 too long',
    pgError('22001', 'value too long for type character varying(3)'),
    { retry: false, kind: 'invalid_data', says: /longer than/ },
  ],
  [
    '22003 numeric overflow',
    pgError('22003', 'numeric field overflow'),
    { retry: false, kind: 'invalid_data', says: /number/ },
  ],
  [
    '22008 date out of range',
    pgError('22008', 'date/time field value out of range'),
    { retry: false, kind: 'invalid_data', says: /date/ },
  ],
  ['22012 any other data exception', pgError('22012', 'division by zero'), { retry: false, kind: 'invalid_data' }],
  [
    '23502 not null names the column',
    pgError('23502', 'null value in column "xero_id"', { table: 'entity_links', column: 'xero_id' }),
    { retry: false, kind: 'invalid_data', says: /required value is missing \(table entity_links, column xero_id\)/ },
  ],
  [
    '23505 unique names the constraint',
    pgError('23505', 'duplicate key value violates unique constraint "x_key"', {
      constraint: 'x_key',
      detail: 'Key (name)=(secret) already exists.',
    }),
    { retry: false, kind: 'invalid_data', says: /already exists \(x_key\)/ },
  ],
  [
    '23514 check',
    pgError('23514', 'violates check constraint', { constraint: 'c' }),
    { retry: false, kind: 'invalid_data' },
  ],
  ['42P01 undefined table', pgError('42P01', 'relation "x" does not exist'), { retry: false, kind: 'invalid_data' }],
  ['42601 syntax', pgError('42601', 'syntax error at or near "x"'), { retry: false, kind: 'invalid_data' }],
  ['54000 program limit', pgError('54000', 'index row size exceeds maximum'), { retry: false, kind: 'invalid_data' }],
  // ---- PostgreSQL: passes → retried ----
  [
    '57P01 admin shutdown (restart)',
    pgError('57P01', 'terminating connection due to administrator command'),
    { retry: true, type: 'DatabaseUnavailable' },
  ],
  ['57014 statement timeout', pgError('57014', 'canceling statement'), { retry: true, type: 'DatabaseUnavailable' }],
  ['08006 connection failure', pgError('08006', 'connection failure'), { retry: true, type: 'DatabaseUnavailable' }],
  ['53300 too many connections', pgError('53300', 'too many clients'), { retry: true, type: 'DatabaseUnavailable' }],
  ['40001 serialization', pgError('40001', 'could not serialize'), { retry: true, type: 'DatabaseUnavailable' }],
  ['40P01 deadlock', pgError('40P01', 'deadlock detected'), { retry: true, type: 'DatabaseUnavailable' }],
  // An unknown class stays as it was: retried (the safe default).
  ['XX000 internal', pgError('XX000', 'internal error'), { retry: true }],
  // Node and pg errors without a SQLSTATE: retried.
  ['connection terminated', new Error('Connection terminated unexpectedly'), { retry: true }],
  ['EPIPE is not a SQLSTATE', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), { retry: true }],
  [
    'a wrapped database error is found through its cause',
    new Error('could not save', { cause: pgError('22021', 'invalid byte sequence') }),
    { retry: false, kind: 'invalid_data' },
  ],
  // ---- Xero ----
  [
    'Xero 400 validation',
    new XeroApiError('validation', 400, 'Invoice # must be unique.', ['Invoice # must be unique.']),
    { retry: false, kind: 'validation' },
  ],
  ['Xero other 400', new XeroApiError('bad_request', 400, 'A bad request'), { retry: false, kind: 'xero_rejected' }],
  ['Xero 404', new XeroApiError('not_found', 404, 'gone'), { retry: false, kind: 'not_found' }],
  ['Xero 503', new XeroApiError('server', 503, 'unavailable'), { retry: true, type: 'XeroUnavailable' }],
  ['Xero network', new XeroApiError('network', 0, 'socket hang up'), { retry: true, type: 'XeroUnavailable' }],
  [
    'Xero 429 waits Retry-After',
    new XeroApiError('rate_limited', 429, 'slow down', [], 7),
    { retry: true, type: 'XeroRateLimited', delayMs: 7000 },
  ],
  ['limiter wait', new RateLimitWaitError(30_000, 'minute'), { retry: true, type: 'RateLimitWait', delayMs: 30_000 }],
];

function check(name: string, mapped: unknown, expect: Expect) {
  if (expect.retry) {
    if (mapped instanceof ApplicationFailure) {
      assert.equal(mapped.nonRetryable, false, `${name}: retryable`);
      if (expect.type) assert.equal(mapped.type, expect.type);
      if (expect.delayMs !== undefined) assert.equal(mapped.nextRetryDelay, expect.delayMs);
    } else {
      assert.equal(expect.type, undefined, `${name}: expected an ApplicationFailure of type ${expect.type}`);
    }
    return;
  }
  assert.ok(mapped instanceof ApplicationFailure, `${name}: an ApplicationFailure`);
  assert.equal(mapped.nonRetryable, true, `${name}: non-retryable`);
  assert.equal(mapped.type, expect.kind);
  assert.equal((mapped.details?.[0] as { kind?: string }).kind, expect.kind);
  if (expect.says) assert.match(mapped.message, expect.says);
}

describe('activity error → Temporal', () => {
  for (const [name, err, expect] of cases) test(name, () => check(name, toActivityFailure(err), expect));

  test('the database value never reaches the message or the details', () => {
    const err = pgError('23505', 'duplicate key value violates unique constraint "x_key"', {
      constraint: 'x_key',
      detail: 'Key (name)=(Jane Secret) already exists.',
    });
    const mapped = toActivityFailure(err) as ApplicationFailure;
    assert.doesNotMatch(JSON.stringify({ m: mapped.message, d: mapped.details }), /Jane Secret/);
    assert.deepEqual(mapped.details, [{ kind: 'invalid_data', sqlstate: '23505', constraint: 'x_key' }]);
  });

  test('withFailureMapping names the step that could not store its data', async () => {
    const wrapped = withFailureMapping({
      linkInvoice: async () => {
        throw pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
      },
    });
    await assert.rejects(wrapped.linkInvoice(), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure && err.nonRetryable);
      assert.match(err.message, /during linkInvoice: a text value contains a NUL character/);
      return true;
    });
  });
});

const settings = settingsSchema.parse({ revenueAccountCode: '200', bankAccountCode: '090', defaultTaxType: 'OUTPUT2' });

/** The same error as stored in the sync log by the workflow, then explained on the failures page. */
function explainStored(mapped: ApplicationFailure) {
  const details = mapped.details?.[0] as Record<string, unknown>;
  return explainFailure(failureFactsOf({ message: mapped.message, error: { ...details } }), settings);
}

for (const kind of databaseKinds()) {
  describe(`real ${kind} errors`, () => {
    let database: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(kind);
      await sql`create table t (id int primary key, name text not null)`.execute(database.db);
      await sql`insert into t values (1, 'one')`.execute(database.db);
    });
    after(async () => {
      await database?.close();
    });

    const caught = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        return err;
      }
      throw new Error('expected the database to refuse');
    };

    test('NUL in a text value: invalid_data, the value left out, a remedy for the admin', async () => {
      const err = await caught(() => sql`insert into t values (2, ${'Jane\u0000Secret'})`.execute(database.db));
      const mapped = toActivityFailure(err, 'ensureContact') as ApplicationFailure;
      check('NUL', mapped, { retry: false, kind: 'invalid_data', says: /NUL character/ });
      assert.doesNotMatch(JSON.stringify({ m: mapped.message, d: mapped.details }), /Secret/);
      const explained = explainStored(mapped);
      assert.match(explained.problem, /NUL character/);
      assert.match(explained.action, /Correct the value in your app/);
    });

    test('NUL in a JSON value', async () => {
      const err = await caught(() =>
        sql`select ${JSON.stringify({ name: 'Jane\u0000Secret' })}::jsonb`.execute(database.db),
      );
      check('NUL json', toActivityFailure(err), { retry: false, kind: 'invalid_data', says: /NUL/ });
    });

    test('unique violation', async () => {
      const err = await caught(() => sql`insert into t values (1, 'again')`.execute(database.db));
      const mapped = toActivityFailure(err) as ApplicationFailure;
      check('unique', mapped, { retry: false, kind: 'invalid_data', says: /already exists/ });
      assert.match(explainStored(mapped).action, /duplicate or missing value/);
    });

    test('not null violation', async () => {
      const err = await caught(() => sql`insert into t values (3, null)`.execute(database.db));
      check('not null', toActivityFailure(err), { retry: false, kind: 'invalid_data', says: /required value/ });
    });

    test('undefined table: the engine, not the data, is at fault', async () => {
      const err = await caught(() => sql`select * from no_such_table`.execute(database.db));
      const mapped = toActivityFailure(err) as ApplicationFailure;
      check('undefined table', mapped, { retry: false, kind: 'invalid_data' });
      assert.match(explainStored(mapped).action, /fault in the sync engine/);
    });
  });
}
