// Random frames into the HTTP/2 core, bounded in count and time: whatever
// arrives, nothing throws, the output stays well-formed frames, a failed
// connection says GOAWAY and then stays silent, and a live one still answers a
// PING (no hang). A failing seed replays with FUZZ_SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, HpackError } from '../../src/http2/hpack-decoder.js';
import { Driver, type TestStream } from './driver.js';
import { describe, F, frame, HeaderEncoder, PREFACE, requestFields, settings, T, u32 } from '../helpers/h2-wire.js';
import { mulberry32 } from '../helpers/rng.js';

const TIME_BUDGET_MS = 15_000;
const CONNECTIONS = 400;

/** A frame a sane client could send: new requests in order, data, window updates, pings, resets. */
function saneFrame(rand: () => number, enc: HeaderEncoder, ids: number[]): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (r < 0.3 || ids.length === 0) {
    const id = (ids[ids.length - 1] ?? -1) + 2;
    ids.push(id);
    return frame(T.HEADERS, F.END_HEADERS | (rand() < 0.3 ? F.END_STREAM : 0), id, enc.encode(requestFields('/svc/M')));
  }
  const id = pick(ids);
  if (r < 0.6) return frame(T.DATA, rand() < 0.3 ? F.END_STREAM : 0, id, Buffer.alloc(Math.floor(rand() * 5000)));
  if (r < 0.75) return frame(T.WINDOW_UPDATE, 0, rand() < 0.5 ? 0 : id, u32(1 + Math.floor(rand() * 100_000)));
  if (r < 0.85) return frame(T.PING, 0, 0, Buffer.alloc(8));
  if (r < 0.95) return frame(T.RST_STREAM, 0, id, u32(8));
  return settings([[4, Math.floor(rand() * 200_000)]]);
}

function randomFrame(rand: () => number, enc: HeaderEncoder, ids: number[]): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  if (rand() < 0.85) return saneFrame(rand, enc, ids);
  if (ids.length === 0) ids.push(1);
  const r = rand();
  const id = r < 0.1 ? 0 : r < 0.6 ? pick(ids) : r < 0.8 ? pick(ids) + 2 : Math.floor(rand() * 0x7fffffff);
  const type = rand() < 0.05 ? Math.floor(rand() * 256) : Math.floor(rand() * 10);
  const flags = rand() < 0.5 ? pick([0, F.END_STREAM, F.END_HEADERS, F.END_HEADERS | F.END_STREAM, F.PADDED, F.PRIORITY]) : Math.floor(rand() * 256);
  let payload: Buffer;
  const shape = rand();
  if (type === T.HEADERS && shape < 0.6) {
    const block = enc.encode(requestFields(pick(['/svc/M', '/a/b', '']), rand() < 0.3 ? [['x-k', 'v'.repeat(Math.floor(rand() * 100))]] : []), rand() < 0.5);
    payload = rand() < 0.8 ? block : block.subarray(0, Math.floor(rand() * block.length));
  } else if ((type === T.WINDOW_UPDATE || type === T.RST_STREAM) && shape < 0.7) {
    payload = u32(pick([0, 1, 100, 65_535, 0x7fffffff, Math.floor(rand() * 0xffffffff)]));
  } else if (type === T.SETTINGS && shape < 0.7) {
    payload = settings([[pick([1, 2, 3, 4, 5, 6, 7, 99]), pick([0, 1, 2, 16_383, 16_384, 65_535, 0x7fffffff, 0x80000000, 1 << 24])]]).subarray(9);
  } else if (type === T.PING && shape < 0.7) {
    payload = Buffer.alloc(8, Math.floor(rand() * 256));
  } else {
    const len = rand() < 0.9 ? Math.floor(rand() * 64) : Math.floor(rand() * 17_000);
    payload = Buffer.alloc(len);
    for (let i = 0; i < Math.min(len, 64); i++) payload[i] = Math.floor(rand() * 256);
  }
  return frame(type, flags, id, payload);
}

test('random frames: no throw, well-formed output, GOAWAY then silence on failure, PING answered otherwise', () => {
  const seed0 = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
  const deadline = Date.now() + TIME_BUDGET_MS;
  let failed = 0;
  let alive = 0;
  for (let n = 0; n < CONNECTIONS && Date.now() < deadline; n++) {
    const seed = seed0 + n;
    const rand = mulberry32(seed);
    const streams: TestStream[] = [];
    const d = new Driver({ maxConcurrentStreams: 1 + Math.floor(rand() * 5), streamWindow: 65_535, connectionWindow: 65_535, pingPolicy: rand() < 0.3 ? { minTimeMs: 5000, permitWithoutStream: false } : undefined }, (t) => {
      streams.push(t);
      // An application that answers, streams, resets or ignores at random.
      const r = rand();
      if (r < 0.3) t.stream.respond([':status', '200'], rand() < 0.5);
      else if (r < 0.5) {
        t.stream.respond([':status', '200']);
        t.stream.write(Buffer.alloc(Math.floor(rand() * 100_000)));
        if (rand() < 0.5) t.stream.end(['grpc-status', '0']);
      } else if (r < 0.6) t.stream.reset(8);
    });
    const enc = new HeaderEncoder();
    const ids: number[] = [];
    const parts: Buffer[] = [rand() < 0.95 ? PREFACE : Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'.replace('S', rand() < 0.5 ? 'X' : 'S')), settings()];
    const frames = 1 + Math.floor(rand() * 40);
    for (let i = 0; i < frames; i++) parts.push(randomFrame(rand, enc, ids));
    const bytes = Buffer.concat(parts);
    try {
      for (let at = 0; at < bytes.length; ) {
        const step = 1 + Math.floor(rand() * (rand() < 0.5 ? 16 : 4096));
        d.conn.receive(bytes.subarray(at, at + step));
        at += step;
        if (rand() < 0.2) d.drain();
        if (rand() < 0.05) d.clock += 10_000;
        if (rand() < 0.05) d.conn.setWritable(rand() < 0.5);
      }
      d.conn.setWritable(true);
      d.drain();
      assert.deepEqual(d.errors, [], 'no internal error');
      if (d.closed) {
        failed++;
        assert.ok(d.frames.some((f) => f.type === T.GOAWAY) || d.conn.streamCount === 0, 'a closed connection sent GOAWAY');
        assert.deepEqual(d.feed(settings(), frame(T.PING, 0, 0, Buffer.alloc(8))), [], 'silent once failed');
        assert.ok(streams.every((s) => s.closedWith !== undefined), 'every stream was told');
      } else {
        alive++;
        assert.equal(d.conn.streamCount, streams.filter((s) => s.closedWith === undefined).length, 'stream count matches the streams told of their end');
        // No hang: the input was whole frames, so a PING is answered (or, inside an unfinished header block, refused with GOAWAY).
        const got = d.feed(frame(T.PING, 0, 0, Buffer.from('livechck')));
        const answered = got.some((f) => (f.type === T.PING && f.flags & F.ACK) || f.type === T.GOAWAY);
        assert.ok(answered, 'a live connection answers');
      }
    } catch (err) {
      assert.fail(`seed ${seed}: ${(err as Error).message}\n${describe(d.frames).slice(0, 2000)}`);
    }
  }
  assert.ok(failed > 0 && alive > 0, `both outcomes exercised (failed ${failed}, alive ${alive})`);
});

test('random bytes into the HPACK decoder: a block decodes or is a compression error, nothing else', () => {
  const rand = mulberry32(Number(process.env.FUZZ_SEED ?? 4242));
  const deadline = Date.now() + 5000;
  const enc = new HeaderEncoder();
  for (let i = 0; i < 20_000 && Date.now() < deadline; i++) {
    const d = new HpackDecoder(4096);
    let block: Buffer;
    if (rand() < 0.5) {
      block = Buffer.alloc(Math.floor(rand() * 40));
      for (let k = 0; k < block.length; k++) block[k] = Math.floor(rand() * 256);
    } else {
      // A valid block with bytes flipped.
      block = Buffer.from(enc.encode(requestFields('/x/y', [['x-v', 'w'.repeat(Math.floor(rand() * 50))]]), rand() < 0.5));
      for (let k = Math.floor(rand() * 3); k >= 0; k--) block[Math.floor(rand() * block.length)] = Math.floor(rand() * 256);
    }
    try {
      d.decode(block, 0, block.length, [], 1 << 20);
    } catch (err) {
      if (!(err instanceof HpackError)) throw err;
    }
  }
});
