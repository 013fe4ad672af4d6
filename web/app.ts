import express, { type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Db } from '../src/db/database';
import type { Logger } from '../src/log';
import { healthRouter } from './routes/health';
import { metricsRouter } from './routes/metrics';
import type { ShutdownState } from '../src/metrics/probes';
import type { AdminAccess } from '../src/access/wiring';
import { requireApiKey } from './api/auth';
import { idempotency } from './api/idempotency';
import { apiJsonBody } from './api/json-body';
import { rejectUnsafePathParams } from './api/path-params';
import { requestLogger } from './log-redaction';
import { adminRouters } from './routes/admin';
import { apiAccountsRouter } from './routes/api-accounts';
import { ordersRouter } from './routes/orders';
import { documentsRouter } from './routes/documents';
import { exportsRouter } from './routes/exports';
import { documentLinksRouter } from './routes/document-links';
import { xeroWebhooksRouter, type XeroWebhooksDeps } from './routes/xero-webhooks';
import { contactsRouter } from './routes/contacts';
import { itemsRouter } from './routes/items';
import { xeroSearchRouter } from './routes/xero-search';
import { loadHostAccount } from './api/auth';
import { apiSyncRouter } from './routes/api-sync';
import { reconciliationRouter } from './routes/reconciliation';
import type { TemporalUi } from '../src/sync-log/failures';
import path from 'node:path';

export interface WebDeps {
  db: Db;
  temporal: Client;
  log: Logger;
  /** Host API, admin pages and the Xero connect flow; without it only /healthz answers (tests of other parts). */
  access?: AdminAccess;
  /** The worker's task queue, for order events (TEMPORAL_TASK_QUEUE; default `xero-sync`). */
  taskQueue?: string;
  /** Export workflow settings (tests: smaller waves, faster polling). */
  exportWorkflowInput?: Partial<import('../src/exports/messages').ExportWorkflowInput>;
  /** The Temporal Web UI (TEMPORAL_UI_URL or the dev server's), for "Open in Temporal" links. */
  temporalUi?: TemporalUi;
  /** Accept host URLs (webhooks, order PDFs) on loopback and private addresses (OUTBOUND_ALLOW_PRIVATE_NETWORKS; npm start). */
  allowPrivateNetworks?: boolean;
  /** METRICS_TOKEN: /metrics needs it as a bearer token; unset, /metrics answers loopback clients only. */
  metricsToken?: string;
  /** Shutdown has begun: /readyz answers 503. */
  shutdown?: ShutdownState;
  /** A worker in this process (npm start): /readyz includes its state. */
  workerState?: () => string;
  /** XERO_WEBHOOK_KEY, or npm start's simulator key: POST /webhooks/xero refuses everything without one. */
  xeroWebhookKey?: string;
  /** The per-organisation Xero changes workflow's settings (tests: shorter debounce). */
  xeroChangesInput?: XeroWebhooksDeps['workflowInput'];
}

export function createApp(deps: WebDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  // One short line per request (method, path, status, ms); successful reads at debug level.
  app.use(
    requestLogger(deps.log, {
      ignore: (url) => url === '/healthz' || url === '/livez' || url === '/readyz' || url === '/metrics',
    }),
  );

  app.use(healthRouter(deps));
  app.use(metricsRouter({ ...(deps.metricsToken ? { token: deps.metricsToken } : {}), log: deps.log }));
  app.use(documentLinksRouter());
  // Xero's webhooks: signed over the raw bytes, so mounted before anything that parses JSON.
  app.use(
    xeroWebhooksRouter({
      db: deps.db,
      temporal: deps.temporal,
      log: deps.log,
      taskQueue: deps.taskQueue ?? 'xero-sync',
      ...(deps.xeroWebhookKey ? { webhookKey: deps.xeroWebhookKey } : {}),
      ...(deps.xeroChangesInput ? { workflowInput: deps.xeroChangesInput } : {}),
    }),
  );
  app.use('/assets', express.static(path.join(__dirname, 'public'), { maxAge: '1h', index: false }));

  if (deps.access) {
    // Everything under /api/v1 needs an API key, routes added later included.
    app.use('/api/v1', requireApiKey(deps.db));
    // Then, for every route: safe path parameters; the body parsed once, with the route's limit and
    // checked for text that cannot be stored; and Idempotency-Key, which needs that body to hash.
    app.use('/api/v1', rejectUnsafePathParams(), apiJsonBody(), idempotency({ db: deps.db }));
    // Before contactsRouter, so the search answers without passing through its `/xero` routes.
    app.use(
      '/api/v1',
      xeroSearchRouter({ xeroCall: deps.access.xeroCall, log: deps.log, loadAccount: loadHostAccount(deps.db) }),
    );
    app.use(
      '/api/v1',
      contactsRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
      }),
    );
    app.use(
      '/api/v1',
      itemsRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
      }),
    );
    app.use('/api/v1', apiAccountsRouter({ db: deps.db, log: deps.log, access: deps.access }));
    app.use(
      '/api/v1',
      documentsRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
        allowPrivateNetworks: deps.allowPrivateNetworks === true,
        xeroCall: deps.access.xeroCall,
      }),
    );
    app.use(
      '/api/v1',
      exportsRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
        ...(deps.exportWorkflowInput ? { workflowInput: deps.exportWorkflowInput } : {}),
      }),
    );
    app.use(
      '/api/v1',
      ordersRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
        allowPrivateNetworks: deps.allowPrivateNetworks === true,
      }),
    );
    app.use(
      '/api/v1',
      apiSyncRouter({
        db: deps.db,
        cipher: deps.access.cipher,
        allowPrivateNetworks: deps.allowPrivateNetworks === true,
        loadAccount: loadHostAccount(deps.db),
        ...(deps.temporalUi ? { temporalUi: deps.temporalUi } : {}),
      }),
    );
    app.use(
      '/api/v1',
      reconciliationRouter({
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: deps.taskQueue ?? 'xero-sync',
        loadAccount: loadHostAccount(deps.db),
      }),
    );
    const sync = { temporal: deps.temporal, ...(deps.temporalUi ? { temporalUi: deps.temporalUi } : {}) };
    const contacts = { temporal: deps.temporal, taskQueue: deps.taskQueue ?? 'xero-sync' };
    const { admin, connect } = adminRouters({
      db: deps.db,
      log: deps.log,
      access: deps.access,
      sync,
      contacts,
      reconciliation: contacts,
    });
    app.use('/admin', admin);
    app.use('/connect', connect);
  }

  app.get('/', (_req, res) => {
    res
      .type('text/plain')
      .send('xero-sync is running. Admin pages are opened through signed links from the API; see README.md.\n');
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
