// The KV comparison: real etcd 3.4 and etcd-ts, one after the other, started
// with the same etcd flags and driven by the same load generator.
//   BENCH_SCALE=0.1      quicker run (request counts, time caps, keys loaded)
//   BENCH_ONLY=etcd|etcd-ts
//   BENCH_ROUNDS=3       repeat, alternating which server goes first; report medians
//   BENCH_SELFCHECK=1    the etcd-ts side runs real etcd too: validates the harness
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tmpDir } from '../test/helpers/tmp.js';
import { LoadGenerator, type Measurement } from './driver.js';
import { cpuMicros, rssBytes } from './proc.js';
import { killAllServers, serverCommandLabel, startServer, type ServerKind } from './server.js';
import { medianResult } from './median.js';
import { comparisonTable, measurementLine, serverSummary, type ServerResult } from './report.js';
import { kvWorkloads, loadWorkload } from './workloads.js';

type Side = 'etcd' | 'etcd-ts';

interface BenchEnv {
  scale: number;
  sides: Side[];
  selfcheck: boolean;
  rounds: number;
}

const IDLE_SAMPLE_MS = 1_000;
const SETTLE_MS = 1_000;
const READY_TIMEOUT_MS = 60_000;
export const RESULTS_PATH = join(tmpdir(), 'bench-results.json');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readEnv(): BenchEnv {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'etcd' && only !== 'etcd-ts') throw new Error(`BENCH_ONLY must be etcd or etcd-ts, got ${only}`);
  const rounds = Number(process.env.BENCH_ROUNDS ?? '1');
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${process.env.BENCH_ROUNDS}`);
  return { scale, sides: only ? [only] : ['etcd', 'etcd-ts'], selfcheck: process.env.BENCH_SELFCHECK === '1', rounds };
}

/** Everything this run started, ended on any way out (errors, SIGINT) so nothing is left behind. */
const cleanups = new Set<() => void>();
function onExitCleanup(): void {
  process.once('exit', () => {
    killAllServers();
    for (const c of cleanups) c();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping servers and load generator\n`);
      process.exit(130);
    });
  }
}

async function benchServer(side: Side, env: BenchEnv, dataRoot: string): Promise<ServerResult> {
  const kind: ServerKind = env.selfcheck ? 'etcd' : side;
  const command = serverCommandLabel(kind);
  const member = await startServer(kind, 'bench', join(dataRoot, `${side}.etcd`), READY_TIMEOUT_MS);
  const loadgen = LoadGenerator.start();
  const stopLoadgen = () => loadgen.stop();
  cleanups.add(stopLoadgen);
  try {
    const pid = member.pid;
    const loadAvgStart = loadavg()[0];
    await sleep(SETTLE_MS);
    const idle0 = cpuMicros(pid);
    await sleep(IDLE_SAMPLE_MS);
    const idleCpuPct = ((cpuMicros(pid) - idle0) / (IDLE_SAMPLE_MS * 1000)) * 100;
    const rssIdleBytes = rssBytes(pid);

    const loadSpec = loadWorkload(env.scale);
    const load = await loadgen.run(member.endpoint, pid, loadSpec);
    if (load.errors > 0 || load.requests < loadSpec.total) {
      // Without the full key set neither the RSS figure nor the ranges (which read a loaded key) mean anything.
      throw new Error(`${side}: loading stored ${load.requests}/${loadSpec.total} keys with ${load.errors} errors (first: ${load.firstError ?? 'none, time cap reached'})`);
    }
    await sleep(SETTLE_MS);
    const rssAfterLoadBytes = rssBytes(pid);
    console.log(measurementLine(side, load));

    const workloads: Measurement[] = [];
    for (const spec of kvWorkloads(env.scale)) {
      const m = await loadgen.run(member.endpoint, pid, spec);
      console.log(measurementLine(side, m));
      workloads.push(m);
    }
    const result: ServerResult = { server: side, command, idleCpuPct, rssIdleBytes, loadAvg: [loadAvgStart, loadavg()[0]], rssAfterLoadBytes, load, workloads };
    console.log(serverSummary(result));
    return result;
  } catch (err) {
    const logs = member.logs();
    process.stderr.write(`--- ${side} server log (tail) ---\n${logs.slice(-4000)}\n`);
    throw err;
  } finally {
    loadgen.stop();
    cleanups.delete(stopLoadgen);
    await member.stop(10_000);
  }
}

export async function benchKv(): Promise<void> {
  const env = readEnv();
  onExitCleanup();
  const data = tmpDir('etcd-ts-bench');
  const removeData = () => data.cleanup();
  cleanups.add(removeData);
  console.log(
    `bench kv: scale ${env.scale}, sides ${env.sides.join(', ')}${env.selfcheck ? ' (SELFCHECK: both sides run real etcd)' : ''}, ` +
      `${env.rounds} round(s), ${cpus().length} cpus, node ${process.version}, data under ${data.path}`,
  );
  const runs = new Map<Side, ServerResult[]>(env.sides.map((s) => [s, []]));
  try {
    for (let round = 0; round < env.rounds; round++) {
      // Alternating the order cancels slow drifts in what else the machine is doing.
      const order = round % 2 === 0 ? env.sides : [...env.sides].reverse();
      for (const side of order) {
        if (env.rounds > 1) console.log(`-- round ${round + 1}/${env.rounds}: ${side}`);
        runs.get(side)!.push(await benchServer(side, env, data.path));
        // Each run's data dir goes as soon as it ends: the next server gets the disk to itself.
        rmSync(join(data.path, `${side}.etcd`), { recursive: true, force: true });
      }
    }
  } finally {
    data.cleanup();
    cleanups.delete(removeData);
  }
  const results = [...runs.values()].map(medianResult);
  const etcd = results.find((r) => r.server === 'etcd');
  const ts = results.find((r) => r.server === 'etcd-ts');
  if (etcd && ts) {
    const how = env.rounds > 1 ? `, medians of ${env.rounds} rounds` : '';
    console.log(`\netcd-ts (${ts.command}) vs etcd (${etcd.command}); ratios are etcd-ts/etcd${how}\n`);
    console.log(comparisonTable(etcd, ts));
  }
  writeFileSync(
    RESULTS_PATH,
    JSON.stringify({ date: new Date().toISOString(), scale: env.scale, selfcheck: env.selfcheck, rounds: env.rounds, cpus: cpus().length, node: process.version, results, runs: Object.fromEntries(runs) }, null, 2),
  );
  console.log(`\nresults: ${RESULTS_PATH}`);
}
