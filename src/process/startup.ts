import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../log';

/** Loads config or exits with a message naming the bad variables: start-up must fail loudly and fast. */
export function configOrExit(): { cfg: Config; log: Logger } {
  try {
    const cfg = loadConfig();
    return { cfg, log: createLogger(cfg.LOG_LEVEL) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`xero-sync: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function exitOnStartupError(log: Logger, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  log.fatal({ err }, 'start-up failed');
  process.stderr.write(`xero-sync: start-up failed: ${message}\n`);
  process.exit(1);
}

/** Runs a one-shot command: exits with its code, or 1 with `<name>: <message>` when it throws. */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}

type Step = { name: string; run: () => Promise<unknown> };

/**
 * Signals this soon after the first are the same Ctrl-C delivered again (by a parent process that
 * forwards it, or to each process of the terminal's group), not a second request: they are ignored.
 */
export const DUPLICATE_SIGNAL_MS = 1_000;

let startupHandler: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * Until onShutdown is installed, Ctrl-C exits at once, through process.exit so the 'exit' hooks run
 * (the Temporal dev server is killed, the embedded database's lock released): without a handler
 * node would die of the signal and skip them.
 */
export function exitOnSignalDuringStartup(log: Logger): void {
  startupHandler = (signal) => {
    log.warn({ signal }, 'stopped during start-up');
    process.exit(130);
  };
  process.on('SIGINT', startupHandler);
  process.on('SIGTERM', startupHandler);
}

/**
 * Runs shutdown steps in order on SIGINT/SIGTERM, so in-flight work finishes or is handed back and
 * no child process (the Temporal dev server) outlives us. A second Ctrl-C (a second later or more)
 * forces exit.
 */
/** How long one shutdown step may take before the next one goes on without it. */
const SHUTDOWN_STEP_TIMEOUT_MS = 10_000;

export function onShutdown(log: Logger, steps: Step[]): void {
  if (startupHandler) {
    process.removeListener('SIGINT', startupHandler);
    process.removeListener('SIGTERM', startupHandler);
    startupHandler = undefined;
  }
  let firstSignalAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
        log.debug({ signal }, 'signal repeated while stopping: ignored');
        return;
      }
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log.info({ signal }, 'shutting down');
    void (async () => {
      for (const step of steps) {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          // A step that hangs must not keep the rest (and the dev server child) running for ever.
          const outcome = await Promise.race([
            step.run().then(() => 'done' as const),
            new Promise<'timed out'>((resolve) => {
              timer = setTimeout(() => resolve('timed out'), SHUTDOWN_STEP_TIMEOUT_MS);
            }),
          ]);
          if (outcome === 'timed out')
            log.warn(
              { step: step.name, ms: SHUTDOWN_STEP_TIMEOUT_MS },
              'shutdown step did not finish in time: going on',
            );
          else log.debug({ step: step.name, ms: Date.now() - started }, 'stopped');
        } catch (err) {
          log.error({ err, step: step.name }, 'shutdown step failed');
        } finally {
          clearTimeout(timer);
        }
      }
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
