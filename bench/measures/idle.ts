import { benchOrder, sendLifecycle, sleep } from '../orders';
import { UNBOUND_LIMITS } from '../stack';
import { ascending, percentile } from '../table';
import { attachmentAnswers } from '../request-log';
import { seconds, type Measure } from './types';

/**
 * (d) One order at a time on an idle system: from the host's conversion to the invoice with its PDF
 * answered by Xero (the simulator's log of the upload), p50 and p99 over sequential orders. The
 * organisation is nowhere near Xero's limits, as an idle one is.
 */
export const measureIdle: Measure = async (stack, params) => {
  const n = params.d.orders;
  const scenario = await stack.scenario({
    name: 'd',
    organisations: ['Bench D Org'],
    limits: UNBOUND_LIMITS,
    minuteMs: 60_000,
  });
  try {
    const org = scenario.orgs[0]!;
    const one = async (number: string) => {
      const order = benchOrder(number, 0);
      const at = Date.now();
      await sendLifecycle(scenario.client, org.accountId, order, false);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const answered = attachmentAnswers(scenario.apiCalls({ sinceMs: at - 1 }), [number]).get(number);
        if (answered !== undefined) return answered - at;
        if (Date.now() > deadline) return Infinity;
        await sleep(5);
      }
    };
    // The first order warms the worker and creates the (returning) customer's contact.
    const warmMs = await one('D-WARM');
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      latencies.push(await one(`D-${String(i).padStart(4, '0')}`));
      await sleep(200);
    }
    const sorted = ascending(latencies);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    process.stdout.write(`  (d) p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms over ${n}\n`);
    return {
      rows: [
        {
          key: 'd.p50_ms',
          measure: `(d) one order, idle system: convert → invoice with PDF in Xero, p50`,
          figure: p50,
          unit: 'ms',
          target: { op: '<', value: 300 },
          note: `(d) ${n} sequential orders of a returning customer, 200 ms apart, after one warm-up (${Math.round(warmMs)} ms, creates the contact); from the host's call to Xero's answer to the PDF upload`,
        },
        { key: 'd.p99_ms', measure: '(d) one order, idle system: p99', figure: p99, unit: 'ms' },
      ],
      details: {
        orders: n,
        warmUpMs: Math.round(warmMs),
        latenciesMs: latencies.map(Math.round),
        p50Ms: Math.round(p50),
        p99Ms: Math.round(p99),
        seconds: seconds(latencies.reduce((a, b) => a + b, 0)),
      },
    };
  } finally {
    await scenario.close();
  }
};
