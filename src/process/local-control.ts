import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { safeEqual } from '../security/hashing';
import { AdminLinkRequestError, type IssuedAdminLink } from './admin-link';

/**
 * `npm start`'s door for local commands: a loopback-only HTTP listener (never the public port)
 * whose address and a random token are in `$DATA_DIR/engine.json` (mode 0600, removed at shutdown).
 * `npm run admin-link` reads that file and asks the running engine for a link, instead of opening
 * the embedded database the engine holds.
 */
export interface EngineFile {
  pid: number;
  url: string;
  token: string;
}

export interface AdminLinkRequest {
  account?: string;
  hostApp?: string;
}

export function engineFilePath(dataDir: string): string {
  return path.join(dataDir, 'engine.json');
}

export interface LocalControl {
  url: string;
  close(): Promise<void>;
}

export async function startLocalControl(p: {
  dataDir: string;
  log: Logger;
  issueAdminLink(request: AdminLinkRequest): Promise<IssuedAdminLink>;
}): Promise<LocalControl> {
  const token = randomBytes(32).toString('base64url');
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !safeEqual(auth.slice(7), token))
      return answer(401, { message: 'not authorised' });
    if (req.method !== 'POST' || req.url !== '/admin-link') return answer(404, { message: 'no such route' });
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
      if (raw.length > 4096) req.destroy();
    });
    req.on('end', () => {
      void (async () => {
        try {
          const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
          const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
          const link = await p.issueAdminLink({ account: text(body.account), hostApp: text(body.hostApp) });
          answer(200, link);
        } catch (err) {
          if (err instanceof AdminLinkRequestError) return answer(404, { message: err.message });
          if (err instanceof SyntaxError) return answer(400, { message: 'the body is not JSON' });
          p.log.error({ err }, 'admin link for a local command failed');
          answer(500, { message: `the running engine could not make a link: ${(err as Error).message}` });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const file = engineFilePath(p.dataDir);
  mkdirSync(p.dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, url, token } satisfies EngineFile)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  const removeFile = () => {
    if (readEngineFile(p.dataDir)?.pid === process.pid) rmSync(file, { force: true });
  };
  process.once('exit', removeFile);

  return {
    url,
    close: async () => {
      removeFile();
      process.removeListener('exit', removeFile);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readEngineFile(dataDir: string): EngineFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(engineFilePath(dataDir), 'utf8')) as Partial<EngineFile>;
    if (typeof parsed.pid === 'number' && typeof parsed.url === 'string' && typeof parsed.token === 'string')
      return parsed as EngineFile;
  } catch {
    // absent or half-written: no engine to ask
  }
  return undefined;
}

/** The `npm start` running on this DATA_DIR, if any (a file left by a killed process is ignored). */
export function runningEngine(dataDir: string): EngineFile | undefined {
  const engine = readEngineFile(dataDir);
  if (!engine || engine.pid === process.pid) return undefined;
  try {
    process.kill(engine.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return engine;
}

/** Asks the running engine for a fresh admin link; a refusal (no such account) comes back as AdminLinkRequestError. */
export async function requestAdminLink(engine: EngineFile, request: AdminLinkRequest): Promise<IssuedAdminLink> {
  const res = await fetch(`${engine.url}/admin-link`, {
    method: 'POST',
    headers: { authorization: `Bearer ${engine.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<IssuedAdminLink> & { message?: string };
  if (res.status === 404 && body.message) throw new AdminLinkRequestError(body.message);
  if (!res.ok || typeof body.url !== 'string')
    throw new Error(`the running engine (pid ${engine.pid}) answered ${res.status}: ${body.message ?? 'no link'}`);
  return body as IssuedAdminLink;
}
