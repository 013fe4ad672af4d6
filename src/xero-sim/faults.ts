import { z } from 'zod';
import { newId } from './ids';

/**
 * Injected trouble, matched per request by method and path pattern (below /api.xro/2.0, `*`
 * matching anything, e.g. `/Invoices*`): a 5xx answer (before anything is written), added latency,
 * or drop-after-commit (the write happens, then the connection is destroyed so the answer is
 * lost). A rule fires on a fraction of matching calls (`rate`) or on the next `times` calls.
 */

export const faultRuleSchema = z
  .object({
    method: z.string().default('*'),
    path: z.string().default('*'),
    tenantId: z.string().optional(),
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    dropAfterCommit: z.boolean().optional(),
    rate: z.number().min(0).max(1).optional(),
    times: z.number().int().positive().optional(),
  })
  .refine((r) => r.status !== undefined || r.latencyMs !== undefined || r.dropAfterCommit, {
    message: 'a fault needs status, latencyMs or dropAfterCommit',
  });
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.infer<typeof faultRuleSchema> & { id: string; fired: number };

export interface FaultDecision {
  ids: string[];
  status?: 500 | 502 | 503 | 504;
  latencyMs: number;
  dropAfterCommit: boolean;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** mulberry32: small, seedable, good enough to decide which calls fail. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: Array<FaultRule & { re: RegExp }> = [];
  private random: () => number;

  constructor(private readonly seed: number) {
    this.random = seeded(seed);
  }

  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.parse(input);
    const rule = { ...parsed, id: newId(), fired: 0, re: globToRegExp(parsed.path) };
    this.rules.push(rule);
    return this.describe(rule);
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.random = seeded(this.seed);
  }

  list(): FaultRule[] {
    return this.rules.map((r) => this.describe(r));
  }

  private describe(r: FaultRule & { re: RegExp }): FaultRule {
    const { re: _re, ...rest } = r;
    void _re;
    return { ...rest };
  }

  /** Decides, and consumes, the faults for one call. Cheap when there are no rules. */
  decide(method: string, path: string, tenantId: string): FaultDecision | undefined {
    if (this.rules.length === 0) return undefined;
    let decision: FaultDecision | undefined;
    for (const rule of [...this.rules]) {
      if (rule.method !== '*' && rule.method.toUpperCase() !== method) continue;
      if (rule.tenantId && rule.tenantId !== tenantId) continue;
      if (!rule.re.test(path)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.fired++;
      if (rule.times !== undefined) {
        rule.times--;
        if (rule.times <= 0) this.remove(rule.id);
      }
      decision ??= { ids: [], latencyMs: 0, dropAfterCommit: false };
      decision.ids.push(rule.id);
      decision.latencyMs += rule.latencyMs ?? 0;
      decision.status ??= rule.status;
      decision.dropAfterCommit ||= rule.dropAfterCommit ?? false;
    }
    return decision;
  }
}
