// The configuration kept in the backend's meta bucket, as etcd 3.5 keeps it: Go's JSON of
// raftpb.ConfState, 64-bit IDs exact, empty lists left out; an earlier etcd-ts value
// (IDs as strings) still reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory.js';
import { loadConf, saveConf } from '../../src/server/storage.js';

test("confState: etcd 3.5's JSON, big IDs exact, the earlier form still read", () => {
  const be = new MemoryBackend();
  const cs = { voters: [0xfedcba9876543210n, 3n], learners: [0x8000000000000001n] };
  saveConf(be, cs);
  assert.equal(Buffer.from(be.get('meta', Buffer.from('confState'))!).toString(), '{"voters":[18364758544493064720,3],"learners":[9223372036854775809],"auto_leave":false}');
  assert.deepEqual(loadConf(be), cs);
  saveConf(be, { voters: [1n], learners: [] });
  assert.equal(Buffer.from(be.get('meta', Buffer.from('confState'))!).toString(), '{"voters":[1],"auto_leave":false}');
  be.put('meta', Buffer.from('confState'), Buffer.from('{"voters":["18364758544493064720"],"learners":[]}'));
  assert.deepEqual(loadConf(be), { voters: [0xfedcba9876543210n], learners: [] });
});
