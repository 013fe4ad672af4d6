import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig, ConfigError } from '../src/config';
import {
  createOutboundHttp,
  OutboundRefusedError,
  OutboundTimeoutError,
  OutboundTooLargeError,
  outboundUrlProblem,
  refusalFor,
  type OutboundHttp,
  type OutboundPolicy,
} from '../src/net/outbound-http';
import { fetchHostPdf, MAX_ATTACHMENT_BYTES } from '../src/orders/host-pdf';
import { orderWorkerDeps } from '../src/orders/worker-deps';
import type { XeroAccessProvider } from '../src/xero/access';
import { createTestDatabase } from './support/database';

/**
 * Outbound requests to host-given URLs: which addresses are refused, and that the refusal happens
 * where production makes it — at connect time, after DNS, on every redirect hop — so a local server
 * is never reached unless private networks are allowed.
 */

const PDF = Buffer.from('%PDF-1.4\n% test pdf\n%%EOF\n');

interface Server {
  host: string;
  port: number;
  origin: string;
  hits: string[];
  close(): Promise<void>;
}

async function startServer(host: string, handler: http.RequestListener): Promise<Server> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((ok) => server.listen(0, host, ok));
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    origin: `http://${host}:${port}`,
    hits,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** A resolver for made-up names (tests), answering the way net.connect asks (one address or all). */
function fakeLookup(answers: (name: string) => string | undefined): LookupFunction {
  return (hostname, options, callback) => {
    const address = answers(hostname);
    setImmediate(() => {
      if (!address) {
        const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return callback(err, '', 4);
      }
      const family = address.includes(':') ? 6 : 4;
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    });
  };
}

async function refusal(p: Promise<unknown>): Promise<OutboundRefusedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OutboundRefusedError) return err;
    throw err;
  }
  assert.fail('expected the request to be refused');
}

describe('address classification', () => {
  const table: Array<[string, string | null]> = [
    // public
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['172.32.0.1', null],
    ['100.128.0.1', null],
    ['2606:4700:4700::1111', null],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::808:808', null],
    // refused, and in which words
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private network'],
    ['172.16.0.1', 'private network'],
    ['172.31.255.255', 'private network'],
    ['192.168.1.1', 'private network'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local (private IPv6)'],
    ['fd12:3456:789a::1', 'unique local (private IPv6)'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.1.2.3', 'private network'],
    ['64:ff9b::a00:1', 'private network'],
  ];
  for (const [address, expected] of table) {
    test(`${address} is ${expected ? `refused (${expected})` : 'allowed'}`, () => {
      const r = refusalFor(address, {});
      assert.equal(r?.range ?? null, expected);
      if (r) {
        assert.equal(r.reason, 'private_address');
        assert.equal(r.address, address);
      }
      assert.equal(refusalFor(address, { allowPrivateNetworks: true }), undefined, 'allowed when private networks are');
    });
  }

  test('a URL given by a host: scheme, literal addresses, and names resolving to private addresses', async () => {
    const lookup = fakeLookup((n) => ({ 'hooks.example': '93.184.215.14', 'intranet.example': '10.0.0.7' })[n]);
    const cases: Array<[string, RegExp | undefined]> = [
      ['https://hooks.example/x', undefined],
      ['http://93.184.215.14/hook', undefined],
      ['http://169.254.169.254/', /169\.254\.169\.254, a link-local address/],
      ['http://[::ffff:a9fe:a9fe]/latest/meta-data', /link-local/],
      ['http://[fd00::1]:8080/', /unique local/],
      ['http://0.0.0.0:8080/', /0\.0\.0\.0, an unspecified address/],
      // The URL parser's other spellings of 127.0.0.1 end up as the address itself.
      ['http://2130706433/', /127\.0\.0\.1, a loopback address/],
      ['http://0x7f.1/', /127\.0\.0\.1, a loopback address/],
      ['http://intranet.example/hook', /intranet\.example resolves to 10\.0\.0\.7, a private network address/],
      ['ftp://hooks.example/x', /ftp: URLs are not allowed/],
      ['file:///etc/passwd', /file: URLs are not allowed/],
      ['not a url', /not an absolute URL/],
      // Not resolvable today: accepted now, still checked at every connection.
      ['https://not-yet.example/x', undefined],
    ];
    for (const [url, expected] of cases) {
      const problem = await outboundUrlProblem(url, { lookup });
      if (expected) assert.match(problem ?? '', expected, url);
      else assert.equal(problem, undefined, url);
    }
    assert.equal(await outboundUrlProblem('http://127.0.0.1:3000/', { allowPrivateNetworks: true }), undefined);
    assert.equal(
      await outboundUrlProblem('http://intranet.example/', { allowPrivateNetworks: true, lookup }),
      undefined,
    );
    // The real resolver: localhost is loopback.
    assert.match((await outboundUrlProblem('http://localhost:8080/hook')) ?? '', /localhost resolves to .*loopback/);
  });

  test('OUTBOUND_ALLOW_PRIVATE_NETWORKS: off unless set, true/false parsed, anything else stops start-up', () => {
    assert.equal(loadConfig({}).OUTBOUND_ALLOW_PRIVATE_NETWORKS, false);
    assert.equal(loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: '' }).OUTBOUND_ALLOW_PRIVATE_NETWORKS, false);
    assert.equal(loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' }).OUTBOUND_ALLOW_PRIVATE_NETWORKS, true);
    assert.equal(loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false' }).OUTBOUND_ALLOW_PRIVATE_NETWORKS, false);
    assert.throws(
      () => loadConfig({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'maybe' }),
      (err: unknown) => err instanceof ConfigError && /OUTBOUND_ALLOW_PRIVATE_NETWORKS/.test(err.message),
    );
  });
});

describe('outbound requests', () => {
  let local: Server;
  /** Stands in for a public host: on 127.0.0.2, the one address the test policy treats as public. */
  let publicSite: Server;
  let refusing: OutboundHttp;
  let allowing: OutboundHttp;
  let testPolicy: OutboundHttp;
  let rebindCalls = 0;
  const policy: OutboundPolicy = {
    treatAsPublic: ['127.0.0.2'],
    lookup: fakeLookup((name) => {
      if (name === 'pdfs.example') return '127.0.0.2';
      if (name === 'internal.example') return '127.0.0.1';
      // Public when the URL is checked, loopback when the request connects.
      if (name === 'rebind.example') return rebindCalls++ === 0 ? '127.0.0.2' : '127.0.0.1';
      return undefined;
    }),
  };

  before(async () => {
    local = await startServer('127.0.0.1', (req, res) => {
      if (req.url === '/x.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
      res.writeHead(200).end('secret');
    });
    publicSite = await startServer('127.0.0.2', (req, res) => {
      const url = req.url ?? '';
      const go = (location: string, status = 302) => void res.writeHead(status, { location }).end();
      if (url === '/to-literal') return go(`${local.origin}/secret`);
      if (url === '/to-name') return go(`http://internal.example:${local.port}/secret`);
      if (url === '/to-localhost') return go(`http://localhost:${local.port}/secret`);
      if (url === '/to-mapped') return go(`http://[::ffff:127.0.0.1]:${local.port}/secret`);
      if (url === '/to-ftp') return go('ftp://pdfs.example/x.pdf');
      if (url === '/to-relative') return go('/x.pdf', 301);
      if (url.startsWith('/loop/')) return go(`/loop/${Number(url.slice(6)) + 1}`);
      if (url === '/post-307') return go('/echo', 307);
      if (url === '/post-303') return go('/echo', 303);
      if (url === '/echo') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        return void req.on('end', () => res.writeHead(200).end(`${req.method} ${body}`));
      }
      if (url === '/x.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
      if (url === '/endless') {
        // Never ends, no content-length: only the reader's own limit stops it.
        res.writeHead(200, { 'content-type': 'application/pdf' });
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        return pump();
      }
      if (url === '/declared-big')
        return void res.writeHead(200, { 'content-length': String(MAX_ATTACHMENT_BYTES + 1) }).end();
      if (url === '/too-big-pdf') {
        const body = Buffer.alloc(MAX_ATTACHMENT_BYTES + 1, 0x20);
        PDF.copy(body);
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        return void res.end(body);
      }
      if (url === '/silent') return; // never answers
      if (url === '/stall-body') {
        res.writeHead(200);
        return void res.write('%PDF-');
      }
      res.writeHead(404).end();
    });
    refusing = createOutboundHttp({});
    allowing = createOutboundHttp({ allowPrivateNetworks: true });
    testPolicy = createOutboundHttp(policy);
  });
  after(async () => {
    await Promise.all([refusing?.close(), allowing?.close(), testPolicy?.close()]);
    await Promise.all([local?.close(), publicSite?.close()]);
  });

  const get = (client: OutboundHttp, url: string, timeoutMs = 5_000, maxBytes = 1_000_000) =>
    client.request(url, { timeoutMs, maxBytes });

  test('a server on 127.0.0.1 is refused by default — by address, by name (localhost), IPv4-mapped — and never hit', async () => {
    for (const url of [
      `${local.origin}/x.pdf`,
      `http://localhost:${local.port}/x.pdf`,
      `http://[::ffff:127.0.0.1]:${local.port}/x.pdf`,
    ]) {
      const err = await refusal(get(refusing, url));
      assert.equal(err.reason, 'private_address', url);
      assert.equal(err.range, 'loopback', url);
      assert.equal(err.url, new URL(url).href);
    }
    assert.deepEqual(local.hits, []);
  });

  test('allowed, the same server is fetched', async () => {
    const res = await get(allowing, `${local.origin}/x.pdf`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, PDF);
    assert.deepEqual(local.hits, ['/x.pdf']);
    local.hits.length = 0;
  });

  test('other schemes are refused before any connection', async () => {
    for (const url of ['ftp://pdfs.example/x.pdf', 'file:///etc/passwd', 'data:application/pdf,%PDF-']) {
      assert.equal((await refusal(get(allowing, url))).reason, 'scheme', url);
    }
  });

  test('a redirect from an allowed host to a private one is refused at connect time; the private server is never hit', async () => {
    const ok = await get(testPolicy, `http://pdfs.example:${publicSite.port}/to-relative`);
    assert.equal(ok.status, 200, 'a redirect within the allowed host is followed');
    assert.deepEqual(ok.body, PDF);
    assert.equal(ok.url, `http://pdfs.example:${publicSite.port}/x.pdf`);

    for (const path of ['/to-literal', '/to-name', '/to-mapped']) {
      const err = await refusal(get(testPolicy, `http://pdfs.example:${publicSite.port}${path}`));
      assert.equal(err.reason, 'private_address', path);
      assert.equal(err.range, 'loopback', path);
      assert.match(err.url ?? '', /\/secret$/, 'the refused hop is the redirect target');
    }
    // localhost through the test resolver does not resolve: it fails, it does not connect.
    await assert.rejects(get(testPolicy, `http://pdfs.example:${publicSite.port}/to-localhost`));
    assert.equal((await refusal(get(testPolicy, `http://pdfs.example:${publicSite.port}/to-ftp`))).reason, 'scheme');
    assert.deepEqual(local.hits, [], 'the private server was never reached');
  });

  test('a name that resolves to a public address when checked and a private one when connecting is refused', async () => {
    rebindCalls = 0;
    assert.equal(await outboundUrlProblem(`http://rebind.example:${local.port}/`, policy), undefined);
    const err = await refusal(get(testPolicy, `http://rebind.example:${local.port}/secret`));
    assert.match(err.message, /rebind\.example resolves to 127\.0\.0\.1, a loopback address/);
    assert.deepEqual(local.hits, []);
  });

  test('redirects: at most 5 hops; 307 keeps a POST, 303 turns it into a GET; none followed when maxRedirects is 0', async () => {
    const loop = await refusal(get(testPolicy, `http://pdfs.example:${publicSite.port}/loop/0`));
    assert.equal(loop.reason, 'redirects');
    assert.match(loop.message, /more than 5 redirects/);
    const before = publicSite.hits.filter((h) => h.startsWith('/loop/')).length;
    assert.equal(before, 6, 'the first request and five redirects');

    const post = (path: string, maxRedirects?: number) =>
      testPolicy.request(`http://pdfs.example:${publicSite.port}${path}`, {
        method: 'POST',
        body: 'payload',
        headers: { 'content-type': 'text/plain' },
        timeoutMs: 5_000,
        maxBytes: 1_000,
        ...(maxRedirects === undefined ? {} : { maxRedirects }),
      });
    assert.equal((await post('/post-307')).body.toString(), 'POST payload');
    assert.equal((await post('/post-303')).body.toString(), 'GET ');
    assert.equal((await post('/post-307', 0)).status, 307);
  });

  test('size limit: a declared or streamed answer past the limit stops the read', async () => {
    await assert.rejects(
      get(testPolicy, `http://pdfs.example:${publicSite.port}/declared-big`, 5_000, MAX_ATTACHMENT_BYTES),
      OutboundTooLargeError,
    );
    const started = Date.now();
    await assert.rejects(
      get(testPolicy, `http://pdfs.example:${publicSite.port}/endless`, 10_000, 1_000_000),
      OutboundTooLargeError,
    );
    assert.ok(Date.now() - started < 5_000, 'an endless answer is cut off at the limit, not read to the timeout');
  });

  test('timeout: no answer, or an answer whose body stalls, ends at the overall limit', async () => {
    for (const path of ['/silent', '/stall-body']) {
      const started = Date.now();
      await assert.rejects(get(testPolicy, `http://pdfs.example:${publicSite.port}${path}`, 300), OutboundTimeoutError);
      assert.ok(Date.now() - started < 3_000, path);
    }
  });

  test('fetchHostPdf: a private address is a business failure naming it, not a retry; allowed, the PDF comes back', async () => {
    const url = `${local.origin}/x.pdf`;
    const err = await fetchHostPdf(url).then(
      () => assert.fail('fetched a PDF from 127.0.0.1'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'pdf_unavailable');
    assert.equal(err.nonRetryable, true);
    assert.match(
      err.message,
      /^the order PDF URL http:\/\/127\.0\.0\.1:\d+\/x\.pdf points at a private address \(127\.0\.0\.1, loopback\)/,
    );
    assert.deepEqual(local.hits, []);

    const pdf = await fetchHostPdf(url, { allowPrivateNetworks: true });
    assert.deepEqual(pdf.bytes, PDF);
    assert.deepEqual(local.hits, ['/x.pdf']);
    local.hits.length = 0;

    const redirected = await fetchHostPdf(`http://pdfs.example:${publicSite.port}/to-literal`, {
      http: testPolicy,
    }).then(
      () => assert.fail('followed a redirect to 127.0.0.1'),
      (e: unknown) => e as ApplicationFailure,
    );
    assert.equal(redirected.type, 'pdf_unavailable');
    assert.match(
      redirected.message,
      /redirected to http:\/\/127\.0\.0\.1:\d+\/secret, which points at a private address/,
    );

    const big = await fetchHostPdf(`http://pdfs.example:${publicSite.port}/too-big-pdf`, { http: testPolicy }).then(
      () => assert.fail('accepted more than 10 MB'),
      (e: unknown) => e as ApplicationFailure,
    );
    assert.equal(big.type, 'pdf_unavailable');
    assert.match(big.message, /larger than Xero's 10 MB limit/);

    const slow = await fetchHostPdf(`http://pdfs.example:${publicSite.port}/silent`, {
      http: testPolicy,
      timeoutMs: 200,
    }).then(
      () => assert.fail('no answer was an answer'),
      (e: unknown) => e as ApplicationFailure,
    );
    assert.equal(slow.type, 'HostPdfUnavailable', 'a timeout is retried');
    assert.notEqual(slow.nonRetryable, true);
    assert.deepEqual(local.hits, []);
  });

  test("the worker's PDF fetcher follows OUTBOUND_ALLOW_PRIVATE_NETWORKS", async () => {
    const database = await createTestDatabase();
    try {
      const deps = (env: NodeJS.ProcessEnv, allowPrivateNetworks?: boolean) =>
        orderWorkerDeps({
          db: database.db,
          cfg: loadConfig(env),
          access: {} as XeroAccessProvider,
          apiUrl: 'http://xero.invalid',
          ...(allowPrivateNetworks === undefined ? {} : { allowPrivateNetworks }),
        });
      const url = `${local.origin}/x.pdf`;
      await assert.rejects(deps({}).fetchPdf!(url), /points at a private address/);
      assert.deepEqual(local.hits, []);
      assert.deepEqual((await deps({ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' }).fetchPdf!(url)).bytes, PDF);
      assert.deepEqual((await deps({}, true).fetchPdf!(url)).bytes, PDF, "npm start's override");
      assert.deepEqual(local.hits, ['/x.pdf', '/x.pdf']);
      local.hits.length = 0;
    } finally {
      await database.close();
    }
  });
});
