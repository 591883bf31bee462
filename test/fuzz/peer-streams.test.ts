// Garbage on a peer stream, as a member's stream reader gets it after valid headers:
// streams cut at any byte, valid frames followed by random bytes, length prefixes up
// to 2^64, random bytes in random chunks, into both of etcd's stream encodings. The
// decoder gives back whole messages, waits for more on an unfinished frame, or throws
// an Error (the reader then drops the stream and redials), and its buffer holds no
// more than what arrived. A failing seed replays with FUZZ_SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, type Message } from '../../src/raft/index.js';
import { encodeMessageStream, MessageStreamDecoder } from '../../src/rafthttp/msg-codec.js';
import { MsgAppV2Decoder, MsgAppV2Encoder } from '../../src/rafthttp/msgappv2.js';
import { StreamBuffer } from '../../src/rafthttp/stream-buffer.js';
import { mulberry32 } from '../helpers/rng.js';

const STREAMS = 3000;
const TIME_BUDGET_MS = 5000;
const LEADER = 0x8e9e05c52164694dn;
const FOLLOWER = 0x91bc3c398fb3c146n;

function app(term: number, index: number, n: number, commit: number, rand: () => number): Message {
  const entries = Array.from({ length: n }, (_, k) => ({ term, index: index + 1 + k, type: 0, data: new Uint8Array(Math.floor(rand() * 60)).fill(k) }));
  return { type: MessageType.App, to: FOLLOWER, from: LEADER, term, logTerm: term, index, entries, commit, reject: false, rejectHint: 0 };
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

test('peer streams: cut, garbage-tailed and huge-length frames decode, wait, or fail cleanly', (t) => {
  const seed0 = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
  const deadline = Date.now() + TIME_BUDGET_MS;
  const outcomes = { failed: 0, waiting: 0, whole: 0 };
  let tried = 0;
  for (let n = 0; n < STREAMS && Date.now() < deadline; n++) {
    const seed = seed0 + n;
    const rand = mulberry32(seed);
    const msgapp = rand() < 0.5;
    // A valid stream of a few messages: MsgApps carrying on from each other, heartbeats between.
    const msgs: Message[] = [];
    let index = 10;
    for (let k = 1 + Math.floor(rand() * 5); k > 0; k--) {
      const m = app(3, index, Math.floor(rand() * 4), index, rand);
      msgs.push(m);
      index += m.entries.length;
    }
    const valid = msgapp ? new MsgAppV2Encoder().encode(msgs) : encodeMessageStream(msgs);
    const how = ['cut', 'garbage-tail', 'huge-length', 'random'][Math.floor(rand() * 4)]!;
    const garbage = Buffer.alloc(Math.floor(rand() * 200));
    for (let k = 0; k < garbage.length; k++) garbage[k] = Math.floor(rand() * 256);
    const huge = [1n << 40n, (1n << 64n) - 1n, 512n * 1024n * 1024n + 1n][Math.floor(rand() * 3)]!;
    const wire =
      how === 'cut' ? valid.subarray(0, Math.floor(rand() * valid.length))
      : how === 'garbage-tail' ? Buffer.concat([valid, garbage])
      : how === 'huge-length' ? Buffer.concat([valid, msgapp ? Buffer.concat([Buffer.from([rand() < 0.5 ? 2 : 1]), u64(rand() < 0.5 ? huge : 1n), u64(huge)]) : u64(huge), garbage])
      : garbage;
    const sb = new StreamBuffer();
    const dec = msgapp ? new MsgAppV2Decoder(FOLLOWER, LEADER) : new MessageStreamDecoder();
    const got: Message[] = [];
    let failed = false;
    let arrived = 0;
    try {
      for (let at = 0; at < wire.length && !failed; ) {
        const step = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 512));
        const chunk = wire.subarray(at, at + step);
        at += chunk.length;
        arrived += chunk.length;
        sb.push(Buffer.from(chunk));
        try {
          for (let m = dec.decode(sb); m !== undefined; m = dec.decode(sb)) got.push(m);
        } catch (err) {
          assert.ok(err instanceof Error, `seed ${seed}: threw ${String(err)}`);
          failed = true;
        }
        assert.ok(sb.length <= arrived, `seed ${seed}: the buffer holds more than arrived`);
      }
    } catch (err) {
      assert.fail(`seed ${seed} ${how} ${msgapp ? 'msgappv2' : 'message'}: ${(err as Error).stack}`);
    }
    tried++;
    if (failed) outcomes.failed++;
    else if (sb.length > 0) outcomes.waiting++;
    else outcomes.whole++;
    // Whatever came after, the valid messages that arrived whole came out first, as sent.
    const whole = how === 'cut' ? got.length : msgs.length;
    if (how !== 'random') {
      assert.ok(got.length >= Math.min(whole, msgs.length), `seed ${seed}: ${got.length} of ${msgs.length} valid messages`);
      for (let k = 0; k < Math.min(got.length, msgs.length); k++) {
        assert.equal(got[k]!.index, msgs[k]!.index, `seed ${seed}: message ${k}`);
        assert.equal(got[k]!.entries.length, msgs[k]!.entries.length, `seed ${seed}: message ${k} entries`);
      }
    }
    // A length past etcd's 512 MiB limit is refused as soon as its prefix is read, never waited for.
    if (how === 'huge-length' && !msgapp) assert.ok(failed, `seed ${seed}: a ${huge}-byte length was waited for`);
  }
  t.diagnostic(`${tried} streams from seed ${seed0}: ${outcomes.failed} failed cleanly, ${outcomes.waiting} waiting for more, ${outcomes.whole} whole`);
  assert.ok(outcomes.failed > 0 && outcomes.waiting > 0 && outcomes.whole > 0, `every outcome exercised: ${JSON.stringify(outcomes)}`);
});
