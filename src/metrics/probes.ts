/**
 * Liveness and readiness, shared by the web process and the worker's ops server.
 * Liveness depends on nothing (a process that answers is alive: restarting it because the
 * database is down would not help). Readiness checks what serving needs, each check under a short
 * deadline, and turns false as soon as shutdown starts, so a load balancer drains the instance
 * before it stops accepting connections.
 */

export type Check = { ok: true; latencyMs: number } | { ok: false; error: string };

export async function timedCheck(probe: () => Promise<unknown>, timeoutMs = 2_000): Promise<Check> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - start) };
  } catch (err) {
    // Only the message: a driver's error object can carry connection strings.
    return { ok: false, error: (err as Error).message.slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

/** Set once, when shutdown begins; readiness answers 503 from then on. */
export interface ShutdownState {
  readonly shuttingDown: boolean;
  begin(): void;
}

export function shutdownState(): ShutdownState {
  let shuttingDown = false;
  return {
    get shuttingDown() {
      return shuttingDown;
    },
    begin() {
      shuttingDown = true;
    },
  };
}

export interface ReadinessReport {
  ready: boolean;
  body: {
    status: 'ready' | 'unavailable' | 'shutting_down';
    checks: Record<string, Check | { ok: boolean; state?: string }>;
  };
}

/** Runs the checks side by side; ready when every one is ok and shutdown has not begun. */
export async function readiness(
  checks: Record<string, () => Promise<Check | { ok: boolean; state?: string }>>,
  shutdown?: ShutdownState,
): Promise<ReadinessReport> {
  if (shutdown?.shuttingDown) return { ready: false, body: { status: 'shutting_down', checks: {} } };
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((n) => checks[n]!()));
  const all = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
  const ready = results.every((r) => r.ok) && !shutdown?.shuttingDown;
  return {
    ready,
    body: { status: ready ? 'ready' : shutdown?.shuttingDown ? 'shutting_down' : 'unavailable', checks: all },
  };
}
