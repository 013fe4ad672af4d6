import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/log';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { createWorker } from '../../src/worker';
import type { ActivityDeps } from '../../activities';
import { freePort } from './free-port';

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  /**
   * A worker on a fresh task queue, so test files never steal each other's tasks; or on `taskQueue`
   * (a second worker, or a replacement for one that was stopped mid-step).
   */
  startWorker(
    deps: ActivityDeps,
    taskQueue?: string,
  ): Promise<{ taskQueue: string; worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Connects to the run's shared dev server (TEMPORAL_ADDRESS, set by test/run.ts), or starts one
 * when a test file is run on its own.
 */
export async function testTemporal(): Promise<TestTemporal> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ logger: quietLogger() });
  }
  let own: RunningDevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    own = await startDevServer({ port: await freePort(), namespace: 'default', log: createLogger('warn') });
    address = own.address;
  }
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const namespace = 'default';
  const client = new Client({ connection, namespace });
  const workers: Array<() => Promise<void>> = [];
  return {
    address,
    namespace,
    client,
    nativeConnection,
    async startWorker(deps, queue) {
      const taskQueue = queue ?? `test-${randomUUID()}`;
      const worker = await createWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        deps,
        workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE || undefined,
        shutdownGraceTime: '2s',
      });
      const running = worker.run();
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        worker.shutdown();
        await running;
      };
      workers.push(stop);
      return { taskQueue, worker, stop };
    },
    async close() {
      for (const stop of workers) await stop();
      await nativeConnection.close();
      await connection.close();
      await own?.stop();
    },
  };
}

function quietLogger() {
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  return {
    log: (level: string, message: string, meta?: Record<string, unknown>) =>
      level === 'ERROR' ? log.error(meta ?? {}, message) : level === 'WARN' ? log.warn(meta ?? {}, message) : undefined,
    trace() {},
    debug() {},
    info() {},
    warn: (message: string, meta?: Record<string, unknown>) => log.warn(meta ?? {}, message),
    error: (message: string, meta?: Record<string, unknown>) => log.error(meta ?? {}, message),
  };
}
