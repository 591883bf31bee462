// The peer stream's framing: messages encoded together come out of the reader intact
// however the bytes are split, and decoded messages own their bytes (the transport's
// buffers are reused; an entry that aliased them would change under Raft's feet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrames, FrameReader } from '../../src/rafthttp/frame.js';
import { EntryType, MessageType, encodeMessage, type Message } from '../../src/raft/index.js';

function message(i: number): Message {
  return {
    type: i % 2 ? MessageType.App : MessageType.Prop,
    to: 0xfedcba9876543210n,
    from: BigInt(i + 1),
    term: 3,
    logTerm: 2,
    index: 1000 + i,
    entries: Array.from({ length: i % 4 }, (_, k) => ({ term: 3, index: 1000 + i + k, type: EntryType.Normal, data: new Uint8Array(50 + k * 300).fill(i + k) })),
    commit: 990 + i,
    reject: false,
    rejectHint: 0,
    ...(i % 3 === 0 ? { context: new Uint8Array([i, i + 1]) } : {}),
  };
}

test('frames: many messages in one buffer, read back through every split point class', () => {
  const msgs = Array.from({ length: 12 }, (_, i) => message(i));
  const wire = encodeFrames(msgs);
  // Each frame is the 4-byte length and the message's own encoding.
  let p = 0;
  for (const m of msgs) {
    const body = encodeMessage(m);
    assert.equal(wire.readUInt32BE(p), body.length);
    assert.deepEqual(new Uint8Array(wire.subarray(p + 4, p + 4 + body.length)), body);
    p += 4 + body.length;
  }
  assert.equal(p, wire.length);
  for (const step of [1, 3, 7, 64, 1000, wire.length]) {
    const reader = new FrameReader();
    const out: Message[] = [];
    for (let off = 0; off < wire.length; off += step) out.push(...reader.push(Buffer.from(wire.subarray(off, off + step))));
    assert.deepEqual(out, msgs, `split every ${step} bytes`);
  }
});

test('frames: decoded entries do not alias the chunk they were read from', () => {
  const msgs = [message(3), message(5)];
  const chunk = Buffer.from(encodeFrames(msgs));
  const out = new FrameReader().push(chunk);
  chunk.fill(0xff);
  assert.deepEqual(out, msgs);
});

test('frames: an oversized length is refused as a corrupt stream', () => {
  const bad = Buffer.alloc(8);
  bad.writeUInt32BE(0xffffffff, 0);
  assert.throws(() => new FrameReader().push(bad), /exceeds/);
});
