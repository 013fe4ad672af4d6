import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Starts ./order-worker-process.ts in a process of its own with this config; `ready` resolves when it
 * polls, and rejects if it exits first (awaited later by the caller, so never an unhandled rejection).
 */
export function spawnOrderWorker(config: Record<string, unknown>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'order-worker-process.ts')], {
    env: { ...process.env, ORDER_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code, signal) => reject(new Error(`worker process exited (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}
