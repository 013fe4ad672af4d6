import os from 'node:os';
import { orderWorkflowId } from '../../src/client';
import { cpuNow, cpuPer } from '../cpu';
import { countActivities, explainUnexpected } from '../history';
import { orderKey } from '../progress';
import { benchOrder, inPool, reporter, sendLifecycle, type UnexpectedAnswer } from '../orders';
import { UNBOUND_LIMITS } from '../stack';
import { seconds, type Measure } from './types';

/**
 * (a) Full order lifecycles (convert, PDF, one payment) per second with Xero's limits not binding,
 * against as many bare workflows running as many no-op activities (counted from one order's
 * history) on the same dev server: the ratio is the engine's own cost over Temporal's floor.
 */

export const measureThroughput: Measure = async (stack, params) => {
  const { orders: n, organisations } = params.a;
  const scenario = await stack.scenario({
    name: 'a',
    organisations: Array.from({ length: organisations }, (_, i) => `Bench A Org ${i + 1}`),
    limits: UNBOUND_LIMITS,
    minuteMs: 60_000,
  });
  try {
    const { client, orgs, progress } = scenario;
    // One lifecycle first: the worker warms up, and its history says what an order runs.
    const warm = benchOrder('A-WARM', 0);
    await sendLifecycle(client, orgs[0]!.accountId, warm);
    const warmKey = orderKey(orgs[0]!.accountId, warm.number);
    const w = await progress.waitUntilDone([warmKey], ['attachment', 'payment'], { timeoutMs: 60_000 });
    if (!w.doneAt.has(warmKey)) throw new Error('(a) the warm-up order did not reach Xero');
    const perOrder = await countActivities(stack.client, orderWorkflowId(orgs[0]!.accountId, warm.number));

    const items = Array.from({ length: n }, (_, i) => {
      const org = i % orgs.length;
      return { org, order: benchOrder(`A-${String(i).padStart(5, '0')}`, i % 10, org) };
    });
    const keys = items.map((it) => orderKey(orgs[it.org]!.accountId, it.order.number));
    const callsBefore = scenario.apiCalls().length;
    const serverPid = stack.server.pid;
    const cpuStarted = cpuNow(serverPid);
    const started = performance.now();
    const waiting = progress.waitUntilDone(keys, ['attachment', 'payment'], {
      timeoutMs: params.timeoutMs,
      onProgress: reporter('(a) lifecycles done', n),
    });
    const unexpected: UnexpectedAnswer[] = [];
    await inPool(items, params.concurrency, (it) =>
      sendLifecycle(client, orgs[it.org]!.accountId, it.order, true, unexpected),
    );
    const done = await waiting;
    const orderCpu = cpuPer(cpuStarted, cpuNow(serverPid), n);
    const orderMs = Math.max(...done.doneAt.values()) - started;
    const ordersPerSecond = done.doneAt.size === n ? (n / orderMs) * 1000 : NaN;
    const calls = scenario.apiCalls().slice(callsBefore).length;

    // The same number of bare workflows, each running the same activities, on the same server.
    const bare = await stack.startBareWorker();
    try {
      const start = (id: string) =>
        stack.client.workflow.start('bareWorkflow', { taskQueue: bare.taskQueue, workflowId: id, args: [perOrder] });
      await (await start(`bare-warm-${bare.taskQueue}`)).result();
      const bareCpuStarted = cpuNow(serverPid);
      const bareStarted = performance.now();
      const results: Array<Promise<unknown>> = [];
      await inPool(
        Array.from({ length: n }, (_, i) => i),
        params.concurrency,
        async (i) => {
          const handle = await start(`bare-${bare.taskQueue}-${i}`);
          results.push(handle.result());
        },
      );
      await Promise.all(results);
      const bareMs = performance.now() - bareStarted;
      const bareCpu = cpuPer(bareCpuStarted, cpuNow(serverPid), n);
      const cpuRatio =
        orderCpu.totalMs !== undefined && bareCpu.totalMs !== undefined
          ? bareCpu.totalMs / orderCpu.totalMs
          : undefined;
      const split = (c: typeof orderCpu) =>
        `this process ${c.benchMs} ms${c.serverMs !== undefined ? ` + dev server ${c.serverMs} ms` : ''}`;
      const bareper = (n / bareMs) * 1000;
      const ratio = ordersPerSecond / bareper;
      process.stdout.write(
        `  (a) ${ordersPerSecond.toFixed(2)} lifecycles/s vs ${bareper.toFixed(2)} bare workflows/s → ${ratio.toFixed(2)}\n`,
      );
      return {
        rows: [
          {
            key: 'a.ratio',
            measure: `(a) order lifecycles ÷ bare workflows per second (${n} each)`,
            figure: ratio,
            unit: '×',
            target: { op: '>=', value: 0.7 },
            note: `(a) convert + PDF + one payment per order, ${organisations} organisations, Xero's limits lifted; bare = a workflow running ${perOrder.localActivities} local + ${perOrder.activities} no-op activities (what one order's history shows), same dev server and host concurrency ${params.concurrency}`,
          },
          { key: 'a.orders_per_s', measure: '(a) order lifecycles per second', figure: ordersPerSecond, unit: '/s' },
          { key: 'a.bare_per_s', measure: '(a) bare workflows per second', figure: bareper, unit: '/s' },
          {
            key: 'a.cpu_ms_per_order',
            measure: '(a) CPU per order lifecycle',
            figure: orderCpu.totalMs ?? orderCpu.benchMs,
            unit: 'ms',
            note: `(a) CPU per order: ${split(orderCpu)}; per bare workflow: ${split(bareCpu)}. This process holds the engine (API, worker, PGlite when no DATABASE_URL) with the bench's host client and the Xero simulator`,
          },
          {
            key: 'a.cpu_ms_per_bare',
            measure: '(a) CPU per bare workflow',
            figure: bareCpu.totalMs ?? bareCpu.benchMs,
            unit: 'ms',
          },
          ...(cpuRatio !== undefined
            ? [
                {
                  key: 'a.cpu_ratio',
                  measure: '(a) CPU per bare workflow ÷ CPU per order',
                  figure: cpuRatio,
                  unit: '×',
                  note: `(a) with every core busy (${os.availableParallelism()} here), throughput is CPU time per workflow: the ratio cannot pass this one`,
                },
              ]
            : []),
          {
            key: 'a.calls_per_order',
            measure: '(a) Xero calls per order, limits not binding',
            figure: calls / Math.max(1, done.doneAt.size),
          },
        ],
        details: {
          orders: n,
          organisations,
          completed: done.doneAt.size,
          failed: done.failed.length,
          activitiesPerOrder: perOrder,
          orderSeconds: seconds(orderMs),
          bareSeconds: seconds(bareMs),
          cpuPerOrder: orderCpu,
          cpuPerBareWorkflow: bareCpu,
          ordersPerSecond,
          bareWorkflowsPerSecond: bareper,
          ratio,
          xeroCalls: calls,
          unexpectedAnswers: { count: unexpected.length, first: await explainUnexpected(stack.client, unexpected) },
        },
      };
    } finally {
      await bare.stop();
    }
  } finally {
    await scenario.close();
  }
};
