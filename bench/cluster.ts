// The 3-member comparison: a real etcd 3.4 cluster, then an etcd-ts cluster,
// started with the same flags and driven by the same load generators.
//   BENCH_SCALE=0.2       quicker run (request caps and time caps)
//   BENCH_ONLY=etcd|etcd-ts
//   BENCH_OS=1            syscalls and context switches per request (see cluster-os.ts)
//   BENCH_ROUNDS=5        alternate the two sides (etcd first, then etcd-ts first, …)
//                         and compare medians: single runs on a shared machine vary ±10%
// Load is spread over all three members' endpoints (one generator each), so
// followers forward puts and serve linearizable reads through read-index.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import { tmpDir } from '../test/helpers/tmp.js';
import { ClusterLoad, type ClusterMeasurement } from './cluster-load.js';
import { measureFailover } from './cluster-failover.js';
import { diskCounts, diskLine, type DiskCounts } from './cluster-disk.js';
import { osCounts, osLine, type OsCounts } from './cluster-os.js';
import { BenchCluster, ELECTION_TIMEOUT_MS, HEARTBEAT_MS, killAllClusterMembers } from './cluster-procs.js';
import { serverCommandLabel, type ServerKind } from './server.js';
import { KEY_SPACE, VALUE_SIZE, keyBytes, type WorkloadSpec } from './workloads.js';

const READY_TIMEOUT_MS = 60_000;
const FAILOVER_TRIALS = 3;
const CLIENTS = 64;
const CONNECTIONS = 8;

interface ClusterResult {
  side: ServerKind;
  workloads: ClusterMeasurement[];
  failoverMs: number[];
}

const putReq = codec<{ key: Uint8Array; value: Uint8Array }>('etcdserverpb.PutRequest');

function workloads(scale: number): WorkloadSpec[] {
  const common = {
    clients: CLIENTS,
    connections: CONNECTIONS,
    total: Math.max(CLIENTS * 4, Math.round(50_000 * scale)),
    timeCapMs: Math.max(500, Math.round(8_000 * scale)),
    // Both sides get the same warmup, long enough for a JIT-compiled server to reach
    // steady state (V8 still spends ~15% of a member's CPU optimizing code 4–8 s
    // after start; by 15 s it is ~1.5%). Members serve for days; the table should
    // compare how they serve then, not the first seconds after a start.
    warmupRequests: Math.max(CLIENTS * 2, Math.round(30_000 * scale)),
    warmupMs: Math.max(200, Math.round(5_000 * scale)),
    keySpace: KEY_SPACE,
    sequential: false,
    valueSize: VALUE_SIZE,
    rangeKey: 0,
  };
  const all: WorkloadSpec[] = [
    { ...common, name: `put c=${CLIENTS}`, op: 'put' },
    { ...common, name: `range-l c=${CLIENTS}`, op: 'range-linearizable' },
  ];
  // BENCH_OPS=put: only the workloads whose op is listed (comma-separated).
  const ops = process.env.BENCH_OPS?.split(',');
  return ops ? all.filter((w) => ops.includes(w.op)) : all;
}

const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const ratio = (ts: number, etcd: number) => (Number.isFinite(ts) && Number.isFinite(etcd) && etcd > 0 ? `${(ts / etcd).toFixed(2)}x` : '-');
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function line(side: string, m: ClusterMeasurement): string {
  const err = m.errors > 0 ? `  ERRORS ${m.errors} (${m.firstError})` : '';
  return (
    `${side.padEnd(8)} ${m.workload.padEnd(12)} ${num(m.reqPerSec).padStart(7)} req/s  mean ${num(m.meanMs, 2).padStart(6)} ms  ` +
    `p99 ${num(m.p99Ms, 2).padStart(7)} ms  server cpu (3 members) ${num(m.serverCpuPerReqUs, 1).padStart(6)} µs/req  [n=${m.requests} in ${num(m.elapsedMs / 1000, 1)} s]${err}`
  );
}

/** Generators still running, ended on any way out. */
const loads = new Set<ClusterLoad>();

/** Fresh generators per workload: after a failed one, late messages of its children cannot reach the next. */
async function measure(cluster: BenchCluster, spec: WorkloadSpec, phase?: { start(): void; end(): void }): Promise<ClusterMeasurement> {
  const load = new ClusterLoad(cluster.endpoints.length);
  loads.add(load);
  try {
    return await load.run(cluster.endpoints, cluster.pids, spec, phase);
  } catch (err) {
    // A failed workload is a result too (a row of errors), not the end of the comparison.
    const msg = err instanceof Error ? err.message : String(err);
    return { workload: spec.name, requests: 0, errors: 1, firstError: msg, elapsedMs: 0, reqPerSec: NaN, meanMs: NaN, p99Ms: NaN, serverCpuMicros: NaN, serverCpuPerReqUs: NaN };
  } finally {
    load.stop();
    loads.delete(load);
  }
}

async function benchSide(side: ServerKind, scale: number, root: string): Promise<ClusterResult> {
  const cluster = await BenchCluster.start(side, root, READY_TIMEOUT_MS);
  try {
    // Every range reads key 0: store it first, through the leader's peers like any put.
    const c = new GrpcClient(cluster.endpoints[0]);
    try {
      await c.unary('/etcdserverpb.KV/Put', putReq.encode({ key: keyBytes(0), value: new Uint8Array(VALUE_SIZE).fill(120) }), undefined, 10_000);
    } finally {
      c.close();
    }
    const ms: ClusterMeasurement[] = [];
    for (const spec of workloads(scale)) {
      // Counters are read when the measured phase starts and ends, so warmup requests do not count.
      const wantDisk = process.env.BENCH_DISK === '1';
      const wantOs = process.env.BENCH_OS === '1';
      let disk: Array<Promise<DiskCounts>> = [];
      let os: OsCounts[] = [];
      const phase = {
        start: () => {
          if (wantDisk) disk = [diskCounts(cluster.endpoints)];
          if (wantOs) os = [osCounts(cluster.pids)];
        },
        end: () => {
          if (wantDisk) disk.push(diskCounts(cluster.endpoints));
          if (wantOs) os.push(osCounts(cluster.pids));
        },
      };
      const m = await measure(cluster, spec, phase);
      console.log(line(side, m));
      if (disk.length === 2) console.log(diskLine(side, await disk[0], await disk[1], m.requests));
      if (os.length === 2) console.log(osLine(side, os[0], os[1], m.requests));
      ms.push(m);
    }
    // BENCH_FAILOVER=0 skips the failover trials (for quick load-only runs).
    const failoverMs = process.env.BENCH_FAILOVER === '0' ? [] : await measureFailover(cluster, FAILOVER_TRIALS);
    if (failoverMs.length > 0) console.log(`${side.padEnd(8)} failover     ${failoverMs.map((t) => `${num(t)} ms`).join(', ')} (kill -9 leader → first put through a survivor)`);
    return { side, workloads: ms, failoverMs };
  } catch (err) {
    process.stderr.write(`--- ${side} cluster logs (tails) ---\n${cluster.logs()}\n`);
    throw err;
  } finally {
    await cluster.stop();
  }
}

/** One result whose figures are the medians over runs of the same side; failover trials pooled. */
function mediansOf(runs: ClusterResult[]): ClusterResult {
  const first = runs[0]!;
  const workloads = first.workloads.map((w, i) => {
    const of = (f: (m: ClusterMeasurement) => number) => median(runs.map((r) => f(r.workloads[i]!)));
    return {
      ...w,
      requests: runs.reduce((n, r) => n + r.workloads[i]!.requests, 0),
      errors: runs.reduce((n, r) => n + r.workloads[i]!.errors, 0),
      reqPerSec: of((m) => m.reqPerSec),
      meanMs: of((m) => m.meanMs),
      p99Ms: of((m) => m.p99Ms),
      serverCpuPerReqUs: of((m) => m.serverCpuPerReqUs),
    };
  });
  return { side: first.side, workloads, failoverMs: runs.flatMap((r) => r.failoverMs) };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function comparison(etcd: ClusterResult, ts: ClusterResult): string {
  const rows: string[][] = [];
  etcd.workloads.forEach((a, i) => {
    const b = ts.workloads[i];
    const failed = a.errors > 0 || b.errors > 0 ? ' !' : '';
    rows.push([`${a.workload} req/s${failed}`, num(a.reqPerSec), num(b.reqPerSec), ratio(b.reqPerSec, a.reqPerSec)]);
    rows.push([`${a.workload} cpu µs/req`, num(a.serverCpuPerReqUs, 1), num(b.serverCpuPerReqUs, 1), ratio(b.serverCpuPerReqUs, a.serverCpuPerReqUs)]);
    rows.push([`${a.workload} mean ms`, num(a.meanMs, 2), num(b.meanMs, 2), ratio(b.meanMs, a.meanMs)]);
    rows.push([`${a.workload} p99 ms`, num(a.p99Ms, 2), num(b.p99Ms, 2), ratio(b.p99Ms, a.p99Ms)]);
  });
  if (etcd.failoverMs.length > 0 || ts.failoverMs.length > 0) {
    const fa = median(etcd.failoverMs);
    const fb = median(ts.failoverMs);
    rows.push([`failover ms (median of ${etcd.failoverMs.length})`, num(fa), num(fb), ratio(fb, fa)]);
    rows.push(['failover ms (trials)', etcd.failoverMs.map((t) => num(t)).join('/'), ts.failoverMs.map((t) => num(t)).join('/'), '']);
  }
  const note = rows.some((r) => r[0].endsWith(' !')) ? '\n! some requests failed in this workload: see the lines above' : '';
  return table(['3-member cluster', 'etcd', 'etcd-ts', 'ratio'], rows) + note;
}

export async function benchCluster(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'etcd' && only !== 'etcd-ts') throw new Error(`BENCH_ONLY must be etcd or etcd-ts, got ${only}`);
  const sides: ServerKind[] = only ? [only] : ['etcd', 'etcd-ts'];
  const data = tmpDir('etcd-ts-bench-cluster');
  const cleanup = () => {
    killAllClusterMembers();
    for (const l of loads) l.stop();
    data.cleanup();
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench cluster: ${sig}, stopping members and load generators\n`);
      process.exit(130);
    });
  }
  console.log(
    `bench cluster: 3 members each, heartbeat ${HEARTBEAT_MS} ms, election timeout ${ELECTION_TIMEOUT_MS} ms, ` +
      `${CLIENTS} clients over ${CONNECTIONS} connections spread over all 3 members' endpoints, scale ${scale}, data under ${data.path}`,
  );
  const rounds = Number(process.env.BENCH_ROUNDS ?? '1');
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`);
  const results: ClusterResult[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Every other round the order flips, so neither side always runs on a warmer machine.
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      if (rounds > 1) console.log(`-- round ${r + 1} of ${rounds}`);
      // Each round on fresh data dirs: a second cluster must not boot from the first one's.
      const root = rounds > 1 ? join(data.path, `round-${r + 1}`) : data.path;
      mkdirSync(root, { recursive: true });
      for (const side of order) results.push(await benchSide(side, scale, root));
    }
  } finally {
    cleanup();
  }
  const etcdRuns = results.filter((r) => r.side === 'etcd');
  const tsRuns = results.filter((r) => r.side === 'etcd-ts');
  if (etcdRuns.length > 0 && tsRuns.length > 0) {
    const [etcd, ts] = [mediansOf(etcdRuns), mediansOf(tsRuns)];
    const how = rounds > 1 ? `medians of ${rounds} alternating rounds; ` : '';
    console.log(`\netcd-ts (${serverCommandLabel('etcd-ts')}) vs etcd (${serverCommandLabel('etcd')}); ${how}ratios are etcd-ts/etcd; cpu is summed over the 3 member processes\n`);
    console.log(comparison(etcd, ts));
    if (rounds > 1) {
      etcd.workloads.forEach((w, i) => {
        const perRound = etcdRuns.map((e, r) => ratio(tsRuns[r]!.workloads[i]!.reqPerSec, e.workloads[i]!.reqPerSec));
        console.log(`${w.workload} req/s ratio per round: ${perRound.join(' ')}`);
      });
    }
  }
}
