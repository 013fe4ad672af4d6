import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import { resolveTemporalConnection, type TemporalConnectionSettings } from './connection-options';
import { startDevServer, type RunningDevServer } from './dev-server';
import { SEARCH_ATTRIBUTES } from './search-attributes';

export interface TemporalHandle {
  address: string;
  namespace: string;
  /** Temporal Web UI, when one is known (dev server or TEMPORAL_UI_URL). */
  uiUrl?: string;
  /** For starting, signalling and querying workflows (web, client). */
  client: Client;
  /** For workers. */
  nativeConnection: NativeConnection;
  /** Closes the connections and stops the dev server if this process started it. */
  close(): Promise<void>;
}

export interface OpenTemporalOptions {
  /** Where a dev server keeps its state: a file under DATA_DIR (npm start) or memory (tests). */
  devServerStore: 'file' | 'memory';
  /** Where the TEMPORAL_* settings are read from; process.env unless a test says otherwise. */
  env?: NodeJS.ProcessEnv;
  /** How long a server that does not answer yet is waited for (a container still starting); 30 s. */
  waitForServerMs?: number;
}

/**
 * Connects where the TEMPORAL_* variables or the env-config profile say (TLS, mTLS, API key as
 * `temporal` would); with no address anywhere, starts a dev server owned by this process.
 * The client, the worker's connection and the search-attribute set-up all use the same settings.
 * Either way the engine's search attributes exist when this returns.
 */
export async function openTemporal(cfg: Config, log: Logger, opts: OpenTemporalOptions): Promise<TemporalHandle> {
  const settings = resolveTemporalConnection(opts.env ?? process.env);
  for (const warning of settings.warnings) log.warn({ temporal: settings }, warning);
  let devServer: RunningDevServer | undefined;
  let options: NativeConnectionOptions;
  let uiUrl = cfg.TEMPORAL_UI_URL;
  if (!settings.address) {
    devServer = await startDevServer({
      cliPath: cfg.TEMPORAL_CLI_PATH,
      port: cfg.TEMPORAL_DEV_PORT,
      uiPort: cfg.TEMPORAL_UI_PORT,
      dbFilename: opts.devServerStore === 'file' ? path.resolve(cfg.DATA_DIR, 'temporal.db') : undefined,
      namespace: settings.namespace,
      log,
    });
    options = { address: devServer.address };
    uiUrl ??= devServer.uiUrl;
  } else {
    options = settings.connectionOptions();
    log.info({ temporal: settings }, 'connecting to Temporal');
  }
  const address = options.address ?? settings.address ?? 'localhost:7233';
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  try {
    // The worker's (Rust) connection goes first: its errors name the TLS or auth problem, where the
    // client's only says it missed its deadline.
    nativeConnection = await connectWithRetry(
      () => NativeConnection.connect(options),
      address,
      log,
      opts.waitForServerMs ?? 30_000,
    );
    connection = await Connection.connect({ ...options, connectTimeout: 10_000 });
    await connection.workflowService.getSystemInfo({});
    await ensureSearchAttributes(connection, settings.namespace, log);
  } catch (err) {
    await nativeConnection?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await devServer?.stop();
    if (err instanceof SearchAttributeSetupError) throw err;
    throw new Error(describeConnectFailure(address, settings, err), { cause: err });
  }
  const client = new Client({ connection, namespace: settings.namespace });
  const openedNative = nativeConnection;
  const openedConnection = connection;
  return {
    address,
    namespace: settings.namespace,
    uiUrl,
    client,
    nativeConnection: openedNative,
    async close() {
      await openedNative.close().catch(() => undefined);
      await openedConnection.close().catch(() => undefined);
      await devServer?.stop();
    },
  };
}

/** True when TEMPORAL_ADDRESS or the env-config profile names a server (the production entry points need one). */
export function temporalAddressConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return resolveTemporalConnection(env).address !== undefined;
}

/** A refused or unreachable server may be starting; a TLS or credentials refusal will not change. */
const PERMANENT =
  /certificate|tls|ssl|alert|handshake|InvalidContentType|InvalidMessage|unauthori[sz]ed|authentication|permission|denied|close_notify/i;

async function connectWithRetry<T>(
  connect: () => Promise<T>,
  address: string,
  log: Logger,
  waitMs: number,
): Promise<T> {
  // A Temporal container may still be starting next to us (docker-compose): give it a while.
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      if (Date.now() > deadline || PERMANENT.test(errorText(err))) throw err;
      log.info({ address }, 'waiting for Temporal');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) parts.push(e.message);
  return parts.join(': ') || String(err);
}

/**
 * The SDK's errors name rustls/tonic internals ("InvalidCertificate(UnknownIssuer)"); this adds what
 * to change, in the variables' own names. The original text is kept at the end.
 */
export function describeConnectFailure(address: string, settings: TemporalConnectionSettings, err: unknown): string {
  const raw = errorText(err);
  const where = `Temporal at ${address}${settings.sources.length > 0 ? ` (from ${settings.sources.join(' and ')})` : ''}`;
  let hint: string | undefined;
  if (/UnknownIssuer|self[- ]signed|unable to (get|verify)|unknown ca/i.test(raw))
    hint = settings.tls.serverCa
      ? "the server's certificate is not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA: give the CA that signed it"
      : "the server's certificate is not signed by a CA this machine trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it";
  else if (/NotValidForName|altnames|hostname/i.test(raw))
    hint = `the server's certificate is not issued for the name connected to: set TEMPORAL_TLS_SERVER_NAME to a name in it${settings.tls.serverName ? ` (now "${settings.tls.serverName}")` : ''}`;
  else if (/CertificateRequired|certificate required/i.test(raw) && !settings.tls.clientCert)
    hint =
      'the server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  else if (settings.tls.enabled && /alert|close_notify|handshake|BadCertificate|CertificateUnknown/i.test(raw))
    hint = settings.tls.clientCert
      ? 'the server ended the TLS handshake: it does not accept the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH/_DATA): is it signed by a CA the server trusts, and not expired?'
      : 'the server ended the TLS handshake: it probably wants a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)';
  else if (settings.tls.enabled && /ConnectionReset|connection reset|broken pipe/i.test(raw))
    // Under TLS 1.3 the client's handshake is done before the server checks its certificate, so a
    // refusal can arrive as a reset instead of an alert (it did, in CI).
    hint = settings.tls.clientCert
      ? 'the server closed the connection after the TLS handshake: it probably does not accept the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH/_DATA): is it signed by a CA the server trusts, and not expired?'
      : 'the server closed the connection after the TLS handshake: it probably asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';
  else if (settings.tls.enabled && /InvalidContentType|InvalidMessage|wrong version number/i.test(raw))
    hint = 'the server does not speak TLS at this address: set TEMPORAL_TLS=false, or use its TLS port';
  else if (/valid authentication credentials|unauthenticated|unauthori[sz]ed/i.test(raw))
    hint = settings.apiKey
      ? 'the server refused the API key (TEMPORAL_API_KEY): is it valid, unexpired and for this namespace?'
      : 'the server wants credentials: set TEMPORAL_API_KEY (Temporal Cloud) or a client certificate (mTLS)';
  else if (/permission|denied/i.test(raw))
    hint = `the credentials are not allowed in namespace "${settings.namespace}": check TEMPORAL_NAMESPACE and their permissions`;
  else if (!settings.tls.enabled && settings.address && /broken pipe|reset|h2 protocol|frame/i.test(raw))
    hint = 'the server closed the connection: if it expects TLS, set TEMPORAL_TLS=true (and the CA, if private)';
  else if (/refused|dns|lookup|not known|deadline|timed? ?out/i.test(raw))
    hint = 'no answer: is Temporal running there, and TEMPORAL_ADDRESS right?';
  return `${where}: ${hint ? `${hint} (${raw})` : raw}`;
}

/** Registers any missing custom search attribute (a production cluster does not get them from flags). */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = existing.customAttributes ?? {};
  const missing = SEARCH_ATTRIBUTES.filter((k) => !(k.name in known));
  if (missing.length === 0) return;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of missing) {
    searchAttributes[key.name] =
      temporal.api.enums.v1.IndexedValueType[
        `INDEXED_VALUE_TYPE_${key.type}` as keyof typeof temporal.api.enums.v1.IndexedValueType
      ];
  }
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Temporal Cloud and locked-down clusters keep this to namespace admins: say what to create.
    const wanted = missing.map((k) => `${k.name} (${TYPE_WORDS[k.type] ?? k.type})`).join(', ');
    throw new SearchAttributeSetupError(
      `search attributes ${wanted} are missing in namespace "${namespace}" and could not be registered ` +
        `(${(err as Error).message}). Create them once with \`temporal operator search-attribute create\` ` +
        '(self-hosted) or in Temporal Cloud (web UI or `tcld namespace search-attributes add`), then start again',
      { cause: err },
    );
  }
  log.info({ added: missing.map((k) => k.name) }, 'registered search attributes');
}

const TYPE_WORDS: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', BOOL: 'Bool' };

export class SearchAttributeSetupError extends Error {
  override name = 'SearchAttributeSetupError';
}
