import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startEngineProcess } from './support/engine-process';

test(
  'npm start on embedded defaults: prints both URLs, /healthz is 200, Ctrl-C leaves nothing behind',
  { timeout: 120_000 },
  async () => {
    const engine = await startEngineProcess();
    try {
      await engine.waitFor(/Press Ctrl-C/);
      const output = engine.output();
      assert.match(output, new RegExp(`Admin URL:\\s+http://localhost:${engine.port}/admin/enter\\?token=`), output);
      assert.match(output, new RegExp(`Temporal UI URL:\\s+http://localhost:${engine.uiPort}`), output);
      assert.match(output, new RegExp(`Xero simulator at http://127\\.0\\.0\\.1:${engine.simPort}`), output);

      const health = await fetch(`http://127.0.0.1:${engine.port}/healthz`);
      assert.equal(health.status, 200);
      const body = (await health.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
      assert.deepEqual([body.checks.database.ok, body.checks.temporal.ok], [true, true]);
      // The Web UI really is on.
      assert.equal((await fetch(`http://127.0.0.1:${engine.uiPort}/`)).status, 200);
      // State is persisted under DATA_DIR.
      assert.ok(existsSync(path.join(engine.dataDir, 'temporal.db')), 'temporal state is not in DATA_DIR');
      assert.ok(existsSync(path.join(engine.dataDir, 'pglite')), 'PGlite data is not in DATA_DIR');
      assert.ok(engine.leftovers().length > 0, 'the dev server process was not found');

      assert.equal(await engine.interrupt(), 0, engine.output());
      assert.deepEqual(engine.leftovers(), [], 'a process outlived npm start');
      await assert.rejects(fetch(`http://127.0.0.1:${engine.port}/healthz`));
      await assert.rejects(fetch(`http://127.0.0.1:${engine.simPort}/connections`));
    } finally {
      engine.cleanup();
    }
  },
);
