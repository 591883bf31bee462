// The HTTP/2 server on real sockets: messages far larger than the flow-control
// windows both ways, and readers that fall behind (by window or by not reading
// the socket at all) holding the producer back instead of filling memory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer } from '../../src/grpc/server.js';
import { GrpcClient } from '../../src/grpc/client.js';
import type { MethodDef, ServerWritable } from '../../src/grpc/types.js';
import { decode, encode, testService } from '../grpc/helpers.js';
import { E, F, frame, grpcMessage, RawH2Client, requestFields, T, u32 } from '../helpers/h2-wire.js';

const BIG = 10 * 1024 * 1024;

/** What the flood handler has produced so far. */
const produced = { bytes: 0, running: false };

/** Writes 4 KiB messages as fast as write() allows, waiting for 'drain' whenever asked to. */
const flood: MethodDef<string, Buffer> = {
  kind: 'serverStream',
  decode,
  encode: (b: Buffer) => b,
  handler: (_req: string, stream: ServerWritable<Buffer>) => {
    produced.bytes = 0;
    produced.running = true;
    const chunk = Buffer.alloc(4096, 0x61);
    const pump = () => {
      while (!stream.ended) {
        produced.bytes += chunk.length;
        if (!stream.write(chunk)) return;
        if (produced.bytes > 512 * 1024 * 1024) return stream.end();
      }
    };
    stream.on('drain', pump);
    stream.on('cancel', () => (produced.running = false));
    pump();
  },
};

const echoBytes: MethodDef<Buffer, Buffer> = { kind: 'unary', decode: (b) => Buffer.from(b), encode: (b: Buffer) => b, handler: (req) => req };

let server: GrpcServer;
let port: number;
before(async () => {
  server = new GrpcServer({ maxRecvMessageBytes: 16 * 1024 * 1024 });
  server.addService('test.Svc', testService({ aborted: [], cancelEvents: 0 }));
  server.addService('test.Big', { Flood: flood, Echo: echoBytes });
  ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
});
after(async () => {
  await server.close();
});

async function settle(ms = 300): Promise<number> {
  // The producer has stopped when its count holds still.
  let last = -1;
  for (let i = 0; i < 50 && produced.bytes !== last; i++) {
    last = produced.bytes;
    await new Promise((r) => setTimeout(r, ms));
  }
  return produced.bytes;
}

test('a 10 MiB request and a 10 MiB response through grpc-js, and through our client', async () => {
  const body = Buffer.alloc(BIG);
  for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  try {
    const got = await new Promise<Buffer>((resolve, reject) =>
      c.makeUnaryRequest('/test.Big/Echo', (b: Buffer) => b, (b: Buffer) => b, body, (err, res) => (err ? reject(err) : resolve(res!))),
    );
    assert.equal(got.equals(body), true);
  } finally {
    c.close();
  }
  const own = new GrpcClient(`http://127.0.0.1:${port}`);
  try {
    const got = await own.unary('/test.Big/Echo', body);
    assert.equal(Buffer.from(got).equals(body), true);
  } finally {
    own.close();
  }
});

test('a client that does not open its window: the producer stops at the high-water mark, then goes on when it does', async () => {
  const c = await RawH2Client.connect(port, [[4, 1000]]); // stream window 1000 bytes
  try {
    c.send(c.headers(1, requestFields('/test.Big/Flood')), frame(T.DATA, F.END_STREAM, 1, grpcMessage(Buffer.alloc(0))));
    await c.until((f) => f.type === T.DATA && f.stream === 1);
    const held = await settle();
    assert.ok(held > 0 && held < 256 * 1024, `produced ${held} bytes against a 1000-byte window`);
    const sent = c.of(1).filter((f) => f.type === T.DATA).reduce((n, f) => n + f.payload.length, 0);
    assert.equal(sent, 1000, 'exactly the window went out');
    c.send(frame(T.WINDOW_UPDATE, 0, 1, u32(4 << 20)), frame(T.WINDOW_UPDATE, 0, 0, u32(4 << 20)));
    const more = await settle();
    assert.ok(more > held + 3 * 1024 * 1024, `window opened: ${held} → ${more}`);
    c.send(frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)));
  } finally {
    c.close();
  }
});

test('a client that stops reading its socket: the producer stops once the socket is full, and resumes when it reads', async () => {
  // Windows as large as allowed, so only the socket can hold the producer back.
  const c = await RawH2Client.connect(port, [[4, 0x7fffffff]]);
  try {
    c.send(frame(T.WINDOW_UPDATE, 0, 0, u32(0x7fffffff - 65_535)));
    c.pauseReading();
    c.send(c.headers(1, requestFields('/test.Big/Flood')), frame(T.DATA, F.END_STREAM, 1, grpcMessage(Buffer.alloc(0))));
    const held = await settle();
    // Kernel socket buffers on loopback take a few MiB; the server adds its high-water mark and little more.
    assert.ok(held > 0 && held < 48 * 1024 * 1024, `produced ${held} bytes while nothing was read`);
    assert.equal(produced.running, true);
    c.resumeReading();
    const more = await settle(200);
    assert.ok(more > held, `reading again lets it go on: ${held} → ${more}`);
  } finally {
    c.close();
  }
});

test('a PING flood from a client that reads nothing: the server stops reading instead of queueing every answer', async () => {
  const c = await RawH2Client.connect(port);
  try {
    c.pauseReading();
    const ping = frame(T.PING, 0, 0, Buffer.alloc(8, 1));
    const chunk = Buffer.alloc(ping.length * 2000);
    for (let at = 0; at < chunk.length; at += ping.length) ping.copy(chunk, at);
    const total = chunk.length * 1000; // 34 MB of PINGs: 34 MB of answers
    for (let i = 0; i < 1000; i++) c.send(chunk);
    // Kernel buffers on both sides take some MiB; past them the server must have stopped reading.
    const end = Date.now() + 20_000;
    let still = 0;
    for (let last = -1; Date.now() < end && still < 3; ) {
      await new Promise((r) => setTimeout(r, 500));
      still = c.unsent === last ? still + 1 : 0;
      last = c.unsent;
    }
    assert.ok(c.unsent > total / 3, `the server read all but ${c.unsent} of ${total} bytes while its answers went unread`);
    // It still serves others meanwhile.
    const own = new GrpcClient(`http://127.0.0.1:${port}`);
    try {
      assert.equal(decode(await own.unary('/test.Svc/Echo', encode('meanwhile'))), 'echo:meanwhile');
    } finally {
      own.close();
    }
  } finally {
    c.close();
  }
});

test('HTTP requests over h2: a large POST body reaches the http handler and its answer comes back', async () => {
  const echoHttp = new GrpcServer({
    maxRecvMessageBytes: 1024,
    http: (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = Buffer.concat(chunks).length;
        (res as import('node:http').ServerResponse).writeHead(200, { 'content-type': 'text/plain', 'x-len': String(n), connection: 'close' });
        res.end(`${req.method} ${req.url} ${n}`);
      });
    },
  });
  const { port: p } = await echoHttp.listen({ host: '127.0.0.1', port: 0 });
  const s = http2.connect(`http://127.0.0.1:${p}`);
  try {
    const r = await new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = s.request({ ':method': 'POST', ':path': '/v3/kv/put?x=1' });
      let headers: http2.IncomingHttpHeaders = {};
      let body = '';
      req.on('response', (h) => (headers = h));
      req.on('data', (d) => (body += d));
      req.on('end', () => resolve({ status: Number(headers[':status']), headers, body }));
      req.on('error', reject);
      req.end(Buffer.alloc(3 * 1024 * 1024, 0x7a));
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, `POST /v3/kv/put?x=1 ${3 * 1024 * 1024}`);
    assert.equal(r.headers['x-len'], String(3 * 1024 * 1024));
    assert.equal(r.headers.connection, undefined, 'connection-specific headers are not sent on HTTP/2');
    assert.ok(r.headers.date);
  } finally {
    s.destroy();
    await echoHttp.close();
  }
});

test('a reset gRPC call and a cut connection leave the server serving', async () => {
  const c = await RawH2Client.connect(port);
  c.send(c.headers(1, requestFields('/test.Big/Flood')), frame(T.DATA, F.END_STREAM, 1, grpcMessage(Buffer.alloc(0))));
  await c.until((f) => f.type === T.DATA && f.stream === 1);
  c.send(frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(produced.running, false, 'the handler heard the cancel');
  c.close();
  const own = new GrpcClient(`http://127.0.0.1:${port}`);
  try {
    assert.equal(decode(await own.unary('/test.Svc/Echo', encode('still'))), 'echo:still');
  } finally {
    own.close();
  }
});
