import { explainUnexpected } from '../history';
import { orderKey } from '../progress';
import { benchOrder, inPool, reporter, sendLifecycle, sleep, type UnexpectedAnswer } from '../orders';
import { XERO_LIMITS } from '../stack';
import { leastTimeMs } from '../table';
import { callBreakdown } from '../request-log';
import { seconds, type Measure } from './types';

/**
 * (e) Recovery: Xero answers 503 to every accounting call (the simulator's faults) while a backlog
 * is queued, then recovers. Seconds from recovery to the first call Xero accepts, and to the last
 * order of the backlog in Xero; the drain after the first success is held against the least time
 * its calls allow at Xero's rate limit (minute compressed).
 */
export const measureRecovery: Measure = async (stack, params) => {
  const { orders: n, outageMs } = params.e;
  const minuteMs = params.minuteMs;
  const scenario = await stack.scenario({
    name: 'e',
    organisations: ['Bench E Org'],
    limits: XERO_LIMITS,
    minuteMs,
  });
  try {
    const { client, orgs, progress, sim } = scenario;
    const org = orgs[0]!;
    const outage = sim.sim.addFault({ method: '*', path: '*', status: 503 });
    const items = Array.from({ length: n }, (_, i) => benchOrder(`E-${String(i).padStart(5, '0')}`, i % 10));
    const keys = items.map((o) => orderKey(org.accountId, o.number));
    const unexpected: UnexpectedAnswer[] = [];
    await inPool(items, params.concurrency, (o) => sendLifecycle(client, org.accountId, o, true, unexpected));
    process.stdout.write(`  (e) ${n} orders queued; Xero answers 503 for ${outageMs} ms\n`);
    await sleep(outageMs);
    const during = scenario.apiCalls().length;
    sim.sim.removeFault(outage.id);
    const recoveredAtMs = Date.now();
    const recovered = performance.now();
    const done = await progress.waitUntilDone(keys, ['attachment', 'payment'], {
      timeoutMs: params.timeoutMs,
      pollMs: 250,
      onProgress: reporter('(e) backlog orders done after recovery', n),
    });
    const drainMs = done.doneAt.size === n ? Math.max(...done.doneAt.values()) - recovered : NaN;
    const after = scenario.apiCalls({ sinceMs: recoveredAtMs });
    const successes = after.filter((c) => c.status >= 200 && c.status < 300).map((c) => Date.parse(c.at));
    const firstSuccessMs = successes.length > 0 ? Math.min(...successes) - recoveredAtMs : NaN;
    const counted = after.filter((c) => c.status !== 429).length;
    const leastMs = leastTimeMs(counted, XERO_LIMITS.perMinute, minuteMs);
    const drainRatio = (drainMs - Math.max(0, firstSuccessMs)) / leastMs;
    process.stdout.write(
      `  (e) first success ${seconds(firstSuccessMs)} s after recovery, backlog empty after ${seconds(drainMs)} s (least ${seconds(leastMs)} s)\n`,
    );
    return {
      rows: [
        {
          key: 'e.first_success_s',
          measure: '(e) after a Xero outage: recovery → first success',
          figure: firstSuccessMs / 1000,
          unit: 's',
          target: { op: '<=', value: 10 },
          note: `(e) ${n} orders (convert + PDF + payment) queued while every accounting call got 503 for ${seconds(outageMs)} s (${during} calls refused), then Xero answers again`,
        },
        { key: 'e.drain_s', measure: '(e) recovery → backlog empty', figure: drainMs / 1000, unit: 's' },
        {
          key: 'e.drain_vs_least',
          measure: '(e) drain after first success ÷ least time',
          figure: drainRatio,
          unit: '×',
          target: { op: '<=', value: 1.1 },
          note: `(e) "drained at the rate limit": least time = ${counted} calls after recovery ÷ 60 a minute × ${minuteMs} ms = ${seconds(leastMs)} s`,
        },
      ],
      details: {
        unexpectedAnswers: { count: unexpected.length, first: await explainUnexpected(stack.client, unexpected) },
        orders: n,
        outageMs,
        completed: done.doneAt.size,
        failed: done.failed.length,
        timedOut: done.timedOut,
        callsDuringOutage: during,
        firstSuccessSeconds: seconds(firstSuccessMs),
        drainSeconds: seconds(drainMs),
        leastSeconds: seconds(leastMs),
        callsAfterRecovery: after.length,
        calls: callBreakdown(after),
      },
    };
  } finally {
    await scenario.close();
  }
};
