import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './support/free-port';

/** Processes whose command line mentions `needle` (the run's unique data dir). */
function processesMentioning(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', needle], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test('npm start on embedded defaults: prints both URLs, /healthz is 200, Ctrl-C leaves nothing behind', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-start-'));
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), TEMPORAL_DEV_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), LOG_LEVEL: 'warn' };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'main.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!output.includes('Press Ctrl-C') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    assert.match(output, new RegExp(`Admin URL:\\s+http://localhost:${port}`), output);
    assert.match(output, new RegExp(`Temporal UI URL:\\s+http://localhost:${uiPort}`), output);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean } } };
    assert.deepEqual([body.checks.database.ok, body.checks.temporal.ok], [true, true]);
    // The Web UI really is on.
    assert.equal((await fetch(`http://127.0.0.1:${uiPort}/`)).status, 200);
    // State is persisted under DATA_DIR.
    assert.ok(existsSync(path.join(dataDir, 'temporal.db')), 'temporal state is not in DATA_DIR');
    assert.ok(existsSync(path.join(dataDir, 'pglite')), 'PGlite data is not in DATA_DIR');
    assert.ok(processesMentioning(dataDir).length > 0, 'the dev server process was not found');

    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.deepEqual(processesMentioning(dataDir), [], 'a process outlived npm start');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of processesMentioning(dataDir)) process.kill(Number(pid), 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
