import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino from 'pino';
import { accountingHandler, API_PREFIX } from './accounting-api';
import { SimulatorControl } from './control';
import { controlRouter } from './control-api';
import { Faults } from './faults';
import { IdempotencyStore } from './idempotency';
import { identityRouter } from './identity';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  resolveLimits,
  resolveOptions,
  type SimApp,
  type XeroSimulatorOptions,
} from './options';
import { SimulatorPersistence } from './persistence';
import { RateLimiter } from './rate-limits';
import { Store } from './store';
import { WebhookSender } from './webhooks';

export type { XeroSimulatorOptions } from './options';
export { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './options';
export type { SimulatorControl } from './control';

/**
 * The Xero simulator: one origin serving Xero's login, identity, connections and accounting paths
 * (so the engine only swaps base URLs), plus the /__sim control API.
 */

export interface RunningXeroSimulator {
  /** e.g. http://127.0.0.1:54321 — the login, identity and API base URL alike. */
  url: string;
  /** In-process controls: the same powers as the /__sim control API. */
  sim: SimulatorControl;
  /** Where the state is kept (the `persistPath` option), if anywhere. */
  persistPath?: string;
  /** Writes the state file now if anything changed (close() does too). */
  flushState(): Promise<void>;
  close(): Promise<void>;
}

export async function startXeroSimulator(input?: XeroSimulatorOptions): Promise<RunningXeroSimulator> {
  const options = resolveOptions(input);
  const log = pino({ name: 'xero-sim', level: options.logLevel });
  const limits = resolveLimits(options.limits);
  const store = new Store(options, limits);
  const limiter = new RateLimiter(limits, options.minuteMs, options.dayMs);
  const idempotency = new IdempotencyStore(options.idempotencyWindowMs);
  const faults = new Faults(options.faultSeed);
  const webhooks = new WebhookSender(options.webhook);
  const apps: SimApp[] = options.apps ?? [
    { clientId: DEMO_CLIENT_ID, clientSecret: DEMO_CLIENT_SECRET, name: 'Xero Sync (demo)' },
  ];
  const control = new SimulatorControl(
    store,
    limiter,
    idempotency,
    faults,
    webhooks,
    options.seed?.organisations ?? [],
    apps,
  );
  control.reset();

  const persistence = options.persistPath
    ? new SimulatorPersistence({
        path: options.persistPath,
        store,
        idempotency,
        initialApps: apps,
        log,
        debounceMs: options.persistDebounceMs,
      })
    : undefined;
  if (persistence) {
    persistence.prepare();
    // A first start (or one after a bad file) writes the fresh state at once.
    if (persistence.load() !== 'loaded') persistence.markDirty();
  }
  // Anything but a read may change the state (accounting writes, token exchanges and refreshes,
  // consent, control calls): the state file follows shortly after.
  const sim: SimulatorControl = persistence ? markingChanges(control, () => persistence.markDirty()) : control;

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (persistence) {
    app.use((req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') res.once('close', () => persistence.markDirty());
      next();
    });
  }
  const handleAccounting = accountingHandler({ store, limiter, idempotency, faults, webhooks, log });
  app.use(API_PREFIX, (req, res) => {
    // Mounted handlers see a shortened url; the pipeline wants the full path.
    req.url = req.originalUrl;
    void handleAccounting(req, res);
  });
  app.use((req, res, next) => {
    if (req.path.startsWith('/__sim')) return next();
    const started = performance.now();
    res.once('finish', () =>
      store.logRequest({
        at: new Date(store.now()).toISOString(),
        method: req.method,
        path: req.originalUrl.split('?')[0] ?? req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      }),
    );
    next();
  });
  app.use(identityRouter(store));
  app.use(controlRouter(control));
  app.get('/in/:token', (req, res) => {
    for (const org of store.orgs.values()) {
      for (const inv of org.invoices.values()) {
        if (inv.onlineToken === req.params.token) {
          res
            .type('html')
            .send(
              `<!doctype html><meta charset="utf-8"><title>${org.Name} – Invoice ${inv.InvoiceNumber}</title><body style="font-family:system-ui;max-width:600px;margin:40px auto"><h1>${org.Name}</h1><p>Invoice ${inv.InvoiceNumber} · ${inv.Status} · total ${inv.totals.Total.toFixed(2)} ${inv.CurrencyCode}</p><p><small>Online invoice served by the Xero simulator.</small></p></body>`,
            );
          return;
        }
      }
    }
    res.status(404).type('text').send('Not found');
  });
  app.get('/', (_req, res) => {
    res
      .type('text')
      .send(
        `Xero simulator. Identity, connections and accounting (${API_PREFIX}) on this origin; control API at /__sim.\n`,
      );
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${address.port}`;
  store.baseUrl = url;
  log.info({ url }, 'xero simulator listening');

  return {
    url,
    sim,
    ...(options.persistPath ? { persistPath: options.persistPath } : {}),
    flushState: async () => persistence?.flush(),
    async close() {
      await webhooks.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await persistence?.close();
    },
  };
}

/** The in-process controls, each call marking the state changed (reads included: cheap, and safe). */
function markingChanges(control: SimulatorControl, changed: () => void): SimulatorControl {
  return new Proxy(control, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          changed();
        }
      };
    },
  });
}
