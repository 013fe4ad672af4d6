import { limiterChecks, limiterWaits } from '../src/metrics/engine';

/** The limiter's waits so far in this process, as "reason/outcome" → count (deferred = handed to Temporal), and its database checks. */
export async function limiterWaitCounts(): Promise<Record<string, number>> {
  const { values } = await limiterWaits.get();
  const checks = (await limiterChecks.get()).values[0]?.value ?? 0;
  return {
    ...Object.fromEntries(values.map((v) => [`${String(v.labels.reason)}/${String(v.labels.outcome)}`, v.value])),
    'database checks': checks,
  };
}

/** What happened between two readings. */
export function waitsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );
}
