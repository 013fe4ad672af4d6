import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedMeanwhile } from '../src/db/database';

// kysely's catalogue query spans every schema: another schema dropped meanwhile (parallel test
// files, tenants' schemas) fails it in these ways, and only these are tried again.
const cases: Array<[string, string, string | undefined, boolean]> = [
  ['another schema gone', 'schema "test_aaa" does not exist', 'test_bbb', true],
  ['a relation of another schema gone', 'relation "test_aaa.accounts" does not exist', 'test_bbb', true],
  [
    'a relation of our own schema missing: a real error',
    'relation "test_bbb.accounts" does not exist',
    'test_bbb',
    false,
  ],
  ['our own schema missing: a real error', 'schema "test_bbb" does not exist', 'test_bbb', false],
  [
    'a column of a relation dropped meanwhile (pg_get_serial_sequence names no schema)',
    'column "mode" of relation "contact_sync_runs" does not exist',
    'test_bbb',
    true,
  ],
  ['any other error', 'syntax error at or near "tabel"', 'test_bbb', false],
];

for (const [name, message, ours, expected] of cases) {
  test(`migration race: ${name}`, () => {
    assert.equal(droppedMeanwhile(new Error(message), ours), expected);
  });
}
