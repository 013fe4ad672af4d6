/**
 * `npm test`: starts ONE Temporal dev server (in memory) and bundles the workflows once for the
 * whole run, then hands every test file to node's test runner with their addresses in the env.
 * `npm test -- test/some.test.ts` runs only the files named.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../src/temporal/dev-server';
import { createLogger } from '../src/log';
import { WORKFLOWS_PATH } from '../src/worker';
import { freePort } from './support/free-port';

function findTestFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'support' || name === 'fixtures' ? [] : findTestFiles(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

async function main() {
  const started = Date.now();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : findTestFiles(path.join(__dirname)).sort();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-test-'));

  const port = await freePort();
  const [server, bundle] = await Promise.all([
    startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH || undefined, port, namespace: 'default', log }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn: (m) => log.warn(m), error: (m) => log.error(m), log() {} },
    }),
  ]);
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.stdout.write(`Temporal dev server at ${server.address} (${server.source}); ${files.length} test files\n`);

  // Test files mostly wait on servers (Temporal, PostgreSQL, the simulator, child processes): one more
  // than the cores keeps them busy (2 cores: 531 s instead of about 660 s, the CPU 80 % used).
  const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(3, os.availableParallelism() + 1));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEST_WORKFLOW_BUNDLE: bundlePath,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    },
  );
  const stopChild = () => child.kill('SIGTERM');
  process.on('SIGINT', stopChild);
  process.on('SIGTERM', stopChild);
  const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));

  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(`test wall time: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exit(code);
}

main().catch((err) => {
  process.stderr.write(`test run failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
