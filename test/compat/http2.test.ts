// The client port's HTTP/2 as long-lived gRPC clients use it, side by side with
// the real etcd (both started with --max-concurrent-streams 3 and a 16 MiB
// request limit): thousands of calls on one grpc-js 1.8 channel (it resets
// every finished stream), requests after the client's own GOAWAY, the stream
// limit, the ping policy, 10 MiB values both ways, and the answer to malformed
// frames.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as grpc18 from 'grpc-js-1.8';
import { startMembers, type Member } from '../helpers/member.js';
import { grpcKv } from '../helpers/grpc.js';
import { describe, E, F, frame, goaway, goawayOf, grpcMessage, RawH2Client, requestFields, settings, T, u32, type Frame } from '../helpers/h2-wire.js';

const require = createRequire(import.meta.url);

let etcd: Member;
let ts: Member;
before(async () => {
  const args = { extraArgs: ['--max-concurrent-streams', '3', '--max-request-bytes', String(16 << 20)] };
  [etcd, ts] = await startMembers([
    ['etcd', args],
    ['etcd-ts', args],
  ]);
});
after(async () => {
  await Promise.all([etcd?.close(), ts?.close()]);
});

const RANGE = '/etcdserverpb.KV/Range';
/** RangeRequest{key: "k"}. */
const RANGE_REQ = Buffer.from([0x0a, 0x01, 0x6b]);
/** WatchRequest{create_request: {key: "key"}}. */
const WATCH_REQ = Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x6b, 0x65, 0x79]);
const both = () => [etcd, ts] as const;
const address = (m: Member) => `127.0.0.1:${m.clientPort}`;
const ident = (b: Buffer) => b;

/** A status from the trailers (or trailers-only headers) of a stream. */
async function statusOf(c: RawH2Client, id: number, ms = 5000): Promise<string> {
  const f = await c.until((f) => f.stream === id && f.type === T.HEADERS && (f.flags & F.END_STREAM) !== 0, ms);
  return f.headers!['grpc-status']!;
}

test('10,000 sequential unary calls on one grpc-js 1.8 channel: etcd answers all, and so does etcd-ts', async () => {
  assert.match(require('grpc-js-1.8/package.json').version, /^1\.8\./);
  for (const m of both()) {
    const client = new grpc18.Client(address(m), grpc18.credentials.createInsecure());
    const started = Date.now();
    let answered = 0;
    try {
      for (let i = 0; i < 10_000; i++) {
        await new Promise<void>((resolve, reject) =>
          client.makeUnaryRequest(RANGE, ident, ident, RANGE_REQ, { deadline: Date.now() + 10_000 }, (err) => (err ? reject(err) : resolve())),
        );
        answered++;
        assert.ok(Date.now() - started < 240_000, `${m.kind}: too slow, ${answered} calls in 240 s`);
      }
    } catch (err) {
      assert.fail(`${m.kind}: call ${answered + 1} failed: ${(err as Error).message}`);
    } finally {
      client.close();
    }
    assert.equal(answered, 10_000, m.kind);
  }
});

test('a 10 MiB put and its range, far past every flow-control window, go through both', async () => {
  const value = Buffer.alloc(10 << 20);
  for (let i = 0; i < value.length; i += 997) value[i] = i & 0xff;
  for (const m of both()) {
    const c = grpcKv(m, { 'grpc.max_send_message_length': -1 });
    try {
      await c.kv.put({ key: Buffer.from('big'), value }, { timeoutMs: 60_000 });
      const r = await c.kv.range({ key: Buffer.from('big') }, { timeoutMs: 60_000 });
      assert.equal(r.kvs.length, 1, m.kind);
      assert.equal((r.kvs[0].value as Buffer).equals(value), true, m.kind);
    } finally {
      c.close();
    }
  }
});

test('a request sent after the client GOAWAY is answered, as etcd answers it', async () => {
  for (const m of both()) {
    const c = await RawH2Client.connect(m.clientPort);
    try {
      c.send(c.headers(1, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 1, grpcMessage(RANGE_REQ)));
      assert.equal(await statusOf(c, 1), '0', m.kind);
      c.send(goaway(0, E.NO_ERROR), c.headers(3, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 3, grpcMessage(RANGE_REQ)));
      assert.equal(await statusOf(c, 3), '0', `${m.kind}: ${describe(c.frames)}`);
      // A later one too, in a separate write.
      c.send(c.headers(5, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 5, grpcMessage(RANGE_REQ)));
      assert.equal(await statusOf(c, 5), '0', m.kind);
    } finally {
      c.close();
    }
  }
});

test('--max-concurrent-streams 3: advertised in SETTINGS; a fourth stream is refused (REFUSED_STREAM) and a freed slot serves the next', async () => {
  for (const m of both()) {
    const c = await RawH2Client.connect(m.clientPort);
    try {
      const s = c.frames.find((f) => f.type === T.SETTINGS && !(f.flags & F.ACK))!;
      const adv: Record<number, number> = {};
      for (let i = 0; i < s.payload.length; i += 6) adv[s.payload.readUInt16BE(i)] = s.payload.readUInt32BE(i + 2);
      assert.equal(adv[3], 3, `${m.kind} advertises the limit`);
      for (const id of [1, 3, 5, 7]) c.send(c.headers(id, requestFields('/etcdserverpb.Watch/Watch')), frame(T.DATA, 0, id, grpcMessage(WATCH_REQ)));
      const rst = await c.until((f) => f.type === T.RST_STREAM);
      assert.deepEqual([rst.stream, rst.payload.readUInt32BE(0)], [7, E.REFUSED_STREAM], m.kind);
      for (const id of [1, 3, 5]) await c.until((f) => f.stream === id && f.type === T.DATA);
      // Still three open: another is refused too.
      c.send(c.headers(9, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 9, grpcMessage(RANGE_REQ)));
      const rst9 = await c.until((f) => f.type === T.RST_STREAM && f.stream === 9);
      assert.equal(rst9.payload.readUInt32BE(0), E.REFUSED_STREAM, m.kind);
      // The client cancels one watch: the next request is served.
      c.send(frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)));
      await new Promise((r) => setTimeout(r, 200));
      c.send(c.headers(11, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 11, grpcMessage(RANGE_REQ)));
      assert.equal(await statusOf(c, 11), '0', m.kind);
      assert.equal(c.closed, false);
    } finally {
      c.close();
    }
  }
});

test('--max-concurrent-streams 3 through grpc-js: a call over the limit waits until one of three watches ends', async () => {
  for (const m of both()) {
    const client = new grpc.Client(address(m), grpc.credentials.createInsecure());
    const watches: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const w = client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', ident, ident);
        w.on('error', () => {});
        const created = new Promise((r) => w.once('data', r));
        w.write(WATCH_REQ);
        await created;
        watches.push(w);
      }
      let done = false;
      const range = new Promise<void>((resolve, reject) =>
        client.makeUnaryRequest(RANGE, ident, ident, RANGE_REQ, { deadline: Date.now() + 20_000 }, (err) => {
          done = true;
          if (err) reject(err);
          else resolve();
        }),
      );
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(done, false, `${m.kind}: the fourth call did not wait`);
      watches[0]!.cancel();
      await range;
    } finally {
      for (const w of watches) w.cancel();
      client.close();
    }
  }
});

test('pings without a stream: the fourth in a row gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and the connection closes', async () => {
  for (const m of both()) {
    const c = await RawH2Client.connect(m.clientPort);
    try {
      for (let i = 0; i < 4; i++) {
        c.send(frame(T.PING, 0, 0, Buffer.alloc(8, i)));
        await c.until((f) => f.type === T.PING && (f.flags & F.ACK) !== 0 && f.payload[0] === i);
      }
      const g = await c.until((f) => f.type === T.GOAWAY);
      assert.deepEqual(goawayOf(g), { last: 0, code: E.ENHANCE_YOUR_CALM, debug: 'too_many_pings' }, m.kind);
      await c.untilClosed();
    } finally {
      c.close();
    }
  }
});

interface Outcome {
  closed: boolean;
  /** RST_STREAM codes by stream, and grpc-status of finished streams. */
  streams: Record<number, string>;
}

/** What a malformed exchange came to: the connection closed or not, and each stream's end. */
async function outcome(m: Member, send: (c: RawH2Client) => (Buffer | 'wait')[]): Promise<{ outcome: Outcome; frames: Frame[] }> {
  const c = await RawH2Client.connect(m.clientPort);
  const start = c.frames.length;
  try {
    for (const b of send(c)) {
      if (b === 'wait') await new Promise((r) => setTimeout(r, 300));
      else c.send(b);
    }
    const end = Date.now() + 1000;
    while (!c.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const frames = c.frames.slice(start);
    const streams: Record<number, string> = {};
    for (const f of frames) {
      if (f.type === T.RST_STREAM && streams[f.stream] === undefined) streams[f.stream] = `rst ${f.payload.readUInt32BE(0)}`;
      if (f.type === T.HEADERS && f.flags & F.END_STREAM) streams[f.stream] = `status ${f.headers!['grpc-status']}`;
    }
    return { outcome: { closed: c.closed, streams }, frames };
  } finally {
    c.close();
  }
}

const range = (c: RawH2Client, id: number, extra: [string, string][] = [], authority?: string) => [
  c.headers(id, requestFields(RANGE, extra, authority)),
  frame(T.DATA, F.END_STREAM, id, grpcMessage(RANGE_REQ)),
];

const MALFORMED: [string, (c: RawH2Client) => (Buffer | 'wait')[], number | undefined][] = [
  // [what, frames, the GOAWAY code etcd-ts gives (RFC 9113) where etcd just closes]
  ['bad HPACK', () => [frame(T.HEADERS, F.END_HEADERS, 1, Buffer.from([0x80]))], E.COMPRESSION_ERROR],
  ['HEADERS on an even stream id', (c) => [c.headers(2, requestFields(RANGE))], E.PROTOCOL_ERROR],
  ['a frame over SETTINGS_MAX_FRAME_SIZE', (c) => [c.headers(1, requestFields(RANGE)), frame(T.DATA, F.END_STREAM, 1, Buffer.alloc(16_385))], E.FRAME_SIZE_ERROR],
  ['connection WINDOW_UPDATE of 0', () => [frame(T.WINDOW_UPDATE, 0, 0, u32(0))], E.PROTOCOL_ERROR],
  ['CONTINUATION without HEADERS', () => [frame(T.CONTINUATION, F.END_HEADERS, 1, Buffer.alloc(0))], E.PROTOCOL_ERROR],
  ['a PING inside a header block', (c) => [frame(T.HEADERS, 0, 1, c.enc.encode(requestFields(RANGE))), frame(T.PING, 0, 0, Buffer.alloc(8))], E.PROTOCOL_ERROR],
  ['PING of the wrong size', () => [frame(T.PING, 0, 0, Buffer.alloc(7))], E.FRAME_SIZE_ERROR],
  ['a stream id lower than the last', (c) => [c.headers(5, requestFields(RANGE)), c.headers(3, requestFields(RANGE))], E.STREAM_CLOSED],
  ['an upper-case field name', (c) => range(c, 1, [['X-Up', 'v']]), undefined],
  ['a pseudo-header after a regular field', (c) => [frame(T.HEADERS, F.END_HEADERS, 1, c.enc.encode([['content-type', 'application/grpc'], [':path', RANGE]]))], undefined],
  ['a stream WINDOW_UPDATE of 0', (c) => [c.headers(1, requestFields(RANGE)), frame(T.WINDOW_UPDATE, 0, 1, u32(0))], undefined],
  ['trailers without END_STREAM', (c) => [c.headers(1, requestFields(RANGE)), frame(T.HEADERS, F.END_HEADERS, 1, c.enc.encode([['x-t', '1']]))], undefined],
  ['DATA after END_STREAM', (c) => [c.headers(1, requestFields('/etcdserverpb.Watch/Watch')), frame(T.DATA, F.END_STREAM, 1, Buffer.alloc(0)), frame(T.DATA, 0, 1, Buffer.from('x'))], undefined],
  ['no :path', (c) => [frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, 1, c.enc.encode([[':method', 'POST'], ['content-type', 'application/grpc']]))], undefined],
  ['an endpoint URL as :authority', (c) => range(c, 1, [], 'http://127.0.0.1:2379'), undefined],
  ['frames on a finished stream, then a new request', (c) => [...range(c, 1), 'wait', frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)), frame(T.WINDOW_UPDATE, 0, 1, u32(5)), frame(T.DATA, 0, 1, Buffer.from('zz')), ...range(c, 3)], undefined],
];

for (const [what, send, rfcCode] of MALFORMED) {
  test(`malformed input, as etcd answers it: ${what}`, async () => {
    const want = await outcome(etcd, send);
    const got = await outcome(ts, send);
    assert.deepEqual(got.outcome, want.outcome, `etcd: ${describe(want.frames)}\netcd-ts: ${describe(got.frames)}`);
    if (rfcCode !== undefined) {
      assert.equal(want.outcome.closed, true);
      // etcd just drops the connection; etcd-ts says why first, as RFC 9113 §5.4.1 asks.
      const g = got.frames.find((f) => f.type === T.GOAWAY);
      assert.equal(g && goawayOf(g).code, rfcCode, describe(got.frames));
    }
  });
}

test('settings frames the RFC refuses are connection errors in etcd-ts (etcd lets them pass)', async () => {
  for (const [pairs, code] of [
    [[[5, 100]], E.PROTOCOL_ERROR],
    [[[2, 2]], E.PROTOCOL_ERROR],
    [[[4, 0x80000000]], E.FLOW_CONTROL_ERROR],
  ] as [[number, number][], number][]) {
    const got = await outcome(ts, () => [settings(pairs)]);
    assert.equal(got.outcome.closed, true);
    assert.equal(goawayOf(got.frames.find((f) => f.type === T.GOAWAY)!).code, code);
  }
});
