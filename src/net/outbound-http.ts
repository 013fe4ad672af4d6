import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch, Headers, type Response } from 'undici';

/**
 * HTTP(S) requests to URLs a host gave us (its order PDFs, its webhook receiver). A URL is only a
 * name: where it really leads is known when the socket connects, after DNS — which may answer
 * differently from a check made earlier (DNS rebinding) — and after every redirect. So the address
 * is checked inside the connector, at connect time, for every hop and every new connection; a
 * private, loopback, link-local or otherwise non-public address is refused there unless the
 * policy allows private networks (tests, `npm start`'s localhost demo).
 */

/** Why an address is refused, in words for a host: `127.0.0.1` → "loopback". */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private network',
  reserved: 'reserved',
  uniqueLocal: 'unique local (private IPv6)',
  deprecatedSiteLocal: 'site-local',
  benchmarking: 'benchmarking',
  discard: 'discard-only',
};

/**
 * The ipaddr.js range of an address, looking inside IPv6 forms that carry an IPv4 address
 * (`::ffff:127.0.0.1`, NAT64 `64:ff9b::a00:1`), so a private IPv4 address cannot hide in one.
 * `unicast` is the only range that counts as public.
 */
export function addressRange(address: string): string {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052')
      ip = ipaddr.fromByteArray(v6.toByteArray().slice(12));
    else return range;
  }
  return (ip as ipaddr.IPv4).range();
}

export function isPublicAddress(address: string): boolean {
  return ipaddr.isValid(address) && addressRange(address) === 'unicast';
}

export type RefusalReason = 'scheme' | 'invalid_url' | 'private_address' | 'redirects';

/** The destination is not one we send to: the host's to fix, never worth retrying as is. */
export class OutboundRefusedError extends Error {
  /** The URL of the hop that was refused (set once known). */
  url?: string;
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly address?: string,
    /** In words: "loopback", "link-local", … */
    readonly range?: string,
  ) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export class OutboundTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
    this.name = 'OutboundTooLargeError';
  }
}

export class OutboundTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

/** Could not connect or the connection broke: worth trying again later. */
export class OutboundNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundNetworkError';
  }
}

export interface OutboundPolicy {
  /** Send to loopback, private, link-local… addresses too (OUTBOUND_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks?: boolean;
  /** Resolves names at connect time instead of the system resolver (tests: a name for any address). */
  lookup?: LookupFunction;
  /**
   * Exact addresses to treat as public (tests only: a local server standing in for a public host,
   * while every other private address stays refused by the same check).
   */
  treatAsPublic?: string[];
}

/** The refusal for connecting to `address`, or undefined when the policy lets it through. */
export function refusalFor(
  address: string,
  policy: OutboundPolicy,
  hostname = address,
): OutboundRefusedError | undefined {
  if (policy.allowPrivateNetworks) return undefined;
  if (!ipaddr.isValid(address))
    return new OutboundRefusedError('private_address', `${hostname} resolved to ${address}, not an IP address`);
  const range = addressRange(address);
  if (range === 'unicast' || policy.treatAsPublic?.includes(address)) return undefined;
  const words = RANGE_WORDS[range] ?? range;
  const via = hostname === address ? '' : `${hostname} resolves to `;
  const article = /^([aeio]|un(?!i))/.test(words) ? 'an' : 'a';
  return new OutboundRefusedError(
    'private_address',
    `${via}${address}, ${article} ${words} address: only public addresses are allowed`,
    address,
    words,
  );
}

function guardedLookup(policy: OutboundPolicy): LookupFunction {
  const resolve = policy.lookup ?? (dns.lookup as LookupFunction);
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      // With happy eyeballs (Node's default) net asks for every address and may try any of them,
      // so one private address among public ones refuses the whole name.
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
      for (const a of all) {
        const refusal = refusalFor(a, policy, hostname);
        if (refusal) return callback(refusal, '', 4);
      }
      callback(null, address, family);
    });
  };
}

/** Parses and checks the scheme: http and https only, no credentials in the URL. */
export function parseOutboundUrl(url: string | URL): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OutboundRefusedError('invalid_url', `${String(url)} is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw Object.assign(new OutboundRefusedError('scheme', `${u.protocol} URLs are not allowed: use http or https`), {
      url: u.href,
    });
  return u;
}

/** Host of a URL as an address or a name (IPv6 without its brackets). */
function hostOf(u: URL): string {
  return u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
}

export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** For everything: every hop, connecting, and reading the whole answer. */
  timeoutMs: number;
  /** The answer's body is read up to this many bytes; past it the read stops and the request fails. */
  maxBytes: number;
  /** 0: a redirect is returned as the answer. Default 5. */
  maxRedirects?: number;
  /** false: the body is not read (only the status matters). Default true. */
  readBody?: boolean;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Where the answer came from, after redirects. */
  url: string;
}

export interface OutboundHttp {
  request(url: string, req: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function refusalIn(err: unknown): OutboundRefusedError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof OutboundRefusedError) return e;
  return undefined;
}

function networkError(err: unknown): Error {
  const cause = (err as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  const base = (err as Error).message ?? String(err);
  return new OutboundNetworkError(detail ? `${base} (${detail})` : base, { cause: err });
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new OutboundTooLargeError(maxBytes);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new OutboundTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A client with its own connection pool; `close()` it when done (tests, custom policies). */
export function createOutboundHttp(policy: OutboundPolicy = {}): OutboundHttp {
  const connectGuarded = buildConnector({ lookup: guardedLookup(policy) });
  const agent = new Agent({
    connect(opts, callback) {
      // net.connect skips the lookup for a literal IP, so those are checked here.
      if (net.isIP(opts.hostname)) {
        const refusal = refusalFor(opts.hostname, policy);
        if (refusal) return callback(refusal, null);
      }
      connectGuarded(opts, callback);
    },
  });

  async function request(url: string, req: OutboundRequest): Promise<OutboundResponse> {
    const signal = AbortSignal.timeout(req.timeoutMs);
    const maxRedirects = req.maxRedirects ?? 5;
    let current = parseOutboundUrl(url);
    let method = req.method ?? 'GET';
    let body = req.body;
    const headers = new Headers(req.headers);
    try {
      for (let hop = 0; ; hop++) {
        let res: Response;
        try {
          res = await fetch(current, { method, headers, body, redirect: 'manual', signal, dispatcher: agent });
        } catch (err) {
          const refusal = refusalIn(err);
          if (refusal) {
            refusal.url = current.href;
            throw refusal;
          }
          throw err;
        }
        const location = res.headers.get('location');
        if (maxRedirects > 0 && REDIRECTS.has(res.status) && location) {
          await res.body?.cancel();
          if (hop >= maxRedirects)
            throw Object.assign(
              new OutboundRefusedError('redirects', `more than ${maxRedirects} redirects, the last to ${location}`),
              { url: current.href },
            );
          const next = parseOutboundUrl(new URL(location, current));
          if (res.status === 303 || (method === 'POST' && res.status !== 307 && res.status !== 308)) {
            method = 'GET';
            body = undefined;
            headers.delete('content-type');
          }
          if (next.origin !== current.origin) {
            headers.delete('authorization');
            headers.delete('cookie');
          }
          current = next;
          continue;
        }
        if (req.readBody === false) {
          await res.body?.cancel();
          return { status: res.status, headers: res.headers, body: Buffer.alloc(0), url: current.href };
        }
        const bytes = await readLimited(res, req.maxBytes);
        return { status: res.status, headers: res.headers, body: bytes, url: current.href };
      }
    } catch (err) {
      if (err instanceof OutboundRefusedError || err instanceof OutboundTooLargeError) throw err;
      if (signal.aborted) throw new OutboundTimeoutError(req.timeoutMs);
      throw networkError(err);
    }
  }

  return { request, close: () => agent.close() };
}

const shared = new Map<boolean, OutboundHttp>();

/** The process-wide client for a policy without test hooks (one connection pool each). */
export function outboundHttp(policy: { allowPrivateNetworks?: boolean } = {}): OutboundHttp {
  const allow = policy.allowPrivateNetworks === true;
  let client = shared.get(allow);
  if (!client) {
    client = createOutboundHttp({ allowPrivateNetworks: allow });
    shared.set(allow, client);
  }
  return client;
}

/**
 * Checks a URL when a host hands it to us (so a bad one is a 400 now rather than a failure later):
 * the scheme, a literal address, and what the name resolves to today. The connect-time check still
 * decides each request, since DNS may answer differently then. Returns the problem in words, or
 * undefined. A name that does not resolve (yet) passes: DNS trouble is not the host's mistake.
 */
export async function outboundUrlProblem(
  url: string,
  policy: OutboundPolicy = {},
  resolveTimeoutMs = 5_000,
): Promise<string | undefined> {
  let u: URL;
  try {
    u = parseOutboundUrl(url);
  } catch (err) {
    return (err as Error).message;
  }
  const host = hostOf(u);
  if (net.isIP(host)) return refusalFor(host, policy)?.message;
  if (policy.allowPrivateNetworks) return undefined;
  const lookup = policy.lookup ?? (dns.lookup as LookupFunction);
  const addresses = await new Promise<string[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), resolveTimeoutMs);
    lookup(host, { all: true }, (err, address) => {
      clearTimeout(timer);
      if (err) return resolve([]);
      resolve(Array.isArray(address) ? address.map((a) => a.address) : [address]);
    });
  });
  for (const a of addresses) {
    const refusal = refusalFor(a, policy, host);
    if (refusal) return refusal.message;
  }
  return undefined;
}
