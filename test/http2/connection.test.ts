// The HTTP/2 core on hand-made frames: the handshake, requests and responses,
// flow control both ways, limits, and every malformation answered with the
// GOAWAY or RST_STREAM code RFC 9113 names, never a throw or a stall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver, echo, type TestStream } from './driver.js';
import { E, F, frame, goaway, goawayOf, PREFACE, requestFields, settings, T, u32, type Frame } from '../helpers/h2-wire.js';
import { HeaderBlock } from '../../src/http2/hpack-encoder.js';

const req = (d: Driver, id: number, endStream = false, path = '/svc/M', extra: [string, string][] = []) =>
  frame(T.HEADERS, F.END_HEADERS | (endStream ? F.END_STREAM : 0), id, d.enc.encode(requestFields(path, extra)));
const data = (id: number, bytes: Buffer | string, end = true) => frame(T.DATA, end ? F.END_STREAM : 0, id, Buffer.from(bytes));
const rstOf = (frames: Frame[], id: number) => frames.find((f) => f.type === T.RST_STREAM && f.stream === id)?.payload.readUInt32BE(0);

function goawayCode(d: Driver): { last: number; code: number; debug: string } {
  const g = d.frames.find((f) => f.type === T.GOAWAY);
  assert.ok(g, 'expected GOAWAY');
  assert.equal(d.closed, true, 'a connection error closes the connection');
  return goawayOf(g);
}

test('server preface: SETTINGS as grpc-go sends them, the connection window, and an ACK of the client SETTINGS', () => {
  const d = new Driver({ maxConcurrentStreams: 3, streamWindow: 1 << 20, connectionWindow: 16 << 20 });
  const first = d.frames;
  assert.equal(first[0]!.type, T.SETTINGS);
  const p = first[0]!.payload;
  const s: Record<number, number> = {};
  for (let i = 0; i < p.length; i += 6) s[p.readUInt16BE(i)] = p.readUInt32BE(i + 2);
  assert.deepEqual(s, { 5: 16384, 3: 3, 4: 1 << 20 });
  assert.equal(first[1]!.type, T.WINDOW_UPDATE);
  assert.equal(first[1]!.payload.readUInt32BE(0), (16 << 20) - 65535);
  const got = d.feed(PREFACE, settings([[4, 100]]));
  assert.deepEqual(got.map((f) => [f.type, f.flags]), [[T.SETTINGS, F.ACK]]);
  // Unlimited streams are not advertised at all, as grpc-go does.
  const u = new Driver();
  assert.equal(u.frames[0]!.payload.length, 12);
});

test('a unary exchange: request fields, body, response headers, data and trailers, then the stream is gone', () => {
  const d = new Driver({}, echo);
  d.handshake();
  d.feed(req(d, 1, false, '/etcdserverpb.KV/Range', [['grpc-timeout', '5S']]), data(1, 'hello'));
  const t = d.streams[0]!;
  assert.equal(t.stream.field(':path'), '/etcdserverpb.KV/Range');
  assert.equal(t.stream.field('grpc-timeout'), '5S');
  assert.deepEqual(
    d.frames.map((f) => [f.type, f.flags, f.stream]),
    [
      [T.HEADERS, F.END_HEADERS, 1],
      [T.DATA, 0, 1],
      [T.HEADERS, F.END_HEADERS | F.END_STREAM, 1],
    ],
  );
  assert.deepEqual(d.frames[0]!.headers, { ':status': '200', 'content-type': 'application/grpc' });
  assert.equal(d.frames[1]!.payload.toString(), 'hello');
  assert.deepEqual(d.frames[2]!.headers, { 'grpc-status': '0' });
  assert.equal(t.closedWith, E.NO_ERROR);
  assert.equal(d.conn.streamCount, 0);
});

test('cached header blocks are re-encoded per connection table', () => {
  const block = new HeaderBlock([':status', '200', 'content-type', 'application/grpc', 'grpc-accept-encoding', 'identity']);
  const respond = (t: TestStream) => {
    t.stream.respond(block);
    t.stream.end(['grpc-status', '0']);
  };
  const a = new Driver({}, respond);
  const b = new Driver({}, respond);
  a.handshake();
  b.handshake();
  for (let i = 1; i <= 5; i += 2) a.feed(req(a, i, true));
  b.feed(req(b, 1, true));
  for (const d of [a, b]) for (const f of d.frames.filter((f) => f.headers?.[':status'])) assert.deepEqual(f.headers, { ':status': '200', 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' });
});

test('grpc-js 1.8 style: RST_STREAM after every finished call, 2000 times, never closes the connection', () => {
  const d = new Driver({}, echo);
  d.handshake();
  for (let i = 0; i < 2000; i++) {
    const id = 2 * i + 1;
    d.feed(req(d, id), data(id, 'x'), frame(T.RST_STREAM, 0, id, u32(E.CANCEL)));
  }
  assert.equal(d.closed, false);
  assert.equal(d.frames.filter((f) => f.type === T.HEADERS && f.flags & F.END_STREAM).length, 2000);
  assert.equal(d.frames.some((f) => f.type === T.GOAWAY), false);
});

test('a request after the client sent GOAWAY is still served, as grpc-go does', () => {
  const d = new Driver({}, echo);
  d.handshake();
  d.feed(req(d, 1), data(1, 'a'), goaway(0, E.NO_ERROR), req(d, 3), data(3, 'b'));
  assert.equal(d.conn.peerGoneAway, true);
  assert.equal(d.frames.filter((f) => f.type === T.DATA).map((f) => f.payload.toString()).join(), 'a,b');
});

test('max concurrent streams: the one over the limit is refused with REFUSED_STREAM, a freed slot is reused', () => {
  const d = new Driver({ maxConcurrentStreams: 3 });
  d.handshake();
  d.feed(req(d, 1), req(d, 3), req(d, 5), req(d, 7));
  assert.equal(d.streams.length, 3);
  assert.equal(rstOf(d.frames, 7), E.REFUSED_STREAM);
  d.feed(frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)), req(d, 9));
  assert.equal(d.streams.length, 4);
  assert.equal(d.streams[3]!.stream.id, 9);
  assert.equal(d.closed, false);
});

test('graceful GOAWAY: open streams finish, newer ones are refused, then the connection closes', () => {
  const d = new Driver();
  d.handshake();
  d.feed(req(d, 1));
  d.conn.goAway();
  assert.deepEqual(goawayOf(d.drain().find((f) => f.type === T.GOAWAY)!), { last: 1, code: 0, debug: '' });
  d.feed(req(d, 3));
  assert.equal(rstOf(d.frames, 3), E.REFUSED_STREAM);
  assert.equal(d.closed, false);
  const s = d.streams[0]!.stream;
  s.respond([':status', '200']);
  d.feed(data(1, ''));
  s.end(['grpc-status', '0']);
  assert.equal(d.closed, true);
});

test('flow control out: a response larger than the client windows waits for WINDOW_UPDATE, then completes', () => {
  const body = Buffer.alloc(200_000, 7);
  const d = new Driver({}, (t) => {
    t.onEnd = () => {
      t.stream.respond([':status', '200']);
      t.stream.write(body);
      t.stream.end(['grpc-status', '0']);
    };
  });
  d.handshake([[4, 1000]]); // the client's stream window: 1000 bytes
  d.feed(req(d, 1, true));
  const sent = () => d.frames.filter((f) => f.type === T.DATA).reduce((n, f) => n + f.payload.length, 0);
  assert.equal(sent(), 1000);
  assert.equal(d.frames.some((f) => f.flags & F.END_STREAM), false, 'trailers wait behind the data');
  d.feed(frame(T.WINDOW_UPDATE, 0, 1, u32(100_000)));
  assert.equal(sent(), 65_535, 'then the connection window (65535) is the limit');
  d.feed(frame(T.WINDOW_UPDATE, 0, 0, u32(1 << 20)), frame(T.WINDOW_UPDATE, 0, 1, u32(1 << 20)));
  assert.equal(sent(), body.length);
  assert.ok(d.frames.every((f) => f.payload.length <= 16384), 'frames respect the client MAX_FRAME_SIZE');
  const last = d.frames[d.frames.length - 1]!;
  assert.deepEqual([last.type, last.flags & F.END_STREAM, last.headers], [T.HEADERS, F.END_STREAM, { 'grpc-status': '0' }]);
  assert.equal(Buffer.concat(d.frames.filter((f) => f.type === T.DATA).map((f) => f.payload)).equals(body), true);
});

test('flow control out: SETTINGS_INITIAL_WINDOW_SIZE changes move open streams windows, even below zero', () => {
  const d = new Driver({}, (t) => {
    t.stream.respond([':status', '200']);
    t.stream.write(Buffer.alloc(3000));
  });
  d.handshake([[4, 2000]]);
  d.feed(req(d, 1));
  const sent = () => d.frames.filter((f) => f.type === T.DATA).reduce((n, f) => n + f.payload.length, 0);
  assert.equal(sent(), 2000);
  d.feed(settings([[4, 500]])); // window now 500 - 2000 = -1500
  d.feed(frame(T.WINDOW_UPDATE, 0, 1, u32(1000)));
  assert.equal(sent(), 2000, 'still below zero');
  d.feed(settings([[4, 5000]])); // -500 + 4500 = 4000
  assert.equal(sent(), 3000);
});

test('flow control in: windows come back as data is consumed; a paused stream holds its window back', () => {
  const d = new Driver({ streamWindow: 65_535, connectionWindow: 65_535 });
  d.handshake();
  d.feed(req(d, 1));
  const chunk = Buffer.alloc(16_384);
  d.feed(data(1, chunk, false), data(1, chunk, false));
  const updates = () => d.frames.filter((f) => f.type === T.WINDOW_UPDATE).map((f) => [f.stream, f.payload.readUInt32BE(0)]);
  assert.deepEqual(updates(), [
    [0, 16_384],
    [1, 16_384],
    [0, 16_384],
    [1, 16_384],
  ]);
  d.frames.length = 0;
  d.streams[0]!.stream.pause();
  d.feed(data(1, chunk, false));
  assert.deepEqual(updates(), [[0, 16_384]], 'the connection window returns at once, the stream one waits');
  d.streams[0]!.stream.resume();
  d.drain();
  assert.deepEqual(updates(), [
    [0, 16_384],
    [1, 16_384],
  ]);
  // A client that ignores the window gets FLOW_CONTROL_ERROR.
  d.streams[0]!.stream.pause();
  d.frames.length = 0;
  for (let i = 0; i < 4; i++) d.feed(data(1, chunk, false));
  assert.equal(rstOf(d.frames, 1), E.FLOW_CONTROL_ERROR);
  assert.equal(d.closed, false);
});

test('write() asks the caller to wait past the high-water mark and says when to go on', () => {
  const d = new Driver({ writeHighWaterMark: 10_000 });
  d.handshake([[4, 0]]);
  d.feed(req(d, 1));
  const t = d.streams[0]!;
  t.stream.respond([':status', '200']);
  assert.equal(t.stream.write(Buffer.alloc(6000)), true);
  assert.equal(t.stream.write(Buffer.alloc(6000)), false);
  d.feed(frame(T.WINDOW_UPDATE, 0, 1, u32(20_000)));
  assert.equal(t.writable, 1);
});

test('a write outside a read turn that fills the window signals its frames, with no trailers behind them', () => {
  // A server stream's next message: part of it fits the window, the rest waits.
  // Without a signal the sent part would sit in the output until the next read,
  // and the peer, waiting for it before opening its window, would never send one.
  const d = new Driver();
  d.handshake([[4, 1000]]);
  d.feed(req(d, 1));
  const s = d.streams[0]!.stream;
  s.respond([':status', '200']);
  d.drain();
  const signals = d.outputSignals;
  assert.equal(s.write(Buffer.alloc(5000, 1)), true);
  assert.equal(d.outputSignals, signals + 1, 'the frames that went out are signalled');
  const sent = d.drain().filter((f) => f.type === T.DATA);
  assert.equal(sent.reduce((n, f) => n + f.payload.length, 0), 1000);
});

test('the edge holding data back while the socket is full', () => {
  const d = new Driver();
  d.handshake();
  d.feed(req(d, 1));
  const s = d.streams[0]!.stream;
  s.respond([':status', '200']);
  d.drain();
  d.conn.setWritable(false);
  s.write(Buffer.from('held'));
  assert.equal(d.drain().length, 0);
  d.conn.setWritable(true);
  assert.equal(d.drain()[0]!.payload.toString(), 'held');
});

test('padding is stripped from DATA and HEADERS, and counted in the windows', () => {
  const d = new Driver({}, echo);
  d.handshake();
  const block = d.enc.encode(requestFields('/svc/M'));
  const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), block, Buffer.alloc(3)]);
  d.feed(frame(T.HEADERS, F.END_HEADERS | F.PADDED | F.PRIORITY, 1, padded));
  d.feed(frame(T.DATA, F.END_STREAM | F.PADDED, 1, Buffer.concat([Buffer.from([4]), Buffer.from('abc'), Buffer.alloc(4)])));
  assert.equal(d.streams[0]!.body.toString(), 'abc');
  assert.equal(d.frames.find((f) => f.type === T.DATA)!.payload.toString(), 'abc');
});

test('a header block split over CONTINUATION frames', () => {
  const d = new Driver({}, echo);
  d.handshake();
  const block = d.enc.encode(requestFields('/svc/M', [['x-big', 'v'.repeat(40_000)]]));
  const parts = [block.subarray(0, 10), block.subarray(10, 16_000), block.subarray(16_000, 32_000), block.subarray(32_000)];
  d.feed(
    frame(T.HEADERS, 0, 1, parts[0]!),
    frame(T.CONTINUATION, 0, 1, parts[1]!),
    frame(T.CONTINUATION, 0, 1, parts[2]!),
    frame(T.CONTINUATION, F.END_HEADERS, 1, parts[3]!),
    data(1, 'z'),
  );
  assert.equal(d.streams[0]!.stream.field('x-big')!.length, 40_000);
  assert.equal(d.frames.find((f) => f.type === T.DATA)?.payload.toString(), 'z');
});

test('large response header blocks go out as HEADERS plus CONTINUATION', () => {
  const d = new Driver({}, (t) => t.stream.respond([':status', '200', 'x-big', 'q'.repeat(40_000)], true));
  d.handshake();
  d.feed(req(d, 1, true));
  const h = d.frames.find((f) => f.type === T.HEADERS)!;
  assert.equal(h.headers!['x-big'], 'q'.repeat(40_000));
  assert.equal(h.flags & F.END_STREAM, F.END_STREAM);
});

// ---------------------------------------------------------------- errors

interface ErrCase {
  what: string;
  send: (d: Driver) => Buffer[];
  /** Expected GOAWAY code (connection error) or RST_STREAM code on stream 1 (stream error). */
  goaway?: number;
  rst?: number;
  /** The settings the client handshake sends. */
  hello?: [number, number][];
}

const CASES: ErrCase[] = [
  { what: 'frame over SETTINGS_MAX_FRAME_SIZE', send: (d) => [req(d, 1), frame(T.DATA, 0, 1, Buffer.alloc(16_385))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'DATA on stream 0', send: () => [frame(T.DATA, 0, 0, Buffer.from('x'))], goaway: E.PROTOCOL_ERROR },
  { what: 'DATA on an idle stream', send: () => [frame(T.DATA, 0, 5, Buffer.from('x'))], goaway: E.PROTOCOL_ERROR },
  { what: 'DATA padding longer than the frame', send: (d) => [req(d, 1), frame(T.DATA, F.PADDED, 1, Buffer.from([5, 1, 2]))], goaway: E.PROTOCOL_ERROR },
  { what: 'DATA after END_STREAM', send: (d) => [req(d, 1, true), data(1, 'late')], rst: E.STREAM_CLOSED },
  { what: 'HEADERS on stream 0', send: (d) => [frame(T.HEADERS, F.END_HEADERS, 0, d.enc.encode(requestFields('/a')))], goaway: E.PROTOCOL_ERROR },
  { what: 'HEADERS with an even stream id', send: (d) => [req(d, 2)], goaway: E.PROTOCOL_ERROR },
  { what: 'HEADERS reusing a closed stream id', send: (d) => [req(d, 3), frame(T.RST_STREAM, 0, 3, u32(8)), req(d, 3)], goaway: E.STREAM_CLOSED },
  { what: 'HEADERS with a stream id lower than the last', send: (d) => [req(d, 5), req(d, 3)], goaway: E.STREAM_CLOSED },
  { what: 'bad HPACK', send: () => [frame(T.HEADERS, F.END_HEADERS, 1, Buffer.from([0x80]))], goaway: E.COMPRESSION_ERROR },
  { what: 'HEADERS depending on itself', send: (d) => [frame(T.HEADERS, F.END_HEADERS | F.PRIORITY, 1, Buffer.concat([u32(1), Buffer.from([1]), d.enc.encode(requestFields('/a'))]))], rst: E.PROTOCOL_ERROR },
  { what: 'upper-case field name', send: (d) => [req(d, 1, false, '/a', [['X-Up', 'v']])], rst: E.PROTOCOL_ERROR },
  { what: 'control character in a value', send: (d) => [req(d, 1, false, '/a', [['x-a', 'a\rb']])], rst: E.PROTOCOL_ERROR },
  { what: 'unknown pseudo-header', send: (d) => [frame(T.HEADERS, F.END_HEADERS, 1, d.enc.encode([[':method', 'POST'], [':bogus', 'x']]))], rst: E.PROTOCOL_ERROR },
  { what: 'pseudo-header after a regular field', send: (d) => [frame(T.HEADERS, F.END_HEADERS, 1, d.enc.encode([['x-a', '1'], [':path', '/a']]))], rst: E.PROTOCOL_ERROR },
  { what: 'repeated pseudo-header', send: (d) => [frame(T.HEADERS, F.END_HEADERS, 1, d.enc.encode([[':path', '/a'], [':path', '/b']]))], rst: E.PROTOCOL_ERROR },
  { what: 'trailers without END_STREAM', send: (d) => [req(d, 1), frame(T.HEADERS, F.END_HEADERS, 1, d.enc.encode([['x-t', '1']]))], rst: E.PROTOCOL_ERROR },
  { what: 'CONTINUATION without HEADERS', send: () => [frame(T.CONTINUATION, F.END_HEADERS, 1, Buffer.alloc(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'another frame inside a header block', send: (d) => [frame(T.HEADERS, 0, 1, d.enc.encode(requestFields('/a'))), frame(T.PING, 0, 0, Buffer.alloc(8))], goaway: E.PROTOCOL_ERROR },
  { what: 'CONTINUATION on another stream', send: (d) => [frame(T.HEADERS, 0, 1, d.enc.encode(requestFields('/a'))), frame(T.CONTINUATION, F.END_HEADERS, 3, Buffer.alloc(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'CONTINUATION flood', send: (d) => [frame(T.HEADERS, 0, 1, d.enc.encode(requestFields('/a'))), ...Array.from({ length: 5000 }, () => frame(T.CONTINUATION, 0, 1, Buffer.alloc(0)))], goaway: E.ENHANCE_YOUR_CALM },
  { what: 'PRIORITY of the wrong size on an open stream', send: (d) => [req(d, 1), frame(T.PRIORITY, 0, 1, Buffer.alloc(4))], rst: E.FRAME_SIZE_ERROR },
  { what: 'PRIORITY on stream 0', send: () => [frame(T.PRIORITY, 0, 0, Buffer.alloc(5))], goaway: E.PROTOCOL_ERROR },
  { what: 'RST_STREAM on stream 0', send: () => [frame(T.RST_STREAM, 0, 0, u32(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'RST_STREAM on an idle stream', send: () => [frame(T.RST_STREAM, 0, 9, u32(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'RST_STREAM of the wrong size', send: (d) => [req(d, 1), frame(T.RST_STREAM, 0, 1, Buffer.alloc(3))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'SETTINGS on a stream', send: () => [frame(T.SETTINGS, 0, 1, Buffer.alloc(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'SETTINGS of the wrong size', send: () => [frame(T.SETTINGS, 0, 0, Buffer.alloc(5))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'SETTINGS ACK with a payload', send: () => [frame(T.SETTINGS, F.ACK, 0, Buffer.alloc(6))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'ENABLE_PUSH of 2', send: () => [settings([[2, 2]])], goaway: E.PROTOCOL_ERROR },
  { what: 'INITIAL_WINDOW_SIZE over 2^31-1', send: () => [settings([[4, 0x80000000]])], goaway: E.FLOW_CONTROL_ERROR },
  { what: 'MAX_FRAME_SIZE below 16384', send: () => [settings([[5, 16383]])], goaway: E.PROTOCOL_ERROR },
  { what: 'MAX_FRAME_SIZE over 2^24-1', send: () => [settings([[5, 1 << 24]])], goaway: E.PROTOCOL_ERROR },
  { what: 'INITIAL_WINDOW_SIZE pushing a stream window over 2^31-1', send: (d) => [req(d, 1), frame(T.WINDOW_UPDATE, 0, 1, u32(0x7fffffff - 65_535)), settings([[4, 65_536]])], goaway: E.FLOW_CONTROL_ERROR },
  { what: 'PING on a stream', send: () => [frame(T.PING, 0, 1, Buffer.alloc(8))], goaway: E.PROTOCOL_ERROR },
  { what: 'PING of the wrong size', send: () => [frame(T.PING, 0, 0, Buffer.alloc(7))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'GOAWAY on a stream', send: () => [frame(T.GOAWAY, 0, 1, Buffer.alloc(8))], goaway: E.PROTOCOL_ERROR },
  { what: 'GOAWAY too short', send: () => [frame(T.GOAWAY, 0, 0, Buffer.alloc(7))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'PUSH_PROMISE from a client', send: () => [frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.alloc(4))], goaway: E.PROTOCOL_ERROR },
  { what: 'WINDOW_UPDATE of the wrong size', send: () => [frame(T.WINDOW_UPDATE, 0, 0, Buffer.alloc(3))], goaway: E.FRAME_SIZE_ERROR },
  { what: 'connection WINDOW_UPDATE of 0', send: () => [frame(T.WINDOW_UPDATE, 0, 0, u32(0))], goaway: E.PROTOCOL_ERROR },
  { what: 'connection window overflow', send: () => [frame(T.WINDOW_UPDATE, 0, 0, u32(0x7fffffff))], goaway: E.FLOW_CONTROL_ERROR },
  { what: 'stream WINDOW_UPDATE of 0', send: (d) => [req(d, 1), frame(T.WINDOW_UPDATE, 0, 1, u32(0))], rst: E.PROTOCOL_ERROR },
  { what: 'stream window overflow', send: (d) => [req(d, 1), frame(T.WINDOW_UPDATE, 0, 1, u32(0x7fffffff))], rst: E.FLOW_CONTROL_ERROR },
  { what: 'WINDOW_UPDATE on an idle stream', send: () => [frame(T.WINDOW_UPDATE, 0, 7, u32(1))], goaway: E.PROTOCOL_ERROR },
];

for (const c of CASES) {
  test(`${c.goaway !== undefined ? 'connection' : 'stream'} error: ${c.what}`, () => {
    const d = new Driver({ streamWindow: 65_535, connectionWindow: 65_535 });
    d.handshake(c.hello);
    d.feed(...c.send(d));
    assert.deepEqual(d.errors, []);
    if (c.goaway !== undefined) {
      assert.equal(goawayCode(d).code, c.goaway);
      // Nothing more is read or written once the connection failed.
      assert.deepEqual(d.feed(req(d, 101, true), frame(T.PING, 0, 0, Buffer.alloc(8))), []);
    } else {
      assert.equal(rstOf(d.frames, 1), c.rst);
      assert.equal(d.closed, false, 'a stream error leaves the connection open');
      assert.equal(d.frames.some((f) => f.type === T.GOAWAY), false);
      d.feed(frame(T.PING, 0, 0, Buffer.alloc(8)));
      assert.equal(d.frames.some((f) => f.type === T.PING && f.flags & F.ACK), true);
    }
  });
}

test('a bad preface and a first frame that is not SETTINGS are connection errors', () => {
  const a = new Driver();
  a.feed(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'));
  assert.equal(goawayCode(a).code, E.PROTOCOL_ERROR);
  const b = new Driver();
  b.feed(PREFACE, frame(T.PING, 0, 0, Buffer.alloc(8)));
  assert.equal(goawayCode(b).code, E.PROTOCOL_ERROR);
});

test('frames on closed streams are ignored (DATA still counts against the connection window)', () => {
  const d = new Driver({ connectionWindow: 65_535 }, echo);
  d.handshake();
  d.feed(req(d, 1), data(1, 'a'));
  d.frames.length = 0;
  d.feed(data(1, Buffer.alloc(16_384), false), frame(T.WINDOW_UPDATE, 0, 1, u32(10)), frame(T.RST_STREAM, 0, 1, u32(0)), frame(T.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 1])));
  assert.equal(d.closed, false);
  assert.deepEqual(d.frames.map((f) => [f.type, f.stream]), [[T.WINDOW_UPDATE, 0]]);
});

test('a header list over the limit resets its stream with FRAME_SIZE_ERROR, as grpc-go; the next request is served', () => {
  const d = new Driver({ maxHeaderListSize: 1000 }, echo);
  d.handshake();
  d.feed(req(d, 1, false, '/a', [['x-big', 'v'.repeat(2000)]]));
  assert.equal(rstOf(d.frames, 1), E.FRAME_SIZE_ERROR);
  d.feed(req(d, 3), data(3, 'ok'));
  assert.equal(d.frames.find((f) => f.type === T.DATA)?.payload.toString(), 'ok');
});

test('SETTINGS and PING floods are each answered and end nothing', () => {
  const d = new Driver();
  d.handshake();
  const n = 20_000;
  d.feed(...Array.from({ length: n }, (_, i) => (i % 2 ? settings([[1, 4096]]) : frame(T.PING, 0, 0, Buffer.alloc(8, i & 0xff)))));
  assert.equal(d.closed, false);
  assert.equal(d.frames.filter((f) => f.flags & F.ACK).length, n);
});

test('ping policy off by default; with grpc-go policy a third early ping in a row is GOAWAY ENHANCE_YOUR_CALM too_many_pings', () => {
  const free = new Driver();
  free.handshake();
  for (let i = 0; i < 10; i++) free.feed(frame(T.PING, 0, 0, Buffer.alloc(8)));
  assert.equal(free.closed, false);

  const policy = { minTimeMs: 5000, permitWithoutStream: false };
  // No stream open: pings must be 2 hours apart.
  const idle = new Driver({ pingPolicy: policy });
  idle.handshake();
  for (let i = 0; i < 3; i++) {
    idle.feed(frame(T.PING, 0, 0, Buffer.alloc(8)));
    idle.clock += 60_000;
  }
  assert.equal(idle.closed, false);
  idle.feed(frame(T.PING, 0, 0, Buffer.alloc(8)));
  assert.deepEqual(goawayCode(idle), { last: 0, code: E.ENHANCE_YOUR_CALM, debug: 'too_many_pings' });

  // With a stream open, 5 s apart is fine, and sending data in between forgives.
  const busy = new Driver({ pingPolicy: policy });
  busy.handshake();
  busy.feed(req(busy, 1));
  for (let i = 0; i < 10; i++) {
    busy.feed(frame(T.PING, 0, 0, Buffer.alloc(8)));
    busy.clock += 5000;
  }
  assert.equal(busy.closed, false);
  const s = busy.streams[0]!.stream;
  s.respond([':status', '200']);
  for (let i = 0; i < 10; i++) {
    s.write(Buffer.from('tick'));
    busy.feed(frame(T.PING, 0, 0, Buffer.alloc(8)), frame(T.PING, 0, 0, Buffer.alloc(8)));
  }
  assert.equal(busy.closed, false);
  busy.feed(frame(T.PING, 0, 0, Buffer.alloc(8)), frame(T.PING, 0, 0, Buffer.alloc(8)), frame(T.PING, 0, 0, Buffer.alloc(8)));
  assert.equal(goawayCode(busy).code, E.ENHANCE_YOUR_CALM);
});

test('a handler that throws fails only its connection, with INTERNAL_ERROR', () => {
  const d = new Driver({}, () => {
    throw new Error('handler bug');
  });
  d.handshake();
  d.feed(req(d, 1));
  assert.equal(goawayCode(d).code, E.INTERNAL_ERROR);
  assert.equal((d.errors[0] as Error).message, 'handler bug');
});

test('bytes split at every offset give the same exchange', () => {
  const whole = (d: Driver) => Buffer.concat([PREFACE, settings([[4, 70_000]]), req(d, 1), data(1, 'split me'), frame(T.PING, 0, 0, Buffer.alloc(8, 1))]);
  const ref = new Driver({}, echo);
  ref.feed(whole(ref));
  const want = ref.frames.map((f) => [f.type, f.flags, f.stream, f.payload.toString('hex')]);
  const len = whole(new Driver()).length;
  for (let cut = 1; cut < len; cut += 3) {
    const d = new Driver({}, echo);
    const bytes = whole(d);
    for (let at = 0; at < bytes.length; at += cut) d.conn.receive(bytes.subarray(at, Math.min(bytes.length, at + cut)));
    d.drain();
    assert.deepEqual(
      d.frames.map((f) => [f.type, f.flags, f.stream, f.payload.toString('hex')]),
      want,
      `chunks of ${cut}`,
    );
  }
});
