import { z } from 'zod';
import {
  resolveTemporalConnection,
  TemporalConfigError,
  temporalConnectionEnvShape,
} from './temporal/connection-options';

/**
 * Every setting the engine reads from its environment, parsed once at start-up.
 * A wrong value stops the process with the variable's name and what was expected,
 * because a half-configured sync engine is worse than one that refuses to start.
 */

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const postgresUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'postgres:' || u.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'expected a PostgreSQL connection URL such as postgres://user:password@host:5432/database');

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. localhost:7233');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const DEFAULT_XERO_SCOPES =
  'openid profile email offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings accounting.attachments';

export const configSchema = z.object({
  LOG_LEVEL: logLevel.default('info'),
  DATA_DIR: z.string().trim().min(1).default('./data'),

  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), httpUrl.optional()),

  DATABASE_URL: z.preprocess((v) => (v === '' ? undefined : v), postgresUrl.optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  TEMPORAL_ADDRESS: z.preprocess((v) => (v === '' ? undefined : v), hostPort.optional()),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('xero-sync'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.preprocess((v) => (v === '' ? undefined : v), httpUrl.optional()),
  /** TLS, mTLS, API key and env-config profile: Temporal's own names (src/temporal/connection-options.ts). */
  ...temporalConnectionEnvShape,

  XERO_CLIENT_ID: optionalString,
  XERO_CLIENT_SECRET: optionalString,
  XERO_SCOPES: z.string().trim().min(1).default(DEFAULT_XERO_SCOPES),
  XERO_LOGIN_URL: httpUrl.default('https://login.xero.com'),
  XERO_IDENTITY_URL: httpUrl.default('https://identity.xero.com'),
  XERO_API_URL: httpUrl.default('https://api.xero.com'),
  XERO_SIM_PORT: port.default(4010),
  /** The webhook key Xero shows for the app's webhook subscription; unset: POST /webhooks/xero answers 401. */
  XERO_WEBHOOK_KEY: optionalString,

  TOKEN_ENCRYPTION_KEY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, 'expected 32 bytes as 64 hex characters or 44 base64 characters')
      .optional(),
  ),
  SESSION_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'expected at least 32 characters').optional(),
  ),

  /** A closed order (paid in full or cancelled) completes its workflow after this long without events. */
  ORDER_QUIET_PERIOD_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(3_600),
  /** Xero's per-tenant limits; lower them for an organisation on Xero's smallest tier (1,000 a day). */
  XERO_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(60).default(60),
  XERO_RATE_PER_DAY: z.coerce.number().int().min(1).max(5_000).default(5_000),
  XERO_RATE_CONCURRENT: z.coerce.number().int().min(1).max(5).default(5),
  /** Xero's limit for the whole app, every organisation together; lower it to leave room for another install of the same app. */
  XERO_APP_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10_000),
  /** While Xero answers an organisation only with 5xx or not at all, one call probes it at a time, spaced 1 s, 2 s, 4 s… up to this. */
  XERO_OUTAGE_PROBE_MAX_MS: z.coerce.number().int().min(100).max(300_000).default(5_000),
  /** Invoice creations/look-ups for one organisation within this many ms share one Xero request; 0 = off. */
  XERO_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(2_000).default(20),
  /** Activities one worker runs at once (they mostly wait on Xero): more let larger batches form. */
  WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(10_000).default(400),
  /**
   * Once an organisation has used a sixth of its minute, its batched creates wait up to this many ms
   * for company, so a burst goes in full batches instead of using its minute on half-empty ones; 0 = off.
   */
  XERO_BUSY_BATCH_HOLD_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  /** Let the worker fetch host PDFs from, and send webhooks to, loopback and private addresses (off: SSRF). */
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.stringbool({ error: 'expected true or false' }).default(false),
  ),

  /** Bearer token for /metrics (web and worker). Unset: /metrics answers loopback clients only. */
  METRICS_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().trim().min(16, 'expected at least 16 characters').optional(),
  ),
  /** The worker's ops server (/livez, /readyz, /metrics); 0 = a free port, logged at start. */
  WORKER_OPS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  WORKER_OPS_PORT: port.default(9464),
  /** Where the Temporal SDK runtime serves its own Prometheus metrics (host:port); unset: a private loopback port, merged into /metrics. */
  TEMPORAL_METRICS_BIND_ADDRESS: z.preprocess((v) => (v === '' ? undefined : v), hostPort.optional()),
  /** On SIGTERM, readiness answers 503 for this long before the web server stops taking connections (load balancers drain). */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().int().min(0).max(9).default(0),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) {
    const cfg = result.data;
    if (Boolean(cfg.XERO_CLIENT_ID) !== Boolean(cfg.XERO_CLIENT_SECRET)) {
      throw new ConfigError([
        'XERO_CLIENT_ID and XERO_CLIENT_SECRET: set both (real Xero) or neither (the Xero simulator)',
      ]);
    }
    // Certificates, keys and the profile file are read and checked now, not at the first connection.
    try {
      resolveTemporalConnection(env);
    } catch (err) {
      if (err instanceof TemporalConfigError) throw new ConfigError(err.issues);
      throw err;
    }
    return cfg;
  }
  const issues = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const given = env[name];
    // Never echo the value of something that may be a secret.
    const shown = given === undefined || /SECRET|KEY|PASSWORD|URL|TOKEN/.test(name) ? '' : ` (got "${given}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(issues);
}

/** True when no real Xero app is configured, so the engine talks to the simulator. */
export function usesXeroSimulator(cfg: Config): boolean {
  return !cfg.XERO_CLIENT_ID;
}

export function publicUrl(cfg: Config): string {
  return cfg.PUBLIC_URL ?? `http://localhost:${cfg.PORT}`;
}
