import { Runtime, type TelemetryOptions } from '@temporalio/worker';
import type { Logger } from '../log';

let installed = false;

/**
 * Installs the Temporal runtime without its own signal handlers: the engine shuts its parts
 * down in order itself (web, then worker, then connections, then the dev server).
 */
export function installTemporalRuntime(log: Logger, opts: { telemetryOptions?: TelemetryOptions } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    shutdownSignals: [],
    // The runtime's own Prometheus exporter (src/metrics/exposition.ts merges it into /metrics).
    ...(opts.telemetryOptions ? { telemetryOptions: opts.telemetryOptions } : {}),
    logger: {
      log: (level, message, meta) =>
        log[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'info')]({ ...meta }, message),
      trace: (message, meta) => log.trace({ ...meta }, message),
      debug: (message, meta) => log.debug({ ...meta }, message),
      info: (message, meta) => log.info({ ...meta }, message),
      warn: (message, meta) => log.warn({ ...meta }, message),
      error: (message, meta) => log.error({ ...meta }, message),
    },
  });
}
