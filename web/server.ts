import http from 'node:http';
import type express from 'express';

export interface RunningWebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How long requests in progress may finish after close() before their connections are cut. */
const CLOSE_GRACE_MS = 2_000;

export async function listen(
  app: express.Express,
  port: number,
  host: string,
  closeGraceMs = CLOSE_GRACE_MS,
): Promise<RunningWebServer> {
  const server = http.createServer(app);
  const inProgress = new Set<http.ServerResponse>();
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inProgress.add(res);
    res.once('close', () => inProgress.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}`,
    port: actualPort,
    close: () => closeGracefully(server, inProgress, closeGraceMs),
  };
}

/**
 * server.close() alone waits for every keep-alive connection to go quiet, and an open admin page
 * that polls keeps its connection busy, so Ctrl-C waited out the shutdown step's whole timeout.
 * Instead: stop accepting, answer what is in progress (and any request already on its way) with
 * `Connection: close`, drop idle connections at once and cut whatever is left after the grace.
 */
function closeGracefully(server: http.Server, inProgress: Set<http.ServerResponse>, graceMs: number): Promise<void> {
  const lastOnThisConnection = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  return new Promise<void>((resolve) => {
    for (const res of inProgress) lastOnThisConnection(res);
    server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) =>
      lastOnThisConnection(res),
    );
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
