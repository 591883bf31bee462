// The configuration kept in the backend's meta bucket, as etcd 3.5 keeps it: Go's JSON of
// raftpb.ConfState, 64-bit IDs exact, empty lists left out; an earlier etcd-ts value
// (IDs as strings) still reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory.js';
import { confFromMembers, loadConf, saveConf } from '../../src/server/storage.js';
import { Membership } from '../../src/membership/index.js';
import { MemoryStorage, RawNode } from '../../src/raft/index.js';
import { ConfChangeType } from '../../src/raft/types.js';

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

// An etcd 3.4 database keeps no confState (3.4 has it in its .snap files only). A member
// that restarts onto a leader's snapshot it had recorded but not yet installed opens such
// a database; taking its configuration as empty made a later promotion leave the member
// counting itself as the only voter, electing itself and committing alone.
test('confState: a database without one (etcd 3.4) is configured by its member list', () => {
  const be = new MemoryBackend();
  const members = Membership.load(be);
  members.add({ id: 0x8eff4f14eb791db7n, name: '', peerUrls: ['http://127.0.0.1:2380'], clientUrls: [], isLearner: true });
  members.add({ id: 0x72a0f284f4ac34f3n, name: 't1', peerUrls: ['http://127.0.0.1:2381'], clientUrls: [], isLearner: false });
  members.add({ id: 0x54de7782438f88f8n, name: 'e3', peerUrls: ['http://127.0.0.1:2382'], clientUrls: [], isLearner: false });
  assert.equal(loadConf(be), undefined);
  const cs = confFromMembers(be);
  assert.deepEqual(new Set(cs.voters), new Set([0x72a0f284f4ac34f3n, 0x54de7782438f88f8n]));
  assert.deepEqual(cs.learners, [0x8eff4f14eb791db7n]);
  // Raft on it: promoting the learner makes a quorum of two out of three, not one.
  const storage = new MemoryStorage();
  storage.applySnapshot({ metadata: { index: 10, term: 2, confState: cs }, data: new Uint8Array(0) });
  storage.setHardState({ term: 2, vote: 0n, commit: 10 });
  const node = new RawNode({ id: 0x8eff4f14eb791db7n, electionTick: 10, heartbeatTick: 1, storage, applied: 10, random: () => 0 });
  node.applyConfChange({ id: 1n, type: ConfChangeType.AddNode, nodeId: 0x8eff4f14eb791db7n, context: new Uint8Array(0) });
  assert.equal(node.status().config.voters.length, 3);
  node.campaign();
  assert.equal(node.status().softState.role, 'candidate', 'a voter among three does not win alone');
  // A joining member's empty backend has no configuration yet.
  assert.deepEqual(confFromMembers(new MemoryBackend()), { voters: [], learners: [] });
});
