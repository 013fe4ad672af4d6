/**
 * `npm run bench`: issue 14's measures through the real engine, in one process on one Temporal dev
 * server (TEMPORAL_CLI_PATH, then PATH), PGlite unless DATABASE_URL is set, the Xero simulator in
 * this process. Prints one table — with the figures of bench/results/baseline.json beside today's
 * when that file exists — and writes bench/results/latest.json.
 *
 *   (a) order lifecycles ÷ bare workflows per second       bench/measures/throughput.ts
 *   (b) Xero calls per order                               bench/measures/calls.ts
 *   (c) one organisation's backlog at Xero's limits, and another's live orders meanwhile
 *                                                          bench/measures/limits.ts
 *   (d) one order on an idle system                        bench/measures/idle.ts
 *   (e) recovery after a Xero outage                       bench/measures/recovery.ts
 *
 * Sizes: BENCH_* variables (bench/params.ts), e.g. BENCH_ONLY=a,d or BENCH_C_ORDERS=100 for a
 * quick run. BENCH_SAVE_BASELINE=1 also writes the result as bench/results/baseline.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureCalls } from './measures/calls';
import { measureIdle } from './measures/idle';
import { measureLimits } from './measures/limits';
import { measureRecovery } from './measures/recovery';
import { measureThroughput } from './measures/throughput';
import type { Measure } from './measures/types';
import { benchParams } from './params';
import { startStack } from './stack';
import { baselineFigures, formatTable, withVerdicts, type Row } from './table';

const MEASURES: Record<string, { name: string; run: Measure }> = {
  a: { name: 'throughput ratio', run: measureThroughput },
  b: { name: 'Xero calls per order', run: measureCalls },
  c: { name: 'backlog at the limit, live orders meanwhile', run: measureLimits },
  d: { name: 'one order on an idle system', run: measureIdle },
  e: { name: 'recovery after an outage', run: measureRecovery },
};

async function main() {
  const params = benchParams();
  const unknown = params.only.filter((m) => !MEASURES[m]);
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown measure(s) ${unknown.join(', ')} (a–e)`);
  const began = performance.now();
  const stack = await startStack();
  process.stdout.write(
    `Temporal dev server at ${stack.server.address} (${stack.server.source}), database ${stack.databaseKind}\n`,
  );
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const key of params.only) {
      const m = MEASURES[key]!;
      process.stdout.write(`(${key}) ${m.name}…\n`);
      const at = performance.now();
      try {
        const result = await m.run(stack, params);
        rows.push(...result.rows);
        details[key] = { ...result.details, measureSeconds: Number(((performance.now() - at) / 1000).toFixed(1)) };
      } catch (err) {
        process.stderr.write(`(${key}) failed: ${(err as Error).stack ?? err}\n`);
        rows.push({
          key: `${key}.error`,
          measure: `(${key}) ${m.name}`,
          figure: null,
          note: `(${key}) failed: ${(err as Error).message}`,
        });
        details[key] = { error: (err as Error).message };
        process.exitCode = 1;
      }
    }
  } catch (err) {
    await closeQuietly(stack);
    throw err;
  }
  const wallSeconds = Number(((performance.now() - began) / 1000).toFixed(1));

  const dir = path.join(__dirname, 'results');
  const baselinePath = path.join(dir, 'baseline.json');
  const baselineJson = existsSync(baselinePath)
    ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as { at?: string; params?: unknown })
    : undefined;
  const baseline = baselineJson ? baselineFigures(baselineJson) : undefined;
  const sameSizes = JSON.stringify(baselineJson?.params) === JSON.stringify(params);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), node: process.version, database: stack.databaseKind },
    params,
    wallSeconds,
    rows: withVerdicts(rows),
    details,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (process.env.BENCH_SAVE_BASELINE === '1') writeFileSync(baselinePath, `${JSON.stringify(result, null, 2)}\n`);
  if (baselineJson)
    process.stdout.write(
      `\nbefore = bench/results/baseline.json (${baselineJson.at ?? 'undated'})${sameSizes ? '' : ', measured with other sizes or timings (see its params)'}\n`,
    );
  process.stdout.write(
    `\n${formatTable(rows, baseline)}\n\nwall time ${wallSeconds} s; written to bench/results/latest.json${
      process.env.BENCH_SAVE_BASELINE === '1' ? ' and baseline.json' : ''
    }\n`,
  );
  await closeQuietly(stack);
}

/**
 * Stops the stack after the results are out. A client call still retrying inside an activity of a
 * stopped worker can throw from a timer once the connection is closed: that must not lose the run.
 */
async function closeQuietly(stack: { close(): Promise<void> }) {
  const ignore = (err: unknown) => process.stderr.write(`while stopping: ${(err as Error).message}\n`);
  process.on('uncaughtException', ignore);
  await stack.close().catch(ignore);
}

main()
  .then(() => process.exit())
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
