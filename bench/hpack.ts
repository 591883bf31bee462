// HPACK as the client port uses it, ours (src/http2) against hpack.js: decoding a
// gRPC request's header block the way grpc-go and grpc-js send it (the first
// with literals, then indexed fields and a new grpc-timeout literal each call),
// and encoding a unary response's headers and trailers.
//
//   node dist/bench/hpack.js [--calls 200000]
import { createRequire } from 'node:module';
import { HpackDecoder } from '../src/http2/hpack-decoder.js';
import { HeaderBlock, HpackEncoder } from '../src/http2/hpack-encoder.js';

const require = createRequire(import.meta.url);
const hpack = require('hpack.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function requestFields(i: number): { name: string; value: string }[] {
  return [
    { name: ':method', value: 'POST' },
    { name: ':scheme', value: 'http' },
    { name: ':path', value: '/etcdserverpb.KV/Range' },
    { name: ':authority', value: '127.0.0.1:2379' },
    { name: 'content-type', value: 'application/grpc' },
    { name: 'user-agent', value: 'grpc-go/1.26.0' },
    { name: 'te', value: 'trailers' },
    { name: 'grpc-timeout', value: `${4_999_000 + (i % 1000)}u` },
  ];
}

/** Request blocks as a client's encoder produces them over one connection. */
function requestBlocks(n: number): Buffer[] {
  const c = hpack.compressor.create({ table: { maxSize: 4096 } });
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    c.write(requestFields(i).map((f) => ({ ...f, huffman: true })));
    const parts: Buffer[] = [];
    let chunk: Buffer | null;
    while ((chunk = c.read())) parts.push(chunk);
    out.push(Buffer.concat(parts));
  }
  return out;
}

/** CPU time per call (user + system), so that other load on the machine does not count. */
function time(label: string, calls: number, run: () => void): number {
  run(); // warm up with the same work
  const t0 = process.cpuUsage();
  run();
  const used = process.cpuUsage(t0);
  const ns = ((used.user + used.system) * 1000) / calls;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns of CPU/call`);
  return ns;
}

const calls = arg('calls', 200_000);
const blocks = requestBlocks(calls);

time('decode request headers: ours', calls, () => {
  const d = new HpackDecoder(4096);
  for (const b of blocks) d.decode(b, 0, b.length, [], 1 << 20);
});
time('decode request headers: hpack.js', calls, () => {
  const d = hpack.decompressor.create({ table: { maxSize: 4096 } });
  for (const b of blocks) {
    d.write(b);
    d.execute();
    while (d.read());
  }
});

const RESPONSE = new HeaderBlock([':status', '200', 'content-type', 'application/grpc', 'grpc-accept-encoding', 'identity']);
const OK = new HeaderBlock(['grpc-status', '0']);
time('encode response headers + trailers: ours', calls, () => {
  const e = new HpackEncoder();
  const buf = Buffer.allocUnsafe(64);
  for (let i = 0; i < calls; i++) {
    e.encodeBlock(RESPONSE, buf, 0);
    e.encodeBlock(OK, buf, 0);
  }
});
time('encode response headers + trailers: hpack.js', calls, () => {
  const c = hpack.compressor.create({ table: { maxSize: 4096 } });
  const headers = [
    { name: ':status', value: '200' },
    { name: 'content-type', value: 'application/grpc' },
    { name: 'grpc-accept-encoding', value: 'identity' },
  ];
  const trailers = [{ name: 'grpc-status', value: '0' }];
  for (let i = 0; i < calls; i++) {
    c.write(headers);
    while (c.read());
    c.write(trailers);
    while (c.read());
  }
});
