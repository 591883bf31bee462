// The orchestrator's side of the load generator: forks bench/loadgen.js and
// brackets each measured phase with readings of the server's CPU time.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMicros } from './proc.js';
import type { FromLoadgen, LoadResult, ToLoadgen, WorkloadSpec } from './workloads.js';

export interface Measurement extends LoadResult {
  workload: string;
  reqPerSec: number;
  /** User+system CPU of the server process during the measured phase. */
  serverCpuMicros: number;
  serverCpuPerReqUs: number;
  loadgenCpuPerReqUs: number;
}

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(): LoadGenerator {
    const child = fork(LOADGEN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    // A failed send (the child died) is reported through run()'s promise, not as an unhandled event.
    child.on('error', () => {});
    return new LoadGenerator(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Runs one workload against `endpoint`, charging CPU to the process `serverPid`. */
  run(endpoint: string, serverPid: number, spec: WorkloadSpec): Promise<Measurement> {
    const child = this.child;
    return new Promise<Measurement>((resolve, reject) => {
      let cpu0 = 0;
      // Bounded: warm-up and measurement both have time caps; allow slack for the last slow calls.
      const limitMs = spec.warmupMs + spec.timeCapMs + 60_000;
      const timer = setTimeout(() => finish(new Error(`load generator gave no result for ${spec.name} within ${limitMs} ms`)), limitMs);
      const onExit = (code: number | null, signal: string | null) => finish(new Error(`load generator exited (code ${code}, signal ${signal})`));
      const onMessage = (msg: FromLoadgen) => {
        if (msg.type === 'warmed') {
          cpu0 = cpuMicros(serverPid);
          child.send({ type: 'go' } satisfies ToLoadgen, (err) => err && finish(err));
        } else if (msg.type === 'done') {
          const serverCpu = cpuMicros(serverPid) - cpu0;
          const r = msg.result;
          finish(undefined, {
            workload: spec.name,
            ...r,
            reqPerSec: r.elapsedMs > 0 ? (r.requests * 1000) / r.elapsedMs : 0,
            serverCpuMicros: serverCpu,
            serverCpuPerReqUs: r.requests > 0 ? serverCpu / r.requests : NaN,
            loadgenCpuPerReqUs: r.requests > 0 ? r.loadgenCpuMicros / r.requests : NaN,
          });
        } else {
          finish(new Error(`${spec.name}: ${msg.error}`));
        }
      };
      const finish = (err?: Error, m?: Measurement) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(m!);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (!child.connected) return finish(new Error('load generator is not running'));
      child.send({ type: 'run', endpoint, spec } satisfies ToLoadgen, (err) => err && finish(err));
    });
  }

  /** Ends the child; safe to call twice and from an 'exit' handler (synchronous). */
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
