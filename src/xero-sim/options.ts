import { z } from 'zod';

/**
 * Everything a simulator run can be told, validated once at start. Durations are configurable so
 * tests and benchmarks can shrink Xero's minute and day without changing any rule.
 */

export const DEMO_CLIENT_ID = 'xero-sim-client';
export const DEMO_CLIENT_SECRET = 'xero-sim-secret';

export const appSchema = z.object({
  clientId: z.string().min(1),
  /** Absent for a public (PKCE-only) client. */
  clientSecret: z.string().min(1).optional(),
  name: z.string().default('Xero Sync (simulated app)'),
  /** Exact redirect URIs allowed; absent means any (the demo app's convenience). */
  redirectUris: z.array(z.string().url()).optional(),
});
export type SimApp = z.infer<typeof appSchema>;

export const limitsSchema = z.object({
  perMinute: z.number().int().positive().default(60),
  concurrent: z.number().int().positive().default(5),
  perDay: z.number().int().positive().default(5000),
  appPerMinute: z.number().int().positive().default(10_000),
});
export type Limits = z.infer<typeof limitsSchema>;

const looseRecord = z.record(z.string(), z.unknown());

/** An organisation to seed; anything not given comes from the standard demo chart (see seed.ts). */
export const organisationSeedSchema = z.object({
  tenantId: z.string().uuid().optional(),
  name: z.string().min(1),
  shortCode: z.string().optional(),
  baseCurrency: z.string().length(3).default('NZD'),
  countryCode: z.string().length(2).default('NZ'),
  /** YYYY-MM-DD: documents dated on or before are locked. */
  periodLockDate: z.string().optional(),
  endOfYearLockDate: z.string().optional(),
  accounts: z.array(looseRecord).optional(),
  taxRates: z.array(looseRecord).optional(),
  trackingCategories: z.array(looseRecord).optional(),
  brandingThemes: z.array(looseRecord).optional(),
  items: z.array(looseRecord).optional(),
  contacts: z.array(looseRecord).optional(),
});
export type OrganisationSeed = z.input<typeof organisationSeedSchema>;

export const webhookOptionsSchema = z.object({
  url: z.string().url(),
  key: z.string().min(1),
  /** Events raised within this window go out in one batch, as Xero batches them. */
  batchMs: z.number().int().nonnegative().default(100),
  retries: z.number().int().nonnegative().default(3),
  retryDelayMs: z.number().int().nonnegative().default(200),
});
export type WebhookOptions = z.infer<typeof webhookOptionsSchema>;

export const simulatorOptionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default('127.0.0.1'),
  minuteMs: z.number().positive().default(60_000),
  dayMs: z.number().positive().default(86_400_000),
  limits: limitsSchema.partial().default({}),
  idempotencyWindowMs: z
    .number()
    .positive()
    .default(6 * 60_000),
  accessTokenTtlMs: z
    .number()
    .positive()
    .default(30 * 60_000),
  refreshTokenTtlMs: z
    .number()
    .positive()
    .default(60 * 86_400_000),
  refreshGraceMs: z
    .number()
    .nonnegative()
    .default(30 * 60_000),
  authCodeTtlMs: z
    .number()
    .positive()
    .default(5 * 60_000),
  apps: z.array(appSchema).optional(),
  webhook: webhookOptionsSchema.optional(),
  seed: z.object({ organisations: z.array(organisationSeedSchema).min(1) }).optional(),
  /** Name and e-mail of the simulated Xero user who signs in on the authorize page. */
  user: z
    .object({ name: z.string(), email: z.string() })
    .default({ name: 'Demo User', email: 'demo.user@example.com' }),
  /** Keep every accounting answer in memory (tests check them against the OpenAPI description). */
  recordResponses: z.boolean().default(false),
  /** Request-log entries kept (oldest dropped first) so long benchmarks do not grow memory. */
  requestLogLimit: z.number().int().positive().default(10_000),
  /** Seed of the generator behind rate-based faults, so a failing run can be replayed. */
  faultSeed: z.number().int().default(1),
  /**
   * Keep the state (organisations, documents, apps, tokens, connections, kept Idempotency-Key
   * answers) in this JSON file: loaded at start when present, written atomically a moment after
   * each change and on close. Absent (tests, benchmarks): memory only.
   */
  persistPath: z.string().min(1).optional(),
  /** How soon after a change the state file is written. */
  persistDebounceMs: z.number().int().nonnegative().max(1000).default(250),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('silent'),
});
export type XeroSimulatorOptions = z.input<typeof simulatorOptionsSchema>;
export type ResolvedOptions = z.infer<typeof simulatorOptionsSchema>;

export function resolveOptions(input: XeroSimulatorOptions | undefined): ResolvedOptions {
  return simulatorOptionsSchema.parse(input ?? {});
}

export function resolveLimits(partial: Partial<Limits>): Limits {
  return limitsSchema.parse(partial);
}
