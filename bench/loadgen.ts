// The load generator: a child process that drives one server with the
// project's lean gRPC client, so its CPU is never charged to the server.
// Protocol (fork IPC): run → warm-up → 'warmed' → wait for 'go' (the parent
// samples the server's CPU) → measured phase → 'done' with the result.
import { performance } from 'node:perf_hooks';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import { summarize } from './stats.js';
import { keyBytes, type FromLoadgen, type LoadResult, type ToLoadgen, type WorkloadSpec } from './workloads.js';

interface PutRequest { key: Uint8Array; value: Uint8Array }
interface RangeRequest { key: Uint8Array; serializable: boolean }
interface ResponseHeader { revision: number }
interface PutResponse { header?: ResponseHeader }
interface RangeResponse { header?: ResponseHeader; count: number }

const putReq = codec<PutRequest>('etcdserverpb.PutRequest');
const putRes = codec<PutResponse>('etcdserverpb.PutResponse');
const rangeReq = codec<RangeRequest>('etcdserverpb.RangeRequest');
const rangeRes = codec<RangeResponse>('etcdserverpb.RangeResponse');

const PUT = '/etcdserverpb.KV/Put';
const RANGE = '/etcdserverpb.KV/Range';
/** A request slower than this is a stalled server, not a latency sample. */
const CALL_TIMEOUT_MS = 30_000;
/** Past this many failures a phase stops: the numbers would mean nothing. */
const MAX_ERRORS = 100;

interface Phase {
  total: number;
  deadline: number;
  latencies?: Float64Array;
}

interface PhaseResult {
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

function requestMaker(spec: WorkloadSpec): { path: string; next: () => Uint8Array; check: (res: Uint8Array) => void } {
  if (spec.op === 'put') {
    // One random value for every request, as etcd's benchmark does.
    const value = new Uint8Array(spec.valueSize);
    for (let i = 0; i < value.length; i++) value[i] = 97 + Math.floor(Math.random() * 26);
    let seq = 0;
    return {
      path: PUT,
      next: () => putReq.encode({ key: keyBytes(spec.sequential ? seq++ : Math.floor(Math.random() * spec.keySpace)), value }),
      check: (res) => {
        const r = putRes.decode(res);
        if (!r.header || !(r.header.revision > 0)) throw new Error('put response without a revision');
      },
    };
  }
  const encoded = rangeReq.encode({ key: keyBytes(spec.rangeKey), serializable: spec.op === 'range-serializable' });
  return {
    path: RANGE,
    next: () => encoded,
    check: (res) => {
      const r = rangeRes.decode(res);
      if (r.count !== 1) throw new Error(`range of key ${spec.rangeKey} returned count ${r.count}, want 1 (was it loaded?)`);
    },
  };
}

async function runPhase(conns: GrpcClient[], spec: WorkloadSpec, phase: Phase, make: ReturnType<typeof requestMaker>): Promise<PhaseResult> {
  let issued = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let checked = false;
  const start = performance.now();
  let last = start;
  const worker = async (conn: GrpcClient) => {
    while (issued < phase.total && errors <= MAX_ERRORS && performance.now() < phase.deadline) {
      issued++;
      const req = make.next();
      const t0 = performance.now();
      try {
        const res = await conn.unary(make.path, req, undefined, CALL_TIMEOUT_MS);
        const t1 = performance.now();
        if (phase.latencies) phase.latencies[ok] = t1 - t0;
        ok++;
        last = t1;
        if (!checked) {
          checked = true;
          make.check(res);
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, (_, i) => worker(conns[i % conns.length])));
  return { ok, errors, firstError, elapsedMs: last - start };
}

function send(msg: FromLoadgen): void {
  process.send!(msg);
}

let pendingGo: (() => void) | undefined;

async function run(endpoint: string, spec: WorkloadSpec): Promise<LoadResult> {
  const conns = Array.from({ length: spec.connections }, () => new GrpcClient(endpoint, { connections: 1 }));
  try {
    const make = requestMaker(spec);
    if (spec.warmupRequests > 0) {
      const w = await runPhase(conns, spec, { total: spec.warmupRequests, deadline: performance.now() + spec.warmupMs }, make);
      if (w.ok === 0) throw new Error(`warm-up failed: ${w.firstError ?? 'no request completed'}`);
    }
    const go = new Promise<void>((resolve) => (pendingGo = resolve));
    send({ type: 'warmed' });
    await go;
    const latencies = new Float64Array(spec.total);
    const cpu0 = process.cpuUsage();
    const m = await runPhase(conns, spec, { total: spec.total, deadline: performance.now() + spec.timeCapMs, latencies }, make);
    const cpu = process.cpuUsage(cpu0);
    return {
      requests: m.ok,
      errors: m.errors,
      firstError: m.firstError,
      elapsedMs: m.elapsedMs,
      ...summarize(latencies, m.ok),
      loadgenCpuMicros: cpu.user + cpu.system,
    };
  } finally {
    for (const c of conns) c.close();
  }
}

function main(): void {
  if (!process.send) throw new Error('bench/loadgen.js runs as a forked child of the benchmark');
  // The orchestrator went away: nothing left to measure for.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: ToLoadgen) => {
    if (msg.type === 'go') {
      pendingGo?.();
      pendingGo = undefined;
      return;
    }
    run(msg.endpoint, msg.spec).then(
      (result) => send({ type: 'done', result }),
      (err) => send({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

main();
