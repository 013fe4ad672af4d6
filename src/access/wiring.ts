import type { Db } from '../db/database';
import type { Settings } from '../domain/settings';
import type { Logger } from '../log';
import type { EngineSecrets } from '../security/secrets';
import { createTokenCipher, type TokenCipher } from '../security/token-cipher';
import type { XeroAccessProvider } from '../xero/access';
import { createXeroIdentity, type XeroIdentity, type XeroIdentityOptions } from '../xero/identity';
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
   * What the sync side does when an admin's action changes an account (e.g. create, retime or delete
   * its contact-sync schedule). Failures are logged and do not undo the admin's action.
   */
  onConnected?: (accountId: string) => Promise<void>;
  onSettingsSaved?: (accountId: string, settings: Settings) => Promise<void>;
  onDisconnected?: (accountId: string) => Promise<void>;
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

export function buildAdminAccess(p: {
  db: Db;
  log: Logger;
  secrets: EngineSecrets;
  publicUrl: string;
  identity: XeroIdentityOptions;
}): AdminAccess {
  const cipher = createTokenCipher(p.secrets.tokenEncryptionKey);
  const identity = createXeroIdentity(p.identity);
  const xeroAccess = createXeroAccessProvider({ db: p.db, cipher, identity, log: p.log });
  return {
    cipher,
    sessionSecret: p.secrets.sessionSecret,
    publicUrl: p.publicUrl.replace(/\/+$/, ''),
    identity,
    xeroAccess,
    referenceData: createReferenceDataReader({ access: xeroAccess, apiUrl: p.identity.apiUrl }),
  };
}
