import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { Db } from '../src/db/database';
import type { Logger } from '../src/log';
import { healthRouter } from './routes/health';

export interface WebDeps {
  db: Db;
  temporal: Client;
  log: Logger;
}

export function createApp(deps: WebDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  app.use(pinoHttp({ logger: deps.log, autoLogging: { ignore: (req) => req.url === '/healthz' } }));

  app.use(healthRouter(deps));

  app.get('/', (_req, res) => {
    res.type('text/plain').send('xero-sync is running. Admin pages are opened through signed links from the API; see README.md.\n');
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such route' });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    req.log.error({ err }, 'request failed');
    if (res.headersSent) return;
    res.status(500).json({ error: 'internal_error', message: 'Something went wrong; the error is in the server log.' });
  };
  app.use(onError);
  return app;
}
