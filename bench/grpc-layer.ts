// Measures the gRPC layer alone: the same trivial KV.Range service served by
// src/grpc (on src/http2) and by @grpc/grpc-js, driven by the same GrpcClient
// load generator. The server runs in a child process so its CPU time per
// request can be read from process.cpuUsage().
//
//   node dist/bench/grpc-layer.js [--seconds 4] [--slice-ms 250] [--impl ours,grpcjs]
//
// The machine is shared, so the implementations are not measured one after the
// other: both servers run at once and the load generator alternates between
// them in short slices, each slice bracketed by CPU samples of its server, so
// background load falls on both alike.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as PB from 'protobufjs';
import { GrpcClient } from '../src/grpc/client.js';
import { GrpcServer } from '../src/grpc/server.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');
const here = dirname(fileURLToPath(import.meta.url));

function loadTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (_o: string, target: string) => join(here, '..', '..', 'proto', target);
  root.loadSync('etcdserverpb/rpc.proto');
  return {
    RangeRequest: root.lookupType('etcdserverpb.RangeRequest'),
    RangeResponse: root.lookupType('etcdserverpb.RangeResponse'),
  };
}

type Impl = 'ours' | 'grpcjs';
const RANGE_PATH = '/etcdserverpb.KV/Range';

/** The trivial service: decode the request, answer one key-value at a fixed revision. */
function rangeService() {
  const { RangeRequest, RangeResponse } = loadTypes();
  const decode = (b: Uint8Array) => RangeRequest.decode(b) as unknown as { key: Uint8Array };
  const encode = (m: object) => RangeResponse.encode(m).finish();
  const handle = (req: { key: Uint8Array }) => ({
    header: { clusterId: 0x1234, memberId: 0x5678, revision: 42, raftTerm: 3 },
    kvs: [{ key: req.key, value: Buffer.from('bench-value'), createRevision: 40, modRevision: 42, version: 2 }],
    count: 1,
  });
  return { decode, encode, handle };
}

async function serveOurs(): Promise<number> {
  const svc = rangeService();
  const server = new GrpcServer({ maxRecvMessageBytes: 2 * 1024 * 1024 });
  server.addService('etcdserverpb.KV', {
    Range: { kind: 'unary', decode: svc.decode, encode: svc.encode, handler: svc.handle },
  });
  return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
}

async function serveGrpcJs(): Promise<number> {
  const grpc = await import('@grpc/grpc-js');
  const svc = rangeService();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 2 * 1024 * 1024 });
  server.addService(
    {
      Range: {
        path: RANGE_PATH,
        requestStream: false,
        responseStream: false,
        requestDeserialize: (b: Buffer) => svc.decode(b),
        requestSerialize: () => Buffer.alloc(0),
        responseSerialize: (m: object) => Buffer.from(svc.encode(m)),
        responseDeserialize: (b: Buffer) => b,
        originalName: 'range',
      },
    } as never,
    {
      Range: (call: { request: { key: Uint8Array } }, cb: (e: null, r: object) => void) => cb(null, svc.handle(call.request)),
    },
  );
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** Child: serve, report the port, answer CPU-usage queries until told to exit. */
async function child(impl: Impl): Promise<void> {
  const port = impl === 'ours' ? await serveOurs() : await serveGrpcJs();
  process.on('message', (m: { cpu?: boolean; exit?: boolean }) => {
    if (m.exit) process.exit(0);
    if (m.cpu) process.send!({ cpu: process.cpuUsage() });
  });
  process.send!({ port });
}

function ask<T>(proc: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        proc.off('message', on);
        resolve(m[key] as T);
      }
    };
    proc.on('message', on);
    if (Object.keys(msg).length) proc.send(msg);
  });
}

interface Result {
  impl: Impl;
  connections: number;
  inflight: number;
  requests: number;
  seconds: number;
  reqPerSec: number;
  serverCpuUsPerReq: number;
  /** The load generator's CPU per request (the same GrpcClient for both). */
  clientCpuUsPerReq: number;
  p50Ms: number;
  p99Ms: number;
}

/** Closed-loop load on one client: `inflight` workers until `ms` have passed; latencies appended to `lat`. */
async function drive(client: GrpcClient, req: Uint8Array, inflight: number, ms: number, lat: number[]) {
  let done = 0;
  const stopAt = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      await client.unary(RANGE_PATH, req);
      lat.push(performance.now() - t0);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, worker));
  return { done, elapsed: (performance.now() - t0) / 1000 };
}

/** Loader child: one GrpcClient per server; runs the slices the parent asks for. */
async function loader(connections: number, inflight: number): Promise<void> {
  const { RangeRequest } = loadTypes();
  const req = RangeRequest.encode({ key: Buffer.from('bench-key'), serializable: true }).finish();
  let clients: GrpcClient[] = [];
  let lats: number[][] = [];
  process.on('message', async (m: { ports?: number[]; run?: number; ms?: number; report?: boolean }) => {
    if (m.ports) {
      clients = m.ports.map((port) => new GrpcClient(`http://127.0.0.1:${port}`, { connections }));
      for (const c of clients) await drive(c, req, inflight, 1000, []); // JIT, windows, connections
      lats = clients.map(() => []);
      process.send!({ ready: true });
    } else if (m.run !== undefined) {
      const cpu0 = process.cpuUsage();
      const r = await drive(clients[m.run], req, inflight, m.ms!, lats[m.run]);
      const cpu = process.cpuUsage(cpu0);
      process.send!({ slice: { ...r, cpuUs: cpu.user + cpu.system } });
    } else if (m.report) {
      const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN;
      for (const c of clients) c.close();
      process.send!({ latency: lats.map((l) => ({ p50: pct(l, 0.5), p99: pct(l, 0.99) })) }, () => process.exit(0));
    }
  });
  process.send!({ up: true });
}

function forkSelf(args: string[], execArgv: string[] = []): ChildProcess {
  return fork(fileURLToPath(import.meta.url), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function stop(proc: ChildProcess, msg?: object): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  if (msg) proc.send(msg);
  const killer = setTimeout(() => proc.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(killer);
}

async function measureShape(impls: Impl[], connections: number, inflight: number, seconds: number, sliceMs: number): Promise<Result[]> {
  // GRPC_BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers
  // (GRPC_BENCH_LOADER_ARGS the load generator).
  const execArgv = (process.env.GRPC_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const servers = impls.map((impl) => forkSelf(['--child', impl], execArgv));
  const loaderArgv = (process.env.GRPC_BENCH_LOADER_ARGS ?? '').split(' ').filter(Boolean);
  const load = forkSelf(['--load', String(connections), String(inflight)], loaderArgv);
  try {
    const ports = await Promise.all(servers.map((p) => ask<number>(p, {}, 'port')));
    await ask<boolean>(load, {}, 'up');
    await ask<boolean>(load, { ports }, 'ready');
    const cpuUs = impls.map(() => 0);
    const clientCpuUs = impls.map(() => 0);
    const done = impls.map(() => 0);
    const elapsed = impls.map(() => 0);
    const slices = Math.max(1, Math.ceil((seconds * 1000) / sliceMs));
    for (let i = 0; i < slices; i++) {
      const order = impls.map((_, k) => k);
      if (i % 2 === 1) order.reverse();
      for (const k of order) {
        const before = await ask<NodeJS.CpuUsage>(servers[k], { cpu: true }, 'cpu');
        const r = await ask<{ done: number; elapsed: number; cpuUs: number }>(load, { run: k, ms: sliceMs }, 'slice');
        const after = await ask<NodeJS.CpuUsage>(servers[k], { cpu: true }, 'cpu');
        cpuUs[k] += after.user - before.user + (after.system - before.system);
        clientCpuUs[k] += r.cpuUs;
        done[k] += r.done;
        elapsed[k] += r.elapsed;
      }
    }
    const latency = await ask<{ p50: number; p99: number }[]>(load, { report: true }, 'latency');
    return impls.map((impl, k) => ({
      impl,
      connections,
      inflight,
      requests: done[k],
      seconds: +elapsed[k].toFixed(2),
      reqPerSec: Math.round(done[k] / elapsed[k]),
      serverCpuUsPerReq: +(cpuUs[k] / done[k]).toFixed(1),
      clientCpuUsPerReq: +(clientCpuUs[k] / done[k]).toFixed(1),
      p50Ms: +latency[k].p50.toFixed(3),
      p99Ms: +latency[k].p99.toFixed(3),
    }));
  } finally {
    await stop(load);
    await Promise.all(servers.map((p) => stop(p, { exit: true })));
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  if (args[0] === '--child') return child(args[1] as Impl);
  if (args[0] === '--load') return loader(Number(args[1]), Number(args[2]));
  const seconds = Number(opt('seconds', '4'));
  const sliceMs = Number(opt('slice-ms', '250'));
  const impls = opt('impl', 'ours,grpcjs').split(',') as Impl[];
  const shapes: [number, number][] = [
    [4, 16],
    [16, 256],
  ];
  const results: Result[] = [];
  for (const [conns, inflight] of shapes) {
    for (const r of await measureShape(impls, conns, inflight, seconds, sliceMs)) {
      results.push(r);
      console.log(
        `${r.impl.padEnd(6)} ${String(conns).padStart(2)} conns x ${String(inflight).padStart(3)} in flight: ` +
          `${String(r.reqPerSec).padStart(6)} req/s, server ${r.serverCpuUsPerReq} µs CPU/req (client ${r.clientCpuUsPerReq}), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
      );
    }
  }
  console.log(JSON.stringify({ bench: 'grpc-layer', seconds, sliceMs, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
