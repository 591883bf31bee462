// Console output of the KV benchmark: one line per measurement while running,
// then both servers side by side with etcd-ts/etcd ratios.
import type { Measurement } from './driver.js';

export interface ServerResult {
  /** 'etcd' or 'etcd-ts' (the side of the comparison). */
  server: string;
  /** What actually ran on this side (real etcd in a self-check run). */
  command: string;
  /** CPU the idle server burns (ticks, heartbeats), as % of one core: part of every CPU/request figure. */
  idleCpuPct: number;
  rssIdleBytes: number;
  /** 1-minute load average before and after this server's run: other work on the machine skews every figure. */
  loadAvg: [number, number];
  rssAfterLoadBytes: number;
  load: Measurement;
  workloads: Measurement[];
}

const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const mib = (b: number) => b / (1024 * 1024);
const ratio = (ts: number, etcd: number) => (Number.isFinite(ts) && Number.isFinite(etcd) && etcd > 0 ? `${(ts / etcd).toFixed(2)}x` : '-');

export function measurementLine(server: string, m: Measurement): string {
  const err = m.errors > 0 ? `  ERRORS ${m.errors} (${m.firstError})` : '';
  return (
    `${server.padEnd(8)} ${m.workload.padEnd(13)} ${num(m.reqPerSec).padStart(7)} req/s  ` +
    `mean ${num(m.meanMs, 2).padStart(6)} ms  p99 ${num(m.p99Ms, 2).padStart(6)} ms  ` +
    `server cpu ${num(m.serverCpuPerReqUs, 1).padStart(6)} µs/req  ` +
    `[n=${m.requests} in ${num(m.elapsedMs / 1000, 1)} s, loadgen ${num(m.loadgenCpuPerReqUs, 1)} µs/req]${err}`
  );
}

export function serverSummary(r: ServerResult): string {
  return (
    `${r.server.padEnd(8)} (${r.command}) idle cpu ${num(r.idleCpuPct, 2)}% of a core, ` +
    `rss idle ${num(mib(r.rssIdleBytes), 1)} MiB, after loading ${r.load.requests} keys ${num(mib(r.rssAfterLoadBytes), 1)} MiB ` +
    `(load ${num(r.load.reqPerSec)} req/s, ${num(r.load.serverCpuPerReqUs, 1)} µs/req), ` +
    `machine load average ${num(r.loadAvg[0], 2)} → ${num(r.loadAvg[1], 2)}`
  );
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The side-by-side table; ratios are etcd-ts/etcd (throughput: higher is better; the rest: lower is better). */
export function comparisonTable(etcd: ServerResult, ts: ServerResult): string {
  const byName = new Map(ts.workloads.map((m) => [m.workload, m]));
  const rows: string[][] = [];
  for (const a of etcd.workloads) {
    const b = byName.get(a.workload);
    if (!b) continue;
    rows.push([
      a.errors > 0 || b.errors > 0 ? `${a.workload} !` : a.workload,
      num(a.reqPerSec), num(b.reqPerSec), ratio(b.reqPerSec, a.reqPerSec),
      num(a.serverCpuPerReqUs, 1), num(b.serverCpuPerReqUs, 1), ratio(b.serverCpuPerReqUs, a.serverCpuPerReqUs),
      num(a.meanMs, 2), num(b.meanMs, 2), ratio(b.meanMs, a.meanMs),
      num(a.p99Ms, 2), num(b.p99Ms, 2), ratio(b.p99Ms, a.p99Ms),
    ]);
  }
  const head = ['workload', 'etcd req/s', 'ts req/s', 'ratio', 'etcd cpu µs/req', 'ts cpu µs/req', 'ratio', 'etcd mean ms', 'ts mean ms', 'ratio', 'etcd p99 ms', 'ts p99 ms', 'ratio'];
  const mem = table(
    ['memory', 'etcd MiB', 'ts MiB', 'ratio'],
    [
      ['rss idle', num(mib(etcd.rssIdleBytes), 1), num(mib(ts.rssIdleBytes), 1), ratio(ts.rssIdleBytes, etcd.rssIdleBytes)],
      [`rss after ${etcd.load.requests}/${ts.load.requests} keys`, num(mib(etcd.rssAfterLoadBytes), 1), num(mib(ts.rssAfterLoadBytes), 1), ratio(ts.rssAfterLoadBytes, etcd.rssAfterLoadBytes)],
    ],
  );
  const note = rows.some((r) => r[0].endsWith(' !')) ? '\n! some requests failed in this workload: see the lines above' : '';
  return `${table(head, rows)}${note}\n\n${mem}`;
}
