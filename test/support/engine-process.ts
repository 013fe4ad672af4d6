import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

/** `npm start` (src/main.ts) as a child process on free ports and a fresh DATA_DIR, as a newcomer runs it. */
export interface EngineProcess {
  dataDir: string;
  port: number;
  uiPort: number;
  simPort: number;
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output, or rejects when the process exits first or time runs out. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Processes whose command line mentions the DATA_DIR (the dev server's does). */
  leftovers(): string[];
  /** Ctrl-C (to the whole process group with `viaNpm`, as a terminal sends it); resolves with the exit code. */
  interrupt(): Promise<number | null>;
  /** Kills whatever is left and removes DATA_DIR. */
  cleanup(): void;
}

/**
 * `viaNpm`: run `npm start` itself in a process group of its own (npm → sh → node), and Ctrl-C the
 * group as a terminal does; `interrupt()` then resolves with npm's code (130 or null: npm ends by the signal).
 */
export async function startEngineProcess(
  extraEnv: NodeJS.ProcessEnv = {},
  opts: { viaNpm?: boolean } = {},
): Promise<EngineProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xero-sync-start-'));
  const [port, temporalPort, uiPort, simPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    XERO_SIM_PORT: String(simPort),
    LOG_LEVEL: process.env.ENGINE_LOG_LEVEL ?? 'warn',
    ...extraEnv,
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  const child = opts.viaNpm
    ? spawn('npm', ['start', '--silent'], {
        env,
        cwd: path.join(__dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'main.ts')], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  const signal = (name: NodeJS.Signals) => {
    if (opts.viaNpm) process.kill(-child.pid!, name);
    else child.kill(name);
  };
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const leftovers = () => {
    try {
      return execFileSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };
  return {
    dataDir,
    port,
    uiPort,
    simPort,
    child,
    output: () => output,
    async waitFor(re, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(output);
        if (m) return m;
        if (child.exitCode !== null)
          throw new Error(`npm start exited (${child.exitCode}) before printing ${re}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`npm start did not print ${re} in ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    leftovers,
    async interrupt() {
      signal('SIGINT');
      return exited;
    },
    cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          signal('SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const pid of leftovers()) process.kill(Number(pid), 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
