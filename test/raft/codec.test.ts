import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  decodeConfChange,
  decodeMessage,
  encodeConfChange,
  encodeMessage,
  type Message,
} from '../../src/raft/index.js';

test('codec: messages round-trip, including 64-bit IDs, entries, snapshot and context', () => {
  const m: Message = {
    type: MessageType.App,
    to: 0xfedcba9876543210n,
    from: 1n,
    term: 2 ** 40,
    logTerm: 7,
    index: 2 ** 50 + 3,
    entries: [
      { term: 7, index: 9, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
      { term: 7, index: 10, type: EntryType.ConfChange, data: new Uint8Array() },
    ],
    commit: 8,
    reject: true,
    rejectHint: 300,
    snapshot: { metadata: { index: 5, term: 2, confState: { voters: [1n, 2n], learners: [2n ** 64n - 1n] } }, data: new Uint8Array(1000).fill(7) },
    context: new Uint8Array([42]),
  };
  assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  const bare: Message = { type: MessageType.Heartbeat, to: 2n, from: 3n, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  const bytes = encodeMessage(bare);
  assert.ok(bytes.length < 32, `heartbeat is ${bytes.length} bytes`);
  assert.deepEqual(decodeMessage(bytes), bare);
});

test('codec: truncated or trailing input is rejected', () => {
  const b = encodeMessage({ type: MessageType.Vote, to: 2n, from: 3n, term: 4, logTerm: 1, index: 5, entries: [], commit: 0, reject: false, rejectHint: 0 });
  assert.throws(() => decodeMessage(b.subarray(0, b.length - 1)), RangeError);
  assert.throws(() => decodeMessage(new Uint8Array([...b, 0])), RangeError);
});

test('codec: conf changes round-trip', () => {
  const cc = { type: ConfChangeType.AddLearnerNode, nodeId: 0x8000000000000001n, context: new TextEncoder().encode('{"name":"m4"}') };
  assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc);
});
