// Combines repeated runs of one server (BENCH_ROUNDS) into one result: on a
// shared machine a single run can be skewed by other work, a median much less.
import type { Measurement } from './driver.js';
import type { ServerResult } from './report.js';

function median<T>(items: T[], by: (t: T) => number): T {
  const sorted = [...items].sort((a, b) => by(a) - by(b));
  return sorted[(sorted.length - 1) >> 1];
}

/** Per workload, the whole measurement of the run with the median throughput (so its figures stay consistent). */
export function medianResult(runs: ServerResult[]): ServerResult {
  if (runs.length === 0) throw new Error('medianResult: no runs');
  if (runs.length === 1) return runs[0];
  const first = runs[0];
  const workloads: Measurement[] = first.workloads.map((w, i) => {
    const same = runs.map((r) => r.workloads[i]);
    if (same.some((m) => m.workload !== w.workload)) throw new Error(`medianResult: runs disagree on workload ${i}`);
    return median(same, (m) => m.reqPerSec);
  });
  return {
    ...first,
    idleCpuPct: median(runs, (r) => r.idleCpuPct).idleCpuPct,
    rssIdleBytes: median(runs, (r) => r.rssIdleBytes).rssIdleBytes,
    rssAfterLoadBytes: median(runs, (r) => r.rssAfterLoadBytes).rssAfterLoadBytes,
    loadAvg: [Math.min(...runs.map((r) => r.loadAvg[0])), Math.max(...runs.map((r) => r.loadAvg[1]))],
    load: median(runs.map((r) => r.load), (m) => m.reqPerSec),
    workloads,
  };
}
