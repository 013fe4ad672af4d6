import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * `temporal server start-dev` serves plain gRPC only, so TLS, mTLS and API keys are tested through
 * this proxy: it terminates TLS (HTTP/2 over ALPN, as gRPC requires), checks what a secured
 * frontend or Temporal Cloud would check, and forwards each gRPC call to the dev server.
 */

export interface TestCertificates {
  dir: string;
  /** CA that signed the server and client certificates. */
  caPath: string;
  /** A CA that signed nothing here: trusting it alone must fail. */
  otherCaPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  /** A client certificate signed by the other CA: the proxy must refuse it. */
  strangerCertPath: string;
  strangerKeyPath: string;
}

/** Generates a throw-away PKI with the openssl CLI (EC P-256, valid one day). */
export function makeCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const p = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p(name));
  const ca = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  };
  const leaf = (name: string, signer: string, cn: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(p(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${signer}.pem`),
      '-CAkey',
      p(`${signer}.key`),
      '-CAcreateserial',
      '-out',
      p(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      p(`${name}.ext`),
    );
  };
  ca('ca', 'xero-sync test CA');
  ca('other-ca', 'some other CA');
  leaf(
    'server',
    'ca',
    'localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,DNS:temporal.test,IP:127.0.0.1\n',
  );
  const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  leaf('client', 'ca', 'xero-sync worker', clientExt);
  leaf('stranger', 'other-ca', 'stranger', clientExt);
  return {
    dir,
    caPath: p('ca.pem'),
    otherCaPath: p('other-ca.pem'),
    serverCertPath: p('server.pem'),
    serverKeyPath: p('server.key'),
    clientCertPath: p('client.pem'),
    clientKeyPath: p('client.key'),
    strangerCertPath: p('stranger.pem'),
    strangerKeyPath: p('stranger.key'),
  };
}

export interface TlsProxyOptions {
  /** The dev server's plain gRPC address, host:port. */
  target: string;
  certs: TestCertificates;
  /** mTLS: refuse the TLS handshake without a client certificate signed by the test CA. */
  requireClientCert?: boolean;
  /** Answer UNAUTHENTICATED unless the call carries `authorization: Bearer <apiKey>` (as Temporal Cloud does). */
  apiKey?: string;
}

export interface TlsProxy {
  /** 127.0.0.1:port */
  address: string;
  /** The `authorization` header of every call received, in order. */
  authorizations: Array<string | undefined>;
  /** Calls forwarded to the dev server. */
  forwarded(): number;
  close(): Promise<void>;
}

// HTTP/2 connection-level headers may not be copied from one connection to another.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

export async function startTlsProxy(opts: TlsProxyOptions): Promise<TlsProxy> {
  const upstream = http2.connect(`http://${opts.target}`);
  upstream.on('error', () => undefined);
  const authorizations: Array<string | undefined> = [];
  let forwarded = 0;
  const server = http2.createSecureServer({
    key: readFileSync(opts.certs.serverKeyPath),
    cert: readFileSync(opts.certs.serverCertPath),
    ca: readFileSync(opts.certs.caPath),
    requestCert: opts.requireClientCert ?? false,
    rejectUnauthorized: opts.requireClientCert ?? false,
    ALPNProtocols: ['h2'],
  });
  // A refused handshake is what the test wants to see from the client's side; not an error here.
  server.on('tlsClientError', () => undefined);
  server.on('sessionError', () => undefined);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const authorization = headers.authorization;
    authorizations.push(authorization);
    if (opts.apiKey !== undefined && authorization !== `Bearer ${opts.apiKey}`) {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'Request unauthorized.',
        },
        { endStream: true },
      );
      return;
    }
    forwarded++;
    const outgoing: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === ':authority' || name === ':scheme' || HOP_BY_HOP.has(name)) continue;
      outgoing[name] = value;
    }
    const request = upstream.request(outgoing);
    request.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('close', () => {
      if (!request.closed) request.close(http2.constants.NGHTTP2_CANCEL);
    });
    let trailers: http2.OutgoingHttpHeaders = {};
    request.on('response', (responseHeaders, flags) => {
      const copy = withoutPseudoExceptStatus(responseHeaders);
      // A trailers-only answer (gRPC errors) ends the stream with its headers.
      if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
        stream.respond(copy, { endStream: true });
        return;
      }
      stream.respond(copy, { waitForTrailers: true });
      request.pipe(stream);
    });
    request.on('trailers', (t) => {
      trailers = withoutPseudoExceptStatus(t);
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    authorizations,
    forwarded: () => forwarded,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Long polls from workers keep sessions open; end them.
        for (const session of sessions) session.destroy();
      });
      upstream.destroy();
    },
  };

  function withoutPseudoExceptStatus(h: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
    const out: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(h)) {
      if (name.startsWith(':') && name !== ':status') continue;
      if (HOP_BY_HOP.has(name)) continue;
      out[name] = value;
    }
    return out;
  }
}
