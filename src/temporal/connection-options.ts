import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadClientConfigFromToml,
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { z } from 'zod';

/**
 * How the engine finds and authenticates to Temporal: the same `TEMPORAL_*` variables and TOML
 * profiles (`temporal config set …`, ~/.config/temporalio/temporal.toml) as Temporal's CLI and
 * SDKs, read through the SDK's own env-config package so the engine and `temporal` agree on what a
 * setting means. On top of it, everything is checked at start-up and reported naming the variable
 * (or the profile key) and the path, because a TLS mistake otherwise surfaces as a bare
 * "transport error" minutes later in a worker log.
 */

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

// The SDK reads exactly "true"/"1" as on and anything else as off: "yes" would silently turn TLS off.
const sdkBoolean = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v),
  z.enum(['true', 'false', '1', '0'], { error: 'expected true or false (or 1 or 0)' }).optional(),
);

/** The variables' shapes, merged into the engine's config schema (src/config.ts). */
export const temporalConnectionEnvShape = {
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: sdkBoolean,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: sdkBoolean,
  TEMPORAL_PROFILE: optionalString,
  TEMPORAL_CONFIG_FILE: optionalString,
};

export class TemporalConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid Temporal connection settings:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'TemporalConfigError';
  }
}

type TlsItemKey = 'clientCert' | 'clientKey' | 'serverCACert';

type TlsItem = { key: TlsItemKey; env: string; toml: string; what: string };
const CLIENT_CERT: TlsItem = {
  key: 'clientCert',
  env: 'TEMPORAL_TLS_CLIENT_CERT',
  toml: 'client_cert',
  what: 'client certificate',
};
const CLIENT_KEY: TlsItem = {
  key: 'clientKey',
  env: 'TEMPORAL_TLS_CLIENT_KEY',
  toml: 'client_key',
  what: 'client private key',
};
const SERVER_CA: TlsItem = {
  key: 'serverCACert',
  env: 'TEMPORAL_TLS_SERVER_CA_CERT',
  toml: 'server_ca_cert',
  what: 'server CA certificate',
};
const TLS_ITEMS: readonly TlsItem[] = [CLIENT_CERT, CLIENT_KEY, SERVER_CA];

const HOST_PORT = /^[^\s:/]+:\d{1,5}$/;

export interface TemporalTlsSummary {
  enabled: boolean;
  serverCa: boolean;
  clientCert: boolean;
  serverName?: string;
}

/**
 * The resolved settings. The API key and key material live in a private field and leave only
 * through `connectionOptions()`, so logging this object (or an error holding it) shows none of them.
 */
export class TemporalConnectionSettings {
  readonly #options: NativeConnectionOptions;

  constructor(
    /** undefined: nothing configured anywhere, so `npm start` runs its own dev server. */
    readonly address: string | undefined,
    readonly namespace: string,
    /** Where the settings came from: "environment", "profile 'prod' in /path/temporal.toml". */
    readonly sources: string[],
    readonly tls: TemporalTlsSummary,
    readonly apiKey: boolean,
    /** Settings that are legal but probably not meant (logged at start-up). */
    readonly warnings: string[],
    options: NativeConnectionOptions,
  ) {
    this.#options = options;
  }

  /** For `Connection.connect` and `NativeConnection.connect` alike. Contains secrets: never log it. */
  connectionOptions(): NativeConnectionOptions {
    return { ...this.#options };
  }

  toJSON() {
    return {
      address: this.address,
      namespace: this.namespace,
      sources: this.sources,
      tls: this.tls,
      apiKey: this.apiKey,
    };
  }
}

/**
 * Reads the Temporal connection from the environment and the env-config profile, the way
 * `temporal` does: an environment variable wins over the profile's value; the profile is
 * TEMPORAL_PROFILE (default "default") in TEMPORAL_CONFIG_FILE (default
 * ~/.config/temporalio/temporal.toml, absent is fine). Throws a TemporalConfigError listing every
 * problem found.
 */
export function resolveTemporalConnection(env: NodeJS.ProcessEnv = process.env): TemporalConnectionSettings {
  const vars = temporalVariables(env);
  const issues: string[] = [];
  const warnings: string[] = [];

  const file = readConfigFile(vars, env, issues);
  let fileProfiles: Record<string, ClientConfigProfile> = {};
  if (file?.text !== undefined) {
    try {
      fileProfiles = loadClientConfigFromToml(new TextEncoder().encode(file.text), { strict: false }).profiles;
    } catch (err) {
      issues.push(`${file.label}: not a valid Temporal config file: ${(err as Error).message}`);
    }
  }
  const profileName = vars.TEMPORAL_PROFILE ?? 'default';
  const fileProfile = Object.hasOwn(fileProfiles, profileName) ? fileProfiles[profileName] : undefined;
  if (vars.TEMPORAL_PROFILE !== undefined && !fileProfile && issues.length === 0) {
    const known = Object.keys(fileProfiles);
    issues.push(
      file?.text === undefined
        ? `TEMPORAL_PROFILE: profile "${profileName}" asked for, but there is no config file (${file?.path ?? 'set TEMPORAL_CONFIG_FILE'})`
        : `TEMPORAL_PROFILE: no profile "${profileName}" in ${file.path}` +
            (known.length > 0 ? ` (it has: ${known.join(', ')})` : ' (it has none)'),
    );
  }
  if (issues.length > 0) throw new TemporalConfigError(issues);
  const profileLabel = fileProfile && file ? `profile "${profileName}" in ${file.path}` : undefined;

  // The SDK refuses a path and inline data for the same item, also when one comes from the
  // environment and the other from the profile: say which two.
  const sourceName = (item: TlsItem, kind: 'path' | 'data') =>
    vars[`${item.env}_${kind.toUpperCase()}`] !== undefined
      ? `${item.env}_${kind.toUpperCase()}`
      : `tls.${item.toml}_${kind} of ${profileLabel}`;
  for (const item of TLS_ITEMS) {
    const fromFile = fileProfile?.tls?.[item.key];
    const hasPath = vars[`${item.env}_PATH`] !== undefined || (fromFile !== undefined && 'path' in fromFile);
    const hasData = vars[`${item.env}_DATA`] !== undefined || (fromFile !== undefined && 'data' in fromFile);
    if (hasPath && hasData)
      issues.push(
        `${sourceName(item, 'path')} and ${sourceName(item, 'data')} both give the ${item.what}: set only one`,
      );
  }
  if (issues.length > 0) throw new TemporalConfigError(issues);

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile(
      fileProfile && file?.text !== undefined
        ? { profile: profileName, configSource: { data: file.text }, overrideEnvVars: vars as Record<string, string> }
        : { disableFile: true, overrideEnvVars: vars as Record<string, string> },
    );
  } catch (err) {
    throw new TemporalConfigError([`Temporal connection settings: ${(err as Error).message}`]);
  }

  const where = (envName: string, tomlKey: string) =>
    vars[envName] !== undefined || !profileLabel ? envName : `${tomlKey} of ${profileLabel}`;
  const itemName = (item: TlsItem, source: ConfigDataSource) => sourceName(item, 'path' in source ? 'path' : 'data');

  if (profile.address !== undefined && !HOST_PORT.test(profile.address))
    issues.push(
      `${where('TEMPORAL_ADDRESS', 'address')}: expected host:port, e.g. my-ns.a1b2c.tmprl.cloud:7233 (got "${profile.address}")`,
    );

  const material = new Map<TlsItemKey, { certs?: X509Certificate[]; key?: KeyObject; name: string }>();
  for (const item of TLS_ITEMS) {
    const source = profile.tls?.[item.key];
    if (!source) continue;
    const name = itemName(item, source);
    const bytes = readSource(source, name, item.what, issues);
    if (bytes === undefined) continue;
    if (item.key === 'clientKey') {
      const key = parseKey(bytes, name, issues);
      if (key) material.set(item.key, { key, name });
    } else {
      const certs = parseCertificates(bytes, name, item.what, issues);
      if (certs) material.set(item.key, { certs, name });
    }
  }

  const cert = material.get('clientCert');
  const key = material.get('clientKey');
  const certGiven = profile.tls?.clientCert !== undefined;
  const keyGiven = profile.tls?.clientKey !== undefined;
  if (certGiven && !keyGiven)
    issues.push(
      `${itemName(CLIENT_CERT, profile.tls!.clientCert!)} is set but no client key: set TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) too (mTLS needs both)`,
    );
  if (keyGiven && !certGiven)
    issues.push(
      `${itemName(CLIENT_KEY, profile.tls!.clientKey!)} is set but no client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) too (mTLS needs both)`,
    );
  const leaf = cert?.certs?.[0];
  if (cert && leaf && key?.key && !leaf.checkPrivateKey(key.key))
    issues.push(`${key.name} is not the private key of the certificate in ${cert.name}`);
  if (cert && leaf && Date.parse(leaf.validTo) < Date.now())
    issues.push(`${cert.name}: the client certificate expired on ${new Date(leaf.validTo).toISOString()}`);

  if (vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1')
    issues.push(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported by Temporal's TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME to a name in the server's certificate instead",
    );

  const apiKey = profile.apiKey !== undefined;
  const tlsOff = profile.tls?.disabled === true;
  // The SDK's rule (and Temporal Cloud's expectation): any TLS setting, or an API key, turns TLS on
  // unless it is explicitly off.
  const tlsOn = !tlsOff && (profile.tls !== undefined || apiKey);
  const tlsSettingsGiven =
    profile.tls !== undefined &&
    (profile.tls.clientCert ?? profile.tls.clientKey ?? profile.tls.serverCACert ?? profile.tls.serverName) !==
      undefined;
  if (tlsOff && tlsSettingsGiven)
    warnings.push(
      `TLS is off (${where('TEMPORAL_TLS', 'tls.disabled')}) but certificates or a server name are set: they are not used`,
    );
  if (tlsOff && apiKey)
    warnings.push(
      `TLS is off (${where('TEMPORAL_TLS', 'tls.disabled')}): the API key travels unencrypted (Temporal Cloud refuses it)`,
    );

  if (profile.address === undefined && (apiKey || tlsOn)) {
    const given = [
      apiKey ? where('TEMPORAL_API_KEY', 'api_key') : undefined,
      // An API key alone implies TLS; name TLS only when it was asked for.
      !tlsOff && profile.tls !== undefined ? 'TLS settings' : undefined,
    ].filter(Boolean);
    issues.push(
      `${given.join(' and ')} given but no Temporal address (TEMPORAL_ADDRESS or a profile's address): ` +
        'without one the engine starts its own local dev server, which speaks neither TLS nor API keys. ' +
        'Set TEMPORAL_ADDRESS to your Temporal server, or unset them',
    );
  }
  const options = toClientOptionsOrIssue(profile, issues);
  if (issues.length > 0 || options === undefined) throw new TemporalConfigError(issues);

  const sources = [
    ...(Object.keys(vars).some((k) => CONNECTION_VARIABLES.has(k)) ? ['environment'] : []),
    ...(profileLabel ? [profileLabel] : []),
  ];
  return new TemporalConnectionSettings(
    profile.address,
    profile.namespace ?? 'default',
    sources,
    {
      enabled: tlsOn,
      serverCa: tlsOn && profile.tls?.serverCACert !== undefined,
      clientCert: tlsOn && certGiven,
      ...(tlsOn && profile.tls?.serverName ? { serverName: profile.tls.serverName } : {}),
    },
    apiKey,
    warnings,
    options,
  );
}

const CONNECTION_VARIABLES = new Set([
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  ...Object.keys(temporalConnectionEnvShape).filter((k) => k !== 'TEMPORAL_PROFILE' && k !== 'TEMPORAL_CONFIG_FILE'),
]);

/**
 * The TEMPORAL_* variables as the SDK should see them: trimmed, and an empty one treated as unset
 * (as everywhere else in the engine's config) — except gRPC metadata, where the SDK reads an empty
 * value as "remove this header from the profile".
 */
function temporalVariables(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const vars: Record<string, string> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TEMPORAL_') || raw === undefined) continue;
    if (name.startsWith('TEMPORAL_GRPC_META_')) {
      vars[name] = raw;
      continue;
    }
    const value = raw.trim();
    if (value !== '') vars[name] = value;
  }
  return vars;
}

/** Where Temporal's tools look for the config file when TEMPORAL_CONFIG_FILE is not set (as the SDK does). */
export function defaultConfigFilePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = os.platform()) {
  let dir: string | undefined;
  if (platform === 'win32') dir = env.APPDATA || undefined;
  else if (platform === 'darwin') dir = env.HOME ? path.join(env.HOME, 'Library', 'Application Support') : undefined;
  else if (env.XDG_CONFIG_HOME) dir = path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  else dir = env.HOME ? path.join(env.HOME, '.config') : undefined;
  return dir === undefined ? undefined : path.join(dir, 'temporalio', 'temporal.toml');
}

function readConfigFile(
  vars: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
  issues: string[],
): { path: string; label: string; text?: string } | undefined {
  const explicit = vars.TEMPORAL_CONFIG_FILE;
  const filePath = explicit ?? defaultConfigFilePath(env);
  if (filePath === undefined) return undefined;
  const label = explicit ? `TEMPORAL_CONFIG_FILE (${filePath})` : filePath;
  try {
    return { path: filePath, label, text: readFileSync(filePath, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The default file is optional, as for `temporal`; a file that was named must exist.
    if (code === 'ENOENT' && !explicit) return { path: filePath, label };
    issues.push(`${label}: cannot read it (${describeFsError(err)})`);
    return undefined;
  }
}

function readSource(source: ConfigDataSource, name: string, what: string, issues: string[]): Uint8Array | undefined {
  if (!('path' in source)) return typeof source.data === 'string' ? Buffer.from(source.data) : source.data;
  try {
    return readFileSync(source.path);
  } catch (err) {
    issues.push(`${name}: cannot read the ${what} at ${source.path} (${describeFsError(err)})`);
    return undefined;
  }
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a directory';
  return e.message;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseCertificates(
  bytes: Uint8Array,
  name: string,
  what: string,
  issues: string[],
): X509Certificate[] | undefined {
  const blocks = Buffer.from(bytes).toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    issues.push(`${name}: the ${what} is not PEM (expected "-----BEGIN CERTIFICATE-----")`);
    return undefined;
  }
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch (err) {
      const which = blocks.length > 1 ? ` (certificate ${i + 1} of ${blocks.length})` : '';
      issues.push(`${name}: the ${what}${which} does not parse: ${(err as Error).message}`);
      return undefined;
    }
  }
  return certs;
}

function parseKey(bytes: Uint8Array, name: string, issues: string[]): KeyObject | undefined {
  const text = Buffer.from(bytes).toString('utf8');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    issues.push(`${name}: the client private key is not PEM (expected "-----BEGIN PRIVATE KEY-----")`);
    return undefined;
  }
  try {
    return createPrivateKey(text);
  } catch (err) {
    // OpenSSL's message names the problem (encrypted, unsupported) and never the key itself.
    issues.push(`${name}: the client private key does not parse: ${(err as Error).message}`);
    return undefined;
  }
}

function toClientOptionsOrIssue(profile: ClientConfigProfile, issues: string[]): NativeConnectionOptions | undefined {
  if (issues.length > 0) return undefined;
  try {
    return toClientOptions(profile).connectionOptions;
  } catch (err) {
    issues.push(`Temporal connection settings: ${(err as Error).message}`);
    return undefined;
  }
}
