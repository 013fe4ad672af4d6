import type { Limits } from './options';

/**
 * Xero's limits, per app and tenant: calls in a rolling minute and a rolling day, calls in
 * progress at once, and calls in a rolling minute for the whole app. A refused call is not
 * counted. Windows keep the timestamps of the calls they let through, at most `limit` of them.
 */

class RollingWindow {
  private readonly times: number[] = [];
  private head = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  private evict(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  used(now: number): number {
    this.evict(now);
    return this.times.length - this.head;
  }

  remaining(now: number): number {
    return Math.max(0, this.limit - this.used(now));
  }

  /** Ms until the oldest counted call leaves the window. */
  retryAfterMs(now: number): number {
    this.evict(now);
    const oldest = this.times[this.head];
    return oldest === undefined ? 0 : oldest + this.windowMs - now;
  }

  add(now: number): void {
    this.times.push(now);
  }
}

export type RateLimitProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

export interface RateLimitHeaders {
  'X-DayLimit-Remaining': string;
  'X-MinLimit-Remaining': string;
  'X-AppMinLimit-Remaining': string;
}

export type Admission =
  | { ok: true; headers: RateLimitHeaders; release: () => void }
  | { ok: false; problem: RateLimitProblem; retryAfterSeconds: number; headers: RateLimitHeaders };

interface TenantState {
  minute: RollingWindow;
  day: RollingWindow;
  inFlight: number;
}

export class RateLimiter {
  private tenants = new Map<string, TenantState>();
  private apps = new Map<string, RollingWindow>();

  constructor(
    private limits: Limits,
    private readonly minuteMs: number,
    private readonly dayMs: number,
  ) {}

  setLimits(limits: Limits): void {
    this.limits = limits;
    this.reset();
  }

  currentLimits(): Limits {
    return this.limits;
  }

  reset(): void {
    this.tenants.clear();
    this.apps.clear();
  }

  private tenant(clientId: string, tenantId: string): TenantState {
    const key = `${clientId}\u0000${tenantId}`;
    let s = this.tenants.get(key);
    if (!s) {
      s = {
        minute: new RollingWindow(this.limits.perMinute, this.minuteMs),
        day: new RollingWindow(this.limits.perDay, this.dayMs),
        inFlight: 0,
      };
      this.tenants.set(key, s);
    }
    return s;
  }

  private app(clientId: string): RollingWindow {
    let w = this.apps.get(clientId);
    if (!w) {
      w = new RollingWindow(this.limits.appPerMinute, this.minuteMs);
      this.apps.set(clientId, w);
    }
    return w;
  }

  admit(clientId: string, tenantId: string, now: number): Admission {
    const t = this.tenant(clientId, tenantId);
    const a = this.app(clientId);
    const headers = (): RateLimitHeaders => ({
      'X-DayLimit-Remaining': String(t.day.remaining(now)),
      'X-MinLimit-Remaining': String(t.minute.remaining(now)),
      'X-AppMinLimit-Remaining': String(a.remaining(now)),
    });
    const refuse = (problem: RateLimitProblem, waitMs: number): Admission => ({
      ok: false,
      problem,
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      headers: headers(),
    });
    if (t.day.used(now) >= this.limits.perDay) return refuse('day', t.day.retryAfterMs(now));
    if (a.used(now) >= this.limits.appPerMinute) return refuse('appminute', a.retryAfterMs(now));
    if (t.minute.used(now) >= this.limits.perMinute) return refuse('minute', t.minute.retryAfterMs(now));
    if (t.inFlight >= this.limits.concurrent) return refuse('concurrent', 1000);
    t.day.add(now);
    t.minute.add(now);
    a.add(now);
    t.inFlight++;
    let released = false;
    return {
      ok: true,
      headers: headers(),
      release: () => {
        if (!released) {
          released = true;
          t.inFlight--;
        }
      },
    };
  }
}
