import { explainUnexpected, timeline, timeSpent } from '../history';
import { orderWorkflowId } from '../../src/client';
import { orderKey } from '../progress';
import { benchOrder, inPool, reporter, sendLifecycle, sleep, type UnexpectedAnswer } from '../orders';
import type { Scenario } from '../stack';
import { XERO_LIMITS } from '../stack';
import { ascending, leastTimeMs, percentile } from '../table';
import { attachmentAnswers, callBreakdown } from '../request-log';
import { seconds, type Measure } from './types';
import { limiterWaitCounts, waitsSince } from '../limiter-waits';

/**
 * (c) One organisation's backlog of orders with Xero's limits on (minute compressed): its total time
 * against the least time its calls allow at 60 a minute, and no failed syncs. Meanwhile another
 * organisation's single orders, one every few seconds: how long each waits for its invoice with
 * the PDF in Xero (its p99), i.e. whether one organisation's backlog delays another's live documents.
 */

/** Single live orders every `everyMs` until `stop()`; each one's latency to its PDF in Xero. */
export function liveOrders(scenario: Scenario, org: number, everyMs: number, prefix: string) {
  const sent = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const order = benchOrder(`${prefix}-${String(i).padStart(4, '0')}`, i % 3, org);
      sent.set(order.number, Date.now());
      await sendLifecycle(scenario.client, scenario.orgs[org]!.accountId, order, false);
      await sleep(everyMs);
    }
  })();
  return {
    async stop(graceMs: number) {
      stopped = true;
      await loop;
      const deadline = Date.now() + graceMs;
      const tenantId = scenario.orgs[org]!.tenantId;
      let answered = attachmentAnswers(scenario.apiCalls({ tenantId }), [...sent.keys()]);
      while (answered.size < sent.size && Date.now() < deadline) {
        await sleep(250);
        answered = attachmentAnswers(scenario.apiCalls({ tenantId }), [...sent.keys()]);
      }
      const latencies = [...sent].map(([n, at]) => (answered.has(n) ? answered.get(n)! - at : Infinity));
      const slowest = [...sent].sort(
        ([a, at], [b, bt]) => (answered.get(b) ?? Infinity) - bt - ((answered.get(a) ?? Infinity) - at),
      )[0]?.[0];
      return {
        sent: sent.size,
        answered: answered.size,
        latenciesMs: ascending(latencies),
        slowest,
        orders: [...sent.keys()],
      };
    },
  };
}

export const measureLimits: Measure = async (stack, params) => {
  const { orders: n, customers, liveEveryMs } = params.c;
  const minuteMs = params.minuteMs;
  const scenario = await stack.scenario({
    name: 'c',
    organisations: ['Bench C Backlog Org', 'Bench C Live Org'],
    limits: XERO_LIMITS,
    minuteMs,
  });
  try {
    const { client, orgs, progress } = scenario;
    const backlog = orgs[0]!;
    const items = Array.from({ length: n }, (_, i) => benchOrder(`C-${String(i).padStart(5, '0')}`, i % customers));
    const keys = items.map((o) => orderKey(backlog.accountId, o.number));
    const startedAtMs = Date.now();
    const started = performance.now();
    const waitsBefore = await limiterWaitCounts();
    const live = liveOrders(scenario, 1, liveEveryMs, 'LIVE');
    const waiting = progress.waitUntilDone(keys, ['attachment', 'payment'], {
      timeoutMs: params.timeoutMs,
      pollMs: 500,
      onProgress: reporter('(c) backlog orders done', n),
    });
    const unexpected: UnexpectedAnswer[] = [];
    await inPool(items, params.concurrency, (o) => sendLifecycle(client, backlog.accountId, o, true, unexpected));
    const done = await waiting;
    const totalMs = (done.doneAt.size > 0 ? Math.max(...done.doneAt.values()) : performance.now()) - started;
    const liveResult = await live.stop(30_000);
    await progress.poll();

    const calls = scenario.apiCalls({ tenantId: backlog.tenantId, sinceMs: startedAtMs });
    // A refused call (429) does not count toward Xero's limit; every other one does.
    const counted = calls.filter((c) => c.status !== 429).length;
    const leastMs = leastTimeMs(counted, XERO_LIMITS.perMinute, minuteMs);
    const complete = done.doneAt.size === n;
    const ratio = complete ? totalMs / leastMs : NaN;
    const failedSyncs = progress.failureCount(keys);
    const liveP99 = percentile(liveResult.latenciesMs, 99);
    process.stdout.write(
      `  (c) ${done.doneAt.size} of ${n} in ${seconds(totalMs)} s, least ${seconds(leastMs)} s (${counted} calls); live p99 ${Math.round(liveP99)} ms over ${liveResult.sent}\n`,
    );
    return {
      rows: [
        {
          key: 'c.time_vs_least',
          measure: `(c) ${n} orders of one organisation: time ÷ least time`,
          figure: ratio,
          unit: '×',
          target: { op: '<=', value: 1.1 },
          note: `(c) least time = Xero calls the backlog made (${counted}, 429s not counted) ÷ 60 a minute × the minute (${minuteMs} ms compressed) = ${seconds(leastMs)} s; took ${seconds(totalMs)} s`,
        },
        {
          key: 'c.failed_syncs',
          measure: '(c) failed syncs in the backlog',
          figure: failedSyncs,
          target: { op: '<=', value: 0 },
        },
        {
          key: 'c.live_p99_ms',
          measure: `(c) other organisation's single orders: p99 to PDF in Xero`,
          figure: liveP99,
          unit: 'ms',
          target: { op: '<', value: 5_000 },
          note: `(c) one order every ${liveEveryMs} ms on a second organisation while the backlog runs (${liveResult.sent} orders); convert → invoice with PDF answered by Xero`,
        },
      ],
      details: {
        unexpectedAnswers: { count: unexpected.length, first: await explainUnexpected(stack.client, unexpected) },
        orders: n,
        completed: done.doneAt.size,
        timedOut: done.timedOut,
        failedSyncs,
        totalSeconds: seconds(totalMs),
        leastSeconds: seconds(leastMs),
        xeroCalls: calls.length,
        countedCalls: counted,
        callsPerOrder: calls.length / Math.max(1, done.doneAt.size),
        rateLimited429: calls.length - counted,
        calls: callBreakdown(calls),
        // The backlog's counted calls in each minute from its start: 60 each is the limit spent in full.
        callsPerMinute: callsPerWindow(calls, startedAtMs, minuteMs),
        limiterWaits: waitsSince(waitsBefore, await limiterWaitCounts()),
        live: {
          sent: liveResult.sent,
          answered: liveResult.answered,
          p50Ms: Math.round(percentile(liveResult.latenciesMs, 50)),
          p99Ms: Math.round(liveP99),
          maxMs: Math.round(liveResult.latenciesMs.at(-1) ?? NaN),
          // Where the live orders' time went, from their histories: p50 and p99 over the orders.
          timeSpent: await liveTimeSpent(stack.client, orgs[1]!.accountId, liveResult.orders),
          slowest: liveResult.slowest
            ? {
                order: liveResult.slowest,
                history: await timeline(stack.client, orderWorkflowId(orgs[1]!.accountId, liveResult.slowest)),
              }
            : undefined,
        },
      },
    };
  } finally {
    await scenario.close();
  }
};

async function liveTimeSpent(client: Parameters<typeof timeSpent>[0], accountId: string, orders: string[]) {
  const spent = await Promise.all(orders.map((o) => timeSpent(client, orderWorkflowId(accountId, o))));
  const summary = (pick: (t: (typeof spent)[number]) => number) => {
    const values = ascending(spent.map(pick));
    return { p50Ms: Math.round(percentile(values, 50)), p99Ms: Math.round(percentile(values, 99)) };
  };
  return {
    workflowTaskQueued: summary((t) => t.workflowTaskQueuedMs),
    workflowTaskRun: summary((t) => t.workflowTaskRunMs),
    activityRun: summary((t) => t.activityRunMs),
  };
}

function callsPerWindow(calls: Array<{ at: string; status: number }>, fromMs: number, windowMs: number): number[] {
  const counts: number[] = [];
  for (const c of calls) {
    if (c.status === 429) continue;
    const i = Math.floor((Date.parse(c.at) - fromMs) / windowMs);
    if (i < 0) continue;
    while (counts.length <= i) counts.push(0);
    counts[i]!++;
  }
  return counts;
}
