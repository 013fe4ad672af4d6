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
        extraArgs: searchAttributeArgs(),
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
