import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from './find-cli';
import { SEARCH_ATTRIBUTES } from './search-attributes';
import type { Logger } from '../log';

export interface DevServerOptions {
  cliPath?: string;
  ip?: string;
  port: number;
  /** undefined = no Web UI (tests). */
  uiPort?: number;
  /** Persist state in this SQLite file; undefined = in memory. */
  dbFilename?: string;
  namespace: string;
  log: Logger;
  readyTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  source: 'cli' | 'sdk-download';
  /** The server's process when this process started it (the bench reads its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

const TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${TYPE_NAMES[k.type]}`]);
}

/**
 * Server dynamic config passed to the dev server as `--dynamic-config-value` (docker compose:
 * deploy/temporal/dynamicconfig.yaml). Bulk exports run at a lower `priorityKey` than live document
 * syncs and carry the account as `fairnessKey`; without these the server ignores both and serves a
 * backlog first in, first out (test/task-queue-priority.test.ts measures it).
 * - `matching.useNewMatcher`: matching's priority-aware matcher, which honours `priorityKey`
 *   (default true since server 1.31, false in 1.29/1.30: set so it never depends on the version).
 * - `matching.enableFairness`: fairness-keyed backlogs, which honour `fairnessKey`/`fairnessWeight`
 *   (implies the new matcher; default false). Server ≥ 1.30 drains a queue's existing backlog after
 *   the switch.
 * - `matching.numTaskqueueWritePartitions` 1 (default 4): priority and fairness hold within one
 *   partition of a task queue, across 4 they are approximate (measured: a same-priority latecomer
 *   queued behind 17 tasks ran 8th–15th of 21 instead of last). One partition is plenty for a
 *   single-process dev server; the read partitions stay at 4, so tasks already written to the others
 *   (a persisted `npm start` database) still drain.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'matching.numTaskqueueWritePartitions': 1,
};

export function dynamicConfigArgs(values: Readonly<Record<string, unknown>> = DEV_SERVER_DYNAMIC_CONFIG): string[] {
  // The CLI parses each value as JSON.
  return Object.entries(values).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}

/**
 * Starts `temporal server start-dev` as a child process this process owns (and kills on exit),
 * found via TEMPORAL_CLI_PATH or PATH; without either, falls back to the SDK's own download.
 */
export async function startDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const cli = findTemporalCli(opts.cliPath);
  const args = [
    '--ip',
    ip,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'error',
    ...searchAttributeArgs(),
    ...dynamicConfigArgs(),
  ];
  if (opts.dbFilename) {
    mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
    args.push('--db-filename', opts.dbFilename);
  }
  if (opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort), '--ui-disable-news-fetch');

  const address = `${ip}:${opts.port}`;
  const uiUrl = opts.uiPort === undefined ? undefined : `http://localhost:${opts.uiPort}`;

  if (!cli) {
    opts.log.warn('temporal CLI not found on TEMPORAL_CLI_PATH or PATH; using the SDK download (needs internet)');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip,
        port: opts.port,
        namespace: opts.namespace,
        dbFilename: opts.dbFilename,
        ui: opts.uiPort !== undefined,
        uiPort: opts.uiPort,
        extraArgs: [...searchAttributeArgs(), ...dynamicConfigArgs()],
      },
    });
    return { address: env.address, uiUrl, source: 'sdk-download', stop: () => env.teardown() };
  }

  const child = spawn(cli, ['server', 'start-dev', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  try {
    await waitUntilServing(address, child, opts.readyTimeoutMs ?? 60_000, () => exited);
  } catch (err) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    throw new Error(
      `Temporal dev server (${cli}) did not start on ${address}: ${(err as Error).message}\n${output.join('')}`,
      { cause: err },
    );
  }
  opts.log.debug({ address, uiUrl, cli }, 'temporal dev server ready');

  return {
    address,
    uiUrl,
    source: 'cli',
    pid: child.pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

async function waitUntilServing(
  address: string,
  child: ChildProcess,
  timeoutMs: number,
  hasExited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`the process exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`timed out after ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no answer'})`);
}
