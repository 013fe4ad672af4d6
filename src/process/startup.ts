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
 * Runs shutdown steps in order on SIGINT/SIGTERM (a second signal forces exit), so in-flight work
 * finishes or is handed back and no child process (the Temporal dev server) outlives us.
 */
export function onShutdown(log: Logger, steps: Step[]): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    void (async () => {
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          log.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
