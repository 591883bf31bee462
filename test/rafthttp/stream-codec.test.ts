// etcd's two stream encodings: the message stream (u64 length + raftpb) and msgappv2,
// whose MsgApps that carry on from the previous one travel as their entries alone.
// Whatever way the bytes are split by the socket, the reader gets back exactly the
// messages written, and nothing it decodes aliases the socket's buffers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryType, MessageType, type Message } from '../../src/raft/index.js';
import { encodeMessageStream, isLinkHeartbeat, LINK_HEARTBEAT, MessageStreamDecoder } from '../../src/rafthttp/msg-codec.js';
import { MsgAppV2Decoder, MsgAppV2Encoder } from '../../src/rafthttp/msgappv2.js';
import { StreamBuffer } from '../../src/rafthttp/stream-buffer.js';
import { Prng } from '../raft/sim/prng.js';

const LEADER = 0xfedcba9876543210n;
const FOLLOWER = 2n;

function app(term: number, logTerm: number, index: number, n: number, commit: number, size = 40): Message {
  return {
    type: MessageType.App,
    to: FOLLOWER,
    from: LEADER,
    term,
    logTerm,
    index,
    entries: Array.from({ length: n }, (_, k) => ({ term, index: index + 1 + k, type: k === 1 ? EntryType.ConfChange : EntryType.Normal, data: new Uint8Array(k === 2 ? 0 : size + k).fill(index + k) })),
    commit,
    reject: false,
    rejectHint: 0,
  };
}

/** Feeds `wire` to a decoder in pieces of random size; all messages, in order. */
function readAll(wire: Buffer, decode: (sb: StreamBuffer) => Message | undefined, rng: Prng): Message[] {
  const sb = new StreamBuffer();
  const out: Message[] = [];
  const chunks: Buffer[] = [];
  for (let off = 0; off < wire.length; ) {
    const n = 1 + rng.int(rng.chance(0.5) ? 7 : 900);
    const chunk = Buffer.from(wire.subarray(off, off + n));
    chunks.push(chunk);
    off += n;
    sb.push(chunk);
    for (let m = decode(sb); m !== undefined; m = decode(sb)) out.push(m);
  }
  assert.equal(sb.length, 0, 'no bytes left over');
  // Scribbled over once all is read: a decoded message must not point into them.
  for (const c of chunks) c.fill(0xee);
  return out;
}

test('msgappv2: a replication stream (full MsgApps, continuations, link heartbeats, a new term) reads back exactly', () => {
  const msgs = [
    app(3, 2, 10, 2, 9), // first on the stream: a full MsgApp
    app(3, 3, 12, 3, 11), // carries on at index 12 in term 3: entries only
    LINK_HEARTBEAT,
    app(3, 3, 15, 0, 15), // an empty continuation (a commit update)
    app(3, 3, 15, 4, 15, 5000),
    app(3, 3, 17, 1, 16), // a resend from an earlier index: full again
    app(4, 3, 18, 2, 18), // a new term: full
    app(4, 4, 20, 1, 19),
  ];
  const rng = new Prng(7);
  for (let round = 0; round < 50; round++) {
    const enc = new MsgAppV2Encoder();
    // Encoded in batches of random size, as the stream writer flushes them.
    const parts: Buffer[] = [];
    for (let i = 0; i < msgs.length; ) {
      const n = 1 + rng.int(3);
      parts.push(enc.encode(msgs.slice(i, i + n)));
      i += n;
    }
    const dec = new MsgAppV2Decoder(FOLLOWER, LEADER);
    const got = readAll(Buffer.concat(parts), (sb) => dec.decode(sb), rng);
    assert.equal(got.length, msgs.length);
    got.forEach((m, i) => (isLinkHeartbeat(msgs[i]!) ? assert.ok(isLinkHeartbeat(m)) : assert.deepEqual(m, msgs[i])));
  }
  // A continuation costs its entries, not a message: the second is far smaller than the first would be.
  const enc = new MsgAppV2Encoder();
  const first = enc.encode([msgs[0]!]);
  const cont = enc.encode([msgs[1]!]);
  assert.equal(first[0], 2);
  assert.equal(cont[0], 1);
  assert.equal(enc.encode([LINK_HEARTBEAT]).toString('hex'), '00');
});

test('msgappv2: an unknown record type or an absurd length ends the stream', () => {
  const sb = new StreamBuffer();
  sb.push(Buffer.from([9]));
  assert.throws(() => new MsgAppV2Decoder(1n, 2n).decode(sb), /failed to parse type 9 in msgappv2 stream/);
  const huge = new StreamBuffer();
  huge.push(Buffer.from('02ffffffffffffff00', 'hex'));
  assert.throws(() => new MsgAppV2Decoder(1n, 2n).decode(huge), RangeError);
});

test('message stream: every message type, batched and split anyhow, reads back exactly', () => {
  const rng = new Prng(11);
  const msgs: Message[] = [];
  for (let i = 0; i < 60; i++) {
    const type = [MessageType.AppResp, MessageType.Heartbeat, MessageType.HeartbeatResp, MessageType.Vote, MessageType.PreVoteResp, MessageType.ReadIndex, MessageType.Prop, MessageType.TimeoutNow][i % 8]!;
    const m: Message = { type, to: LEADER, from: BigInt(i + 1), term: 5, logTerm: i, index: 1000 + i, entries: [], commit: 900 + i, reject: i % 3 === 0, rejectHint: i * 7 };
    if (type === MessageType.Prop || type === MessageType.ReadIndex) m.entries = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(20 + i).fill(i) }];
    if (type === MessageType.Heartbeat && i % 2) m.context = new Uint8Array([i, 1, 2, 3]);
    msgs.push(m);
    if (i % 10 === 0) msgs.push(LINK_HEARTBEAT);
  }
  const wire = Buffer.concat([encodeMessageStream(msgs.slice(0, 20)), encodeMessageStream(msgs.slice(20))]);
  const dec = new MessageStreamDecoder();
  const got = readAll(wire, (sb) => dec.decode(sb), rng);
  assert.equal(got.length, msgs.length);
  got.forEach((m, i) => assert.deepEqual(m, msgs[i]));
  const bad = new StreamBuffer();
  bad.push(Buffer.from('0000000100000000', 'hex'));
  assert.throws(() => new MessageStreamDecoder().decode(bad), /exceeds/);
});
