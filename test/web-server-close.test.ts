/**
 * Ctrl-C with an admin page open: the page polls every few seconds over a keep-alive connection,
 * which kept server.close() waiting until the shutdown step's 10 s timeout. The server now finishes
 * what is in progress and closes within its grace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import express from 'express';
import { listen } from '../web/server';

function get(agent: http.Agent, url: string): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

test('close() with a polling keep-alive client and a request in progress: the request finishes, the server closes within its grace', async () => {
  const app = express();
  app.get('/poll', (_req, res) => res.json({ ok: true }));
  app.get('/slow', (_req, res) => void setTimeout(() => res.send('done'), 300));
  const server = await listen(app, 0, '127.0.0.1', 1_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const polling = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let stop = false;
  // Like live-account.js: a poll that never lets its connection go idle for long.
  const poller = (async () => {
    while (!stop) {
      await get(polling, `${server.url}/poll`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await get(polling, `${server.url}/poll`);
    const slow = get(agent, `${server.url}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const took = await Promise.race([
      server.close().then(() => Date.now() - started),
      new Promise<number>((r) => setTimeout(() => r(Infinity), 5_000)),
    ]);
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'done');
    assert.equal(answer.connection, 'close', 'the request in progress is told the connection closes');
    assert.ok(took < 2_500, `closed in ${took} ms (grace 1 s), not after the poller stopped`);
  } finally {
    stop = true;
    await poller;
    agent.destroy();
    polling.destroy();
  }
});
