import http from 'node:http';
import type { Worker } from '@temporalio/worker';
import type { Logger } from '../log';
import { metricsAccess, metricsText, METRICS_CONTENT_TYPE } from './exposition';
import { readiness, timedCheck, type ShutdownState } from './probes';

/**
 * The worker process's own small HTTP server (WORKER_OPS_PORT): `/livez`, `/readyz` and `/metrics`.
 * A worker has no web server of its own, and orchestration needs something to probe and scrape.
 * Plain node:http: three routes do not need express's stack in the worker.
 */

export interface OpsServerOptions {
  host: string;
  /** 0: a free port (tests). */
  port: number;
  log: Logger;
  /** METRICS_TOKEN (see metricsAccess). */
  metricsToken?: string;
  /** The worker whose state readiness reports (RUNNING only is ready). */
  worker: () => Pick<Worker, 'getState'> | undefined;
  /** Reachability probes: the database and the Temporal connection the worker polls through. */
  database: () => Promise<unknown>;
  temporal: () => Promise<unknown>;
  shutdown?: ShutdownState;
  /** Per-check deadline. */
  checkTimeoutMs?: number;
}

export interface RunningOpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(text);
}

export async function startOpsServer(opts: OpsServerOptions): Promise<RunningOpsServer> {
  const timeoutMs = opts.checkTimeoutMs ?? 2_000;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method_not_allowed' });
    if (path === '/livez') return send(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void readiness(
        {
          worker: async () => {
            const state = opts.worker()?.getState() ?? 'NOT_CREATED';
            return { ok: state === 'RUNNING', state };
          },
          database: () => timedCheck(opts.database, timeoutMs),
          temporal: () => timedCheck(opts.temporal, timeoutMs),
        },
        opts.shutdown,
      ).then(
        (r) => send(res, r.ready ? 200 : 503, r.body),
        () => send(res, 503, { status: 'unavailable' }),
      );
      return;
    }
    if (path === '/metrics') {
      const access = metricsAccess(req, opts.metricsToken);
      if (!access.ok) return send(res, access.status, { error: 'forbidden', message: access.message });
      void metricsText().then(
        (text) => send(res, 200, text, METRICS_CONTENT_TYPE),
        (err: unknown) => {
          opts.log.error({ err }, 'metrics not rendered');
          send(res, 500, { error: 'internal_error' });
        },
      );
      return;
    }
    send(res, 404, { error: 'not_found' });
  });
  // A probe or scrape must never hold the process open at shutdown, nor a slow client the socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
