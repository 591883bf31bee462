// Measures the gRPC layer alone: the same trivial KV.Range service served by
// src/grpc (node:http2) and by @grpc/grpc-js, driven by the same GrpcClient
// load generator. The server runs in a child process so its CPU time per
// request can be read from process.cpuUsage().
//
//   node dist/bench/grpc-layer.js [--seconds 3] [--rounds 3] [--impl ours,grpcjs]
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
  p50Ms: number;
  p99Ms: number;
}

/** Closed-loop load: `inflight` workers over `connections` connections, for `seconds` or `maxRequests`. */
async function drive(port: number, connections: number, inflight: number, seconds: number, maxRequests: number) {
  const { RangeRequest } = loadTypes();
  const req = RangeRequest.encode({ key: Buffer.from('bench-key'), serializable: true }).finish();
  const client = new GrpcClient(`http://127.0.0.1:${port}`, { connections });
  const lat: number[] = [];
  let done = 0;
  const stopAt = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < stopAt && done < maxRequests) {
      const t0 = performance.now();
      await client.unary(RANGE_PATH, req);
      lat.push(performance.now() - t0);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  client.close();
  lat.sort((a, b) => a - b);
  return { done, elapsed, p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

/** Loader child: warm up, then measure, reporting between the two so the parent can sample server CPU. */
async function loader(port: number, connections: number, inflight: number, seconds: number): Promise<void> {
  await drive(port, connections, inflight, Math.min(1, seconds / 3), 200_000); // JIT, windows, connections
  process.send!({ warm: true });
  await new Promise((r) => process.once('message', r));
  const r = await drive(port, connections, inflight, seconds, 5_000_000);
  process.send!({ load: r }, () => process.exit(0));
}

async function measure(impl: Impl, connections: number, inflight: number, seconds: number): Promise<Result> {
  // GRPC_BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server side.
  const execArgv = (process.env.GRPC_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const proc = fork(fileURLToPath(import.meta.url), ['--child', impl], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await ask<number>(proc, {}, 'port');
    const load = fork(fileURLToPath(import.meta.url), ['--load', String(port), String(connections), String(inflight), String(seconds)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await ask<boolean>(load, {}, 'warm');
    const before = await ask<NodeJS.CpuUsage>(proc, { cpu: true }, 'cpu');
    const r = await ask<{ done: number; elapsed: number; p50: number; p99: number }>(load, { go: true }, 'load');
    const after = await ask<NodeJS.CpuUsage>(proc, { cpu: true }, 'cpu');
    const cpuUs = after.user - before.user + (after.system - before.system);
    return {
      impl,
      connections,
      inflight,
      requests: r.done,
      seconds: +r.elapsed.toFixed(2),
      reqPerSec: Math.round(r.done / r.elapsed),
      serverCpuUsPerReq: +(cpuUs / r.done).toFixed(1),
      p50Ms: +r.p50.toFixed(3),
      p99Ms: +r.p99.toFixed(3),
    };
  } finally {
    proc.send({ exit: true });
    const exited = new Promise((r) => proc.once('exit', r));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  if (args[0] === '--child') return child(args[1] as Impl);
  if (args[0] === '--load') return loader(...(args.slice(1, 5).map(Number) as [number, number, number, number]));
  const seconds = Number(opt('seconds', '3'));
  const impls = opt('impl', 'ours,grpcjs').split(',') as Impl[];
  const shapes: [number, number][] = [
    [4, 16],
    [16, 256],
  ];
  const rounds = Number(opt('rounds', '3'));
  const results: Result[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [conns, inflight] of shapes) {
    const runs = new Map<Impl, Result[]>(impls.map((i) => [i, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so background load drifts hit both sides alike.
      const order = round % 2 === 0 ? impls : [...impls].reverse();
      for (const impl of order) runs.get(impl)!.push(await measure(impl, conns, inflight, seconds));
    }
    for (const impl of impls) {
      const rs = runs.get(impl)!;
      const r: Result = {
        ...rs[0],
        requests: rs.reduce((a, x) => a + x.requests, 0),
        seconds: +rs.reduce((a, x) => a + x.seconds, 0).toFixed(2),
        reqPerSec: median(rs.map((x) => x.reqPerSec)),
        serverCpuUsPerReq: median(rs.map((x) => x.serverCpuUsPerReq)),
        p50Ms: median(rs.map((x) => x.p50Ms)),
        p99Ms: median(rs.map((x) => x.p99Ms)),
      };
      results.push(r);
      console.log(
        `${impl.padEnd(6)} ${String(conns).padStart(2)} conns x ${String(inflight).padStart(3)} in flight: ` +
          `${String(r.reqPerSec).padStart(6)} req/s, server ${r.serverCpuUsPerReq} µs CPU/req, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
          `  (median of ${rs.length}; µs/req runs: ${rs.map((x) => x.serverCpuUsPerReq).join(', ')})`,
      );
    }
  }
  console.log(JSON.stringify({ bench: 'grpc-layer', results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
