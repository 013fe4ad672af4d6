import { timingSafeEqual, createHash } from 'node:crypto';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { TelemetryOptions } from '@temporalio/worker';
import { Gauge } from 'prom-client';
import { registry } from './registry';

/**
 * What one scrape of /metrics answers: the engine's registry and, in a process that runs a
 * Temporal worker, the SDK runtime's own metrics. The runtime serves those on an HTTP endpoint of
 * its own (Rust core); it is bound to a loopback port and read on each scrape, so each process is
 * one scrape target on one port.
 */

let runtimeMetricsUrl: string | undefined;

const runtimeUp = new Gauge({
  name: 'xero_sync_temporal_runtime_metrics_up',
  help: "Whether the Temporal SDK runtime's metrics were read for this scrape (1) or not (0).",
  registers: [],
});

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The runtime's Prometheus exporter options: on `bindAddress` when given (host:port, to scrape it
 * directly too), else on a free loopback port only this process reads. Metric names keep the SDK's
 * defaults (`temporal_` prefix, milliseconds), the ones Temporal's published SDK dashboards use.
 */
export async function runtimeMetricsTelemetry(bindAddress?: string): Promise<TelemetryOptions> {
  const address = bindAddress ?? `127.0.0.1:${await freeLoopbackPort()}`;
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)];
  const readHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  if (!runtimeMetricsUrl) registry.registerMetric(runtimeUp);
  runtimeMetricsUrl = `http://${readHost}:${port}/metrics`;
  return { metrics: { prometheus: { bindAddress: address } } };
}

async function runtimeText(): Promise<string> {
  if (!runtimeMetricsUrl) return '';
  try {
    const res = await fetch(runtimeMetricsUrl, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    runtimeUp.set(1);
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch {
    runtimeUp.set(0);
    return '';
  }
}

export const METRICS_CONTENT_TYPE = registry.contentType;

/** The whole exposition text of this process. */
export async function metricsText(): Promise<string> {
  // The runtime is read first so xero_sync_temporal_runtime_metrics_up describes this very scrape.
  const runtime = await runtimeText();
  return (await registry.metrics()) + runtime;
}

export type MetricsAccess = { ok: true } | { ok: false; status: 401 | 403; message: string };

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function sameSecret(given: string, expected: string): boolean {
  // Hashed first so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Who may read /metrics (volumes per document kind, backlog sizes: business figures).
 * With METRICS_TOKEN set: whoever sends `Authorization: Bearer <token>`.
 * Without it: only a client on this machine talking to us directly (loopback, nothing forwarded
 * by a proxy), which keeps `npm start` and a local curl simple and never opens the figures to a
 * network by accident.
 */
export function metricsAccess(req: IncomingMessage, token: string | undefined): MetricsAccess {
  if (token) {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && sameSecret(match[1]!.trim(), token)) return { ok: true };
    return { ok: false, status: 401, message: 'metrics need Authorization: Bearer <METRICS_TOKEN>' };
  }
  const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  if (isLoopback(req.socket.remoteAddress) && !forwarded) return { ok: true };
  return {
    ok: false,
    status: 403,
    message: 'metrics are served to this machine only; set METRICS_TOKEN to scrape them from elsewhere',
  };
}
