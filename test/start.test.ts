import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startEngineProcess } from './support/engine-process';

test(
  'npm start on embedded defaults: prints both URLs, the admin link last, /healthz is 200, Ctrl-C (to the whole process group, as a terminal sends it) stops cleanly and leaves nothing behind',
  { timeout: 120_000 },
  async () => {
    // Through npm itself, in a process group of its own, with the default log level: what a newcomer runs.
    const engine = await startEngineProcess({ LOG_LEVEL: 'info' }, { viaNpm: true });
    try {
      await engine.waitFor(/Press Ctrl-C/);
      const output = engine.output();
      assert.match(output, new RegExp(`Admin URL:\\s+http://localhost:${engine.port}/admin/enter\\?token=`), output);
      assert.match(output, new RegExp(`Temporal UI URL:\\s+http://localhost:${engine.uiPort}`), output);
      assert.match(
        output,
        new RegExp(
          `Failed syncs:\\s+http://localhost:${engine.uiPort}/namespaces/default/workflows\\?query=SyncStatus%3D%22Failed%22`,
        ),
        output,
      );
      assert.match(output, new RegExp(`Xero simulator at http://127\\.0\\.0\\.1:${engine.simPort}`), output);

      // The banner is the last thing printed at start-up, the admin link at its end with the command
      // that prints a new one: nothing (no worker or log line) follows it.
      const banner = output.slice(output.lastIndexOf('xero-sync is running'));
      assert.ok(!banner.includes('{"level"'), `a log line inside the banner:\n${banner}`);
      const lines = banner.trimEnd().split('\n');
      assert.equal(lines.at(-1), 'Press Ctrl-C to stop.');
      const adminAt = lines.findIndex((l) => l.includes('Admin URL:'));
      assert.ok(adminAt > lines.findIndex((l) => l.includes('Demo API key:')), banner);
      assert.ok(adminAt > lines.findIndex((l) => l.includes('curl ')), banner);
      assert.match(lines.slice(adminAt).join('\n'), /A new link while this runs: npm run admin-link/);

      const health = await fetch(`http://127.0.0.1:${engine.port}/healthz`);
      assert.equal(health.status, 200);
      const body = (await health.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
      assert.deepEqual([body.checks.database.ok, body.checks.temporal.ok], [true, true]);
      // The Web UI really is on.
      assert.equal((await fetch(`http://127.0.0.1:${engine.uiPort}/`)).status, 200);
      // State is persisted under DATA_DIR.
      assert.ok(existsSync(path.join(engine.dataDir, 'temporal.db')), 'temporal state is not in DATA_DIR');
      assert.ok(existsSync(path.join(engine.dataDir, 'pglite')), 'PGlite data is not in DATA_DIR');
      assert.ok(existsSync(path.join(engine.dataDir, 'engine.json')), 'no engine file for npm run admin-link');
      assert.ok(engine.leftovers().length > 0, 'the dev server process was not found');

      // Requests are one short line each; successful reads are debug (not shown at info).
      const before = engine.output().length;
      for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${engine.port}/`);
      assert.equal((await fetch(`http://127.0.0.1:${engine.port}/no-such-page?token=secret-value`)).status, 404);
      await new Promise((r) => setTimeout(r, 300));
      const requestLines = engine
        .output()
        .slice(before)
        .split('\n')
        .filter((l) => l.includes('"ms":'));
      assert.equal(requestLines.length, 1, requestLines.join('\n'));
      assert.match(requestLines[0]!, /"msg":"GET \/no-such-page\?token=redacted 404 \d+ms"/);
      assert.ok(requestLines[0]!.length < 300, requestLines[0]);

      // npm ends by the signal it forwarded (130, or killed by SIGINT); the engine itself stopped in order.
      assert.ok([130, null].includes(await engine.interrupt()));
      const all = engine.output();
      assert.match(all, /"msg":"shutting down"/, all);
      assert.match(all, /"msg":"stopped"/, all);
      assert.doesNotMatch(all, /second signal/, all);
      assert.doesNotMatch(all, /shutdown step failed/, all);
      assert.deepEqual(engine.leftovers(), [], 'a process outlived npm start');
      assert.ok(!existsSync(path.join(engine.dataDir, 'engine.json')), 'the engine file outlived npm start');
      assert.ok(!existsSync(path.join(engine.dataDir, 'pglite.lock')), 'the database lock outlived npm start');
      await assert.rejects(fetch(`http://127.0.0.1:${engine.port}/healthz`));
      await assert.rejects(fetch(`http://127.0.0.1:${engine.simPort}/connections`));
    } finally {
      engine.cleanup();
    }
  },
);
