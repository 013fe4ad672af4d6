import type { Db } from '../db/database';
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
  /** After a disconnect: stop the account's schedules (the sync side wires this). */
  onDisconnected?: (accountId: string) => Promise<void>;
}

export function buildAdminAccess(p: { db: Db; log: Logger; secrets: EngineSecrets; publicUrl: string; identity: XeroIdentityOptions }): AdminAccess {
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
