import { readFileSync } from 'node:fs';

/**
 * CPU time spent, split by process: this one (the engine — API, worker, workflow thread, PGlite —
 * with the bench's host client and the Xero simulator) and the Temporal dev server. On a machine
 * whose cores are all busy, throughput is CPU time per workflow, so this says where a measure's
 * time went. Linux only (/proc); elsewhere the server's share is unknown.
 */

export interface CpuSample {
  benchMs: number;
  serverMs?: number;
}

/**
 * CPU time of a process, all its threads: utime + stime of /proc/<pid>/stat, in clock ticks of
 * USER_HZ (100 on every Linux ABI). The process name may hold spaces: fields count from its ')'.
 */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the line, the 12th and 13th after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

export function cpuNow(serverPid: number | undefined): CpuSample {
  const own = process.cpuUsage();
  const serverMs = serverPid === undefined ? undefined : processCpuMs(serverPid);
  return { benchMs: (own.user + own.system) / 1000, ...(serverMs !== undefined ? { serverMs } : {}) };
}

/** CPU milliseconds per unit of work between two samples. */
export function cpuPer(from: CpuSample, to: CpuSample, units: number) {
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : Number(((b - a) / units).toFixed(1));
  const bench = per(from.benchMs, to.benchMs)!;
  const server = per(from.serverMs, to.serverMs);
  return {
    benchMs: bench,
    ...(server !== undefined ? { serverMs: server, totalMs: Number((bench + server).toFixed(1)) } : {}),
  };
}
