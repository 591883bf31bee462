// Drives a cluster with one load generator child per member endpoint, the
// clients and connections split between them, and charges the server CPU of
// all members' processes to the measured phase. The phase starts for every
// generator at once, after all of them have warmed up.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMicros } from './proc.js';
import type { FromLoadgen, LoadResult, ToLoadgen, WorkloadSpec } from './workloads.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

export interface ClusterMeasurement {
  workload: string;
  requests: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  reqPerSec: number;
  /** Mean over all requests (weighted by each generator's count). */
  meanMs: number;
  /** The worst of the generators' p99s: percentiles of separate samples do not merge exactly. */
  p99Ms: number;
  /** User+system CPU of all member processes during the measured phase. */
  serverCpuMicros: number;
  serverCpuPerReqUs: number;
}

/** Splits `n` into `parts` near-equal shares, none below `min`. */
function split(n: number, parts: number, min: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.max(min, Math.floor(n / parts) + (i < n % parts ? 1 : 0)));
}

export class ClusterLoad {
  private readonly children: ChildProcess[] = [];

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const c = fork(LOADGEN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      c.on('error', () => {});
      this.children.push(c);
    }
  }

  /** Runs `spec` with generator i on endpoints[i]; clients, connections and the request cap are split evenly. */
  /** `phase` is told when the measured phase starts and ends (after the warmup), for extra counters. */
  run(endpoints: string[], serverPids: number[], spec: WorkloadSpec, phase?: { start(): void; end(): void }): Promise<ClusterMeasurement> {
    if (endpoints.length !== this.children.length) throw new Error(`${endpoints.length} endpoints for ${this.children.length} load generators`);
    const n = endpoints.length;
    const clients = split(spec.clients, n, 1);
    const connections = split(spec.connections, n, 1);
    const totals = split(spec.total, n, 1);
    const warmups = split(spec.warmupRequests, n, 0);
    const specs = endpoints.map((_, i) => ({ ...spec, clients: clients[i], connections: Math.min(connections[i], clients[i]), total: totals[i], warmupRequests: warmups[i] }));
    const cpuAll = () => serverPids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
    return new Promise((resolve, reject) => {
      let warmed = 0;
      let cpu0 = 0;
      const results: Array<LoadResult | undefined> = new Array(n).fill(undefined);
      const limitMs = spec.warmupMs + spec.timeCapMs + 60_000;
      const timer = setTimeout(() => finish(new Error(`load generators gave no result for ${spec.name} within ${limitMs} ms`)), limitMs);
      const handlers = this.children.map((child, i) => {
        const onMessage = (msg: FromLoadgen) => {
          if (msg.type === 'warmed') {
            if (++warmed === n) {
              cpu0 = cpuAll();
              phase?.start();
              for (const c of this.children) c.send({ type: 'go' } satisfies ToLoadgen, (err) => err && finish(err));
            }
          } else if (msg.type === 'done') {
            results[i] = msg.result;
            if (results.every((r) => r !== undefined)) {
              const cpu = cpuAll() - cpu0;
              phase?.end();
              done(cpu, results as LoadResult[]);
            }
          } else {
            finish(new Error(`${spec.name} on ${endpoints[i]}: ${msg.error}`));
          }
        };
        const onExit = (code: number | null, signal: string | null) => finish(new Error(`load generator exited (code ${code}, signal ${signal})`));
        child.on('message', onMessage);
        child.once('exit', onExit);
        return { child, onMessage, onExit };
      });
      const finish = (err?: Error, m?: ClusterMeasurement) => {
        clearTimeout(timer);
        for (const h of handlers) {
          h.child.off('message', h.onMessage);
          h.child.off('exit', h.onExit);
        }
        if (err) reject(err);
        else resolve(m!);
      };
      const done = (serverCpu: number, rs: LoadResult[]) => {
        const requests = rs.reduce((s, r) => s + r.requests, 0);
        const elapsedMs = Math.max(...rs.map((r) => r.elapsedMs));
        finish(undefined, {
          workload: spec.name,
          requests,
          errors: rs.reduce((s, r) => s + r.errors, 0),
          firstError: rs.find((r) => r.firstError)?.firstError,
          elapsedMs,
          reqPerSec: elapsedMs > 0 ? (requests * 1000) / elapsedMs : 0,
          meanMs: requests > 0 ? rs.reduce((s, r) => s + (r.requests > 0 ? r.meanMs * r.requests : 0), 0) / requests : NaN,
          p99Ms: Math.max(...rs.map((r) => (Number.isFinite(r.p99Ms) ? r.p99Ms : 0))),
          serverCpuMicros: serverCpu,
          serverCpuPerReqUs: requests > 0 ? serverCpu / requests : NaN,
        });
      };
      this.children.forEach((child, i) => {
        if (!child.connected) return finish(new Error('load generator is not running'));
        child.send({ type: 'run', endpoint: endpoints[i], spec: specs[i] } satisfies ToLoadgen, (err) => err && finish(err));
      });
    });
  }

  /** Synchronous, safe twice and in an 'exit' handler. */
  stop(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
