import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../log';
import { parseEncryptionKey } from './token-cipher';

/** The two secrets the web server and worker need: one encrypts tokens at rest, one signs links and sessions. */
export interface EngineSecrets {
  tokenEncryptionKey: Buffer;
  sessionSecret: string;
}

const devSecretsFile = z.object({ TOKEN_ENCRYPTION_KEY: z.string(), SESSION_SECRET: z.string().min(32) });

export const DEV_SECRETS_FILE = 'dev-secrets.json';

/**
 * Production (separate web and worker processes): both secrets must come from the environment, since
 * a generated key that differs between processes, or is lost on redeploy, makes every stored token
 * unreadable.
 */
export function requireSecrets(cfg: Config): EngineSecrets {
  const missing = [
    cfg.TOKEN_ENCRYPTION_KEY
      ? undefined
      : 'TOKEN_ENCRYPTION_KEY: required (32 random bytes as 64 hex characters, e.g. `openssl rand -hex 32`)',
    cfg.SESSION_SECRET
      ? undefined
      : 'SESSION_SECRET: required (at least 32 random characters, e.g. `openssl rand -base64 48`)',
  ].filter((m): m is string => Boolean(m));
  if (missing.length > 0) throw new Error(missing.join('; '));
  return { tokenEncryptionKey: parseEncryptionKey(cfg.TOKEN_ENCRYPTION_KEY!), sessionSecret: cfg.SESSION_SECRET! };
}

/**
 * `npm start` on a fresh clone: whatever is not in the environment is generated once and kept in
 * `$DATA_DIR/dev-secrets.json` (mode 0600), so tokens stored by an earlier run stay readable.
 * A development convenience only, and logged as such.
 */
export function devSecrets(cfg: Config, log: Logger): EngineSecrets {
  if (cfg.TOKEN_ENCRYPTION_KEY && cfg.SESSION_SECRET) return requireSecrets(cfg);
  const file = path.join(cfg.DATA_DIR, DEV_SECRETS_FILE);
  let stored: z.infer<typeof devSecretsFile>;
  try {
    stored = devSecretsFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file}: unreadable development secrets (${(err as Error).message}); fix or delete it`, {
        cause: err,
      });
    stored = {
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      SESSION_SECRET: randomBytes(48).toString('base64url'),
    };
    mkdirSync(cfg.DATA_DIR, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    log.warn(
      { file },
      'generated development secrets (TOKEN_ENCRYPTION_KEY, SESSION_SECRET); set both in the environment for production',
    );
  }
  return {
    tokenEncryptionKey: parseEncryptionKey(cfg.TOKEN_ENCRYPTION_KEY ?? stored.TOKEN_ENCRYPTION_KEY),
    sessionSecret: cfg.SESSION_SECRET ?? stored.SESSION_SECRET,
  };
}
