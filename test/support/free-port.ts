import net from 'node:net';

/**
 * A port free now, for a server a test starts a little later. Drawn below Linux's ephemeral range
 * (32768–60999): a port the OS handed out (port 0) is free again once released, and the OS may give
 * it next to any process's outgoing connection or to a server binding port 0 — the Temporal dev
 * server binds several that way while `npm start` comes up, and once took the web server's port.
 */
const LOW = 20_000;
const HIGH = 32_000;

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await tryListen(LOW + Math.floor(Math.random() * (HIGH - LOW)));
    if (port !== undefined) return port;
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port');
  return port;
}
