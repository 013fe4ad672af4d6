import { explainUnexpected } from '../history';
import { orderKey } from '../progress';
import { benchOrder, inPool, reporter, sendLifecycle, type UnexpectedAnswer } from '../orders';
import { callBreakdown } from '../request-log';
import { XERO_LIMITS } from '../stack';
import { seconds, type Measure } from './types';

/**
 * (b) Xero calls per order for a burst of orders with PDFs and one payment each, counted from the
 * simulator's request log, with Xero's limits on (its real minute: BENCH_B_MINUTE_MS): what a
 * customer at the limit sees. The floor is one call per order: Xero takes one attachment per request.
 */

export const measureCalls: Measure = async (stack, params) => {
  const { orders: n, organisations, customersPerOrg, minuteMs } = params.b;
  const scenario = await stack.scenario({
    name: 'b',
    organisations: Array.from({ length: organisations }, (_, i) => `Bench B Org ${i + 1}`),
    limits: XERO_LIMITS,
    minuteMs,
  });
  try {
    const { client, orgs, progress } = scenario;
    const items = Array.from({ length: n }, (_, i) => {
      const org = i % orgs.length;
      return { org, order: benchOrder(`B-${String(i).padStart(5, '0')}`, i % customersPerOrg, org) };
    });
    const keys = items.map((it) => orderKey(orgs[it.org]!.accountId, it.order.number));
    const started = performance.now();
    const waiting = progress.waitUntilDone(keys, ['attachment', 'payment'], {
      timeoutMs: params.timeoutMs,
      pollMs: 500,
      onProgress: reporter('(b) orders done', n),
    });
    const unexpected: UnexpectedAnswer[] = [];
    await inPool(items, params.concurrency, (it) =>
      sendLifecycle(client, orgs[it.org]!.accountId, it.order, true, unexpected),
    );
    const done = await waiting;
    const wallMs = performance.now() - started;
    const calls = scenario.apiCalls();
    const perOrder = done.doneAt.size === n ? calls.length / n : NaN;
    process.stdout.write(`  (b) ${calls.length} Xero calls for ${done.doneAt.size} of ${n} orders\n`);
    return {
      rows: [
        {
          key: 'b.calls_per_order',
          measure: `(b) Xero calls per order (${n} orders)`,
          figure: perOrder,
          target: { op: '<=', value: 1.2 },
          note: `(b) convert + PDF + one payment, ${organisations} organisations, ${customersPerOrg} recurring customers each, Xero's limits on (60 calls a minute, 5 at once; minute = ${minuteMs} ms); floor 1.0: Xero takes one attachment per request`,
        },
      ],
      details: {
        unexpectedAnswers: { count: unexpected.length, first: await explainUnexpected(stack.client, unexpected) },
        orders: n,
        organisations,
        completed: done.doneAt.size,
        failed: done.failed.length,
        timedOut: done.timedOut,
        wallSeconds: seconds(wallMs),
        xeroCalls: calls.length,
        rateLimited429: calls.filter((c) => c.status === 429).length,
        calls: callBreakdown(calls),
      },
    };
  } finally {
    await scenario.close();
  }
};
