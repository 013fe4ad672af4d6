/**
 * `npm run bench:xero-sim`: how many simple requests per second the Xero simulator serves on one
 * core. The simulator runs in a child process (so it has a core to itself); this process drives
 * GET /Organisation over keep-alive connections for a fixed time, then a mixed read/write load.
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 32) tune it.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { startXeroSimulator } from '../src/xero-sim/server';

interface Ready {
  url: string;
  token: string;
  tenantId: string;
}

async function serve(): Promise<void> {
  const sim = await startXeroSimulator({
    limits: { perMinute: 1e9, perDay: 1e9, concurrent: 1e6, appPerMinute: 1e9 },
    requestLogLimit: 1000,
  });
  const tokens = sim.sim.issueTokens();
  process.send?.({ url: sim.url, token: tokens.access_token, tenantId: tokens.tenantIds[0]! } satisfies Ready);
  process.on('message', (m) => {
    if (m === 'stop') void sim.close().then(() => process.exit(0));
  });
}

function request(agent: http.Agent, ready: Ready, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(`${ready.url}/api.xro/2.0${path}`);
    const req = http.request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers: {
          authorization: `Bearer ${ready.token}`,
          'xero-tenant-id': ready.tenantId,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(
  ready: Ready,
  seconds: number,
  connections: number,
  next: (i: number) => [string, string, string?],
) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      let i = c;
      while (Date.now() < deadline) {
        const [method, path, body] = next(i);
        const t = performance.now();
        const status = await request(agent, ready, method, path, body);
        latencies.push(performance.now() - t);
        if (status >= 400) errors++;
        done++;
        i += connections;
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!.toFixed(2);
  return { rps: Math.round(done / seconds), requests: done, errors, p50: p(0.5), p99: p(0.99) };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') return serve();
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const child = fork(__filename, ['serve'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve) => child.once('message', (m) => resolve(m as Ready)));
  try {
    await load(ready, 1, connections, () => ['GET', '/Organisation']); // warm-up
    const simple = await load(ready, seconds, connections, () => ['GET', '/Organisation']);
    process.stdout.write(
      `GET /Organisation, ${connections} keep-alive connections, ${seconds} s: ${simple.rps} req/s (p50 ${simple.p50} ms, p99 ${simple.p99} ms, ${simple.errors} errors)\n`,
    );
    const invoice = (i: number) =>
      JSON.stringify({
        Invoices: [
          {
            Type: 'ACCREC',
            Contact: { Name: 'Boom FM' },
            Date: '2025-01-01',
            DueDate: '2025-01-31',
            InvoiceNumber: `B-${process.pid}-${i}`,
            LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 10, AccountCode: '200' }],
          },
        ],
      });
    const mixed = await load(ready, seconds, connections, (i) =>
      i % 4 === 0
        ? ['PUT', '/Invoices?summarizeErrors=false', invoice(i)]
        : i % 4 === 1
          ? ['GET', '/Contacts?where=Name%3D%3D%22Boom%20FM%22']
          : ['GET', '/Organisation'],
    );
    process.stdout.write(
      `mixed (1/4 invoice creates, 1/4 contact searches, 1/2 organisation): ${mixed.rps} req/s (p50 ${mixed.p50} ms, p99 ${mixed.p99} ms, ${mixed.errors} errors)\n`,
    );
  } finally {
    child.send('stop');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
