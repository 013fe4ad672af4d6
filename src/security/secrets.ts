import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

const devSecretsFile = z.object({
  TOKEN_ENCRYPTION_KEY: z.string().optional(),
  SESSION_SECRET: z.string().min(32).optional(),
  /** Signs the embedded Xero simulator's webhooks to the engine; absent from files of earlier runs. */
  XERO_WEBHOOK_KEY: z.string().min(1).optional(),
});
type DevSecretsFile = z.infer<typeof devSecretsFile>;
type DevSecretName = keyof DevSecretsFile;

const GENERATE: Record<DevSecretName, () => string> = {
  TOKEN_ENCRYPTION_KEY: () => randomBytes(32).toString('hex'),
  SESSION_SECRET: () => randomBytes(48).toString('base64url'),
  XERO_WEBHOOK_KEY: () => randomBytes(48).toString('base64'),
};

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
  const stored = storedDevSecrets(cfg, log, ['TOKEN_ENCRYPTION_KEY', 'SESSION_SECRET']);
  return {
    tokenEncryptionKey: parseEncryptionKey(cfg.TOKEN_ENCRYPTION_KEY ?? stored.TOKEN_ENCRYPTION_KEY!),
    sessionSecret: cfg.SESSION_SECRET ?? stored.SESSION_SECRET!,
  };
}

/**
 * The key that signs Xero's webhooks to `/webhooks/xero` for `npm start` with the embedded simulator:
 * `XERO_WEBHOOK_KEY` when set, else one generated once and kept in `$DATA_DIR/dev-secrets.json`.
 */
export function devWebhookKey(cfg: Config, log: Logger): string {
  return cfg.XERO_WEBHOOK_KEY ?? storedDevSecrets(cfg, log, ['XERO_WEBHOOK_KEY']).XERO_WEBHOOK_KEY!;
}

/** The file's secrets, with any of `wanted` it lacks generated and added to it. */
function storedDevSecrets(cfg: Config, log: Logger, wanted: DevSecretName[]): DevSecretsFile {
  const file = path.join(cfg.DATA_DIR, DEV_SECRETS_FILE);
  let stored: DevSecretsFile = {};
  try {
    stored = devSecretsFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file}: unreadable development secrets (${(err as Error).message}); fix or delete it`, {
        cause: err,
      });
  }
  const missing = wanted.filter((name) => !stored[name]);
  if (missing.length === 0) return stored;
  stored = { ...stored, ...Object.fromEntries(missing.map((name) => [name, GENERATE[name]()])) };
  mkdirSync(cfg.DATA_DIR, { recursive: true });
  // Written aside and renamed over: a crash mid-write must not lose the key that decrypts stored tokens.
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  log.warn(
    { file, generated: missing },
    `generated development secrets (${missing.join(', ')}); set them in the environment for production`,
  );
  return stored;
}
