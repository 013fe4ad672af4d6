import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { verifyApiKey } from '../src/access/api-keys';
import { openDatabase } from '../src/db/database';
import { sha256Hex } from '../src/security/hashing';

const run = promisify(execFile);
const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');

test('npm run api-key: the key is printed once, stored only as a hash, and it works', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-cli-'));
  const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
  try {
    const created = await run(
      tsx,
      [path.join(__dirname, '..', 'src', 'bin', 'api-key.ts'), 'create', '--host-app', 'Quotes Co'],
      { env },
    );
    const key = /\s(xsk_\S+)\n/.exec(created.stdout)?.[1];
    assert.ok(key, created.stdout);
    assert.match(created.stdout, /shown once/);

    const db = openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    try {
      const rows = (await sql`select * from api_keys`.execute(db.db)).rows;
      assert.equal(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(key), 'the key itself is not stored');
      assert.equal((rows[0] as { key_hash: string }).key_hash, sha256Hex(key));
      assert.ok(await verifyApiKey(db.db, key));
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
