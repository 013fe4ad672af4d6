import type { Config } from '../config';
import type { Db } from '../db/database';
import type { Settings } from '../domain/settings';
import type { Logger } from '../log';
import type { EngineSecrets } from '../security/secrets';
import { createTokenCipher, type TokenCipher } from '../security/token-cipher';
import type { XeroAccessProvider } from '../xero/access';
import { createXeroIdentity, type XeroIdentity, type XeroIdentityOptions } from '../xero/identity';
import { createXeroGateway, type XeroGateway } from '../xero/gateway';
import { createRateLimiter, XERO_LIMITS, type RateLimiterOptions, type RateLimits } from '../xero/rate-limiter';
import { createReferenceDataReader, type ReferenceDataReader } from '../xero/reference-data';
import { createXeroAccessProvider } from '../xero/token-provider';

/** Everything the API, admin pages and connect flow need beyond the database and the logger. */
export interface AdminAccess {
  cipher: TokenCipher;
  /** Signs admin links and CSRF tokens. */
  sessionSecret: string;
  /** Where admins' browsers and Xero's redirect reach the web server. */
  publicUrl: string;
  identity: XeroIdentity;
  xeroAccess: XeroAccessProvider;
  referenceData: ReferenceDataReader;
  /**
   * One read through the gateway (token, a limiter permit, typed errors) for what the web side asks
   * Xero live, e.g. the host's contact search (src/xero/contact-search.ts). Reads only: nothing batched.
   */
  xeroCall: XeroGateway['call'];
  /** The per-tenant limits the workers' limiter applies (XERO_RATE_*), for the Xero budget the API and pages show. */
  xeroLimits?: RateLimits;
  /**
   * What the sync side does when an admin's action changes an account (e.g. create, retime or delete
   * its contact-sync schedule). Failures are logged and do not undo the admin's action.
   */
  onConnected?: (accountId: string) => Promise<void>;
  onSettingsSaved?: (accountId: string, settings: Settings) => Promise<void>;
  onDisconnected?: (accountId: string) => Promise<void>;
  /**
   * What the sign-in pages (invalid, expired or used link; session ended) tell the admin to do for a
   * new link. Default: open the Xero settings again from the business app; `npm start` names its command.
   */
  signInHint?: string;
}

/** Runs one of the hooks above; a failing hook is logged, never thrown at the admin. */
export async function runAccessHook(log: Logger, name: string, hook: (() => Promise<void>) | undefined): Promise<void> {
  if (!hook) return;
  try {
    await hook();
  } catch (err) {
    log.error({ err, hook: name }, 'account hook failed');
  }
}

/** Xero's limits as configured (XERO_RATE_*), for every process that calls Xero. */
export function rateLimitsFromConfig(cfg: Config): RateLimits {
  return {
    perMinute: cfg.XERO_RATE_PER_MINUTE,
    perDay: cfg.XERO_RATE_PER_DAY,
    concurrent: cfg.XERO_RATE_CONCURRENT,
    appPerMinute: cfg.XERO_APP_RATE_PER_MINUTE,
  };
}

/** The limiter's options as configured, for every process that calls Xero (workers and web share its state). */
export function limiterOptionsFromConfig(cfg: Config): Omit<RateLimiterOptions, 'db'> {
  return { limits: rateLimitsFromConfig(cfg), outage: { probeMaxMs: cfg.XERO_OUTAGE_PROBE_MAX_MS } };
}

export function buildAdminAccess(p: {
  db: Db;
  log: Logger;
  secrets: EngineSecrets;
  publicUrl: string;
  identity: XeroIdentityOptions;
  /** The limits the workers use (XERO_RATE_*): the web process shares their per-tenant budget. Xero's own when absent. */
  rateLimits?: Partial<RateLimits>;
  /** The rest of the limiter's options (outage probing, window lengths shrunk in tests). */
  limiter?: Omit<RateLimiterOptions, 'db' | 'limits'>;
}): AdminAccess {
  const cipher = createTokenCipher(p.secrets.tokenEncryptionKey);
  const identity = createXeroIdentity(p.identity);
  const xeroAccess = createXeroAccessProvider({ db: p.db, cipher, identity, log: p.log });
  // Reads only, one at a time: nothing to batch.
  const gateway = createXeroGateway({
    access: xeroAccess,
    limiter: createRateLimiter({ ...p.limiter, db: p.db, ...(p.rateLimits ? { limits: p.rateLimits } : {}) }),
    apiUrl: p.identity.apiUrl,
    batchWindowMs: 0,
  });
  return {
    cipher,
    sessionSecret: p.secrets.sessionSecret,
    publicUrl: p.publicUrl.replace(/\/+$/, ''),
    identity,
    xeroAccess,
    referenceData: createReferenceDataReader({ access: xeroAccess, gateway }),
    xeroCall: gateway.call,
    xeroLimits: { ...XERO_LIMITS, ...p.rateLimits },
  };
}
