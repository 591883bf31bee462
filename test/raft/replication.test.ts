import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryType, MemoryStorage, MessageType, type Entry, type NodeId } from '../../src/raft/index.js';
import { TestCluster, TestMember, enc } from './helpers.js';

const ent = (index: number, term: number, data = ''): Entry => ({ index, term, type: EntryType.Normal, data: enc(data) });
const logTerms = (s: MemoryStorage): number[] => {
  const out: number[] = [];
  for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
  return out;
};

/** Replaces member `id`'s storage with the given log and term (a member with history). */
function withLog(c: TestCluster, id: NodeId, ents: Entry[], term: number): void {
  const storage = new MemoryStorage({ voters: [...c.members.keys()], learners: [] });
  storage.append(ents);
  storage.setHardState({ term, vote: 0n, commit: 0 });
  c.members.set(id, new TestMember(id, storage, c.m(id).knobs));
}

test('replication: proposals reach every member and apply in order', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  for (let i = 0; i < 10; i++) c.m(i % 2 === 0 ? 1n : 2n).node.propose(enc(`v${i}`)); // followers forward
  c.settle();
  const want = Array.from({ length: 10 }, (_, i) => `v${i}`).sort();
  for (const id of [1n, 2n, 3n]) assert.deepEqual([...c.m(id).appliedData()].sort(), want);
  assert.deepEqual(c.m(2n).appliedData(), c.m(1n).appliedData(), 'the same order everywhere');
});

test('replication: a follower with a divergent uncommitted suffix is overwritten by the leader', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  withLog(c, 1n, [ent(1, 1), ent(2, 1), ent(3, 3, 'new')], 3);
  withLog(c, 2n, [ent(1, 1), ent(2, 1), ent(3, 3, 'new')], 3);
  withLog(c, 3n, [ent(1, 1), ent(2, 1), ent(3, 2, 'old'), ent(4, 2, 'old')], 2);
  c.elect(1n);
  assert.deepEqual(logTerms(c.m(3n).storage), [1, 1, 3, 4]);
  assert.deepEqual(c.m(3n).appliedData(), ['new']);
});

test('replication: the reject hint backs off a whole divergent term in one round trip', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  const common = [ent(1, 1)];
  const leaderLog = [...common, ...Array.from({ length: 50 }, (_, i) => ent(i + 2, 3))];
  withLog(c, 1n, leaderLog, 3);
  withLog(c, 2n, leaderLog, 3);
  withLog(c, 3n, [...common, ...Array.from({ length: 80 }, (_, i) => ent(i + 2, 2))], 2);
  c.elect(1n);
  const rejects = c.delivered.filter((m) => m.type === MessageType.AppResp && m.from === 3n && m.reject);
  assert.ok(rejects.length <= 2, `${rejects.length} rejections for 80 divergent entries`);
  assert.deepEqual(logTerms(c.m(3n).storage), [1, ...Array(50).fill(3), 4]);
});

test('flow control: at most maxInflightMsgs unacknowledged MsgApp per follower', () => {
  const c = new TestCluster([1n, 2n, 3n], { maxInflightMsgs: 3, maxSizePerMsg: 1 });
  c.elect(1n);
  c.drop = (m) => m.type === MessageType.AppResp; // acknowledgements are lost
  for (let i = 0; i < 20; i++) c.m(1n).node.propose(enc(`x${i}`));
  c.settle();
  const apps = c.delivered.filter((m) => m.type === MessageType.App && m.to === 2n && m.entries.some((e) => e.data.length > 0));
  assert.equal(apps.length, 3, 'the window is full after 3 messages');
  assert.equal(c.m(1n).node.status().progress!.get(2n)!.state, 'replicate');
  c.heal();
  c.tick(1); // a heartbeat response frees a slot and the pipeline resumes
  c.tick(25);
  assert.equal(c.m(2n).appliedData().length, 20);
});

test('batching: proposals between two Ready cycles go to each follower in one MsgApp', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  const leader = c.m(1n).node;
  for (let i = 0; i < 50; i++) leader.propose(enc(`b${i}`));
  const rd = leader.ready();
  assert.equal(rd.entries.length, 50);
  const apps = rd.messages.filter((m) => m.type === MessageType.App);
  assert.deepEqual(apps.map((m) => [m.to, m.entries.length]), [[2n, 50], [3n, 50]]);
  leader.advance(rd);
});

test('commit rule (§5.4.2): a replicated entry of an older term is not committed by counting', () => {
  const c = new TestCluster([1n, 2n, 3n], { maxSizePerMsg: 1 });
  withLog(c, 1n, [ent(1, 1), ent(2, 2, 'from-term-2')], 2);
  withLog(c, 2n, [ent(1, 1)], 2);
  withLog(c, 3n, [ent(1, 1)], 2);
  // Member 3 is cut off; member 2's acknowledgement of the new leader's own entry 3 is lost.
  c.drop = (m) => m.to === 3n || m.from === 3n || (m.type === MessageType.AppResp && m.from === 2n && !m.reject && m.index >= 3);
  c.m(1n).node.campaign();
  c.settle();
  const s = c.m(1n).node.status();
  assert.equal(s.softState.role, 'leader');
  assert.equal(s.progress!.get(2n)!.match, 2, 'a majority (1 and 2) holds entry 2');
  assert.equal(s.hardState.commit, 0, 'but it is from term 2, so it is not committed');
  c.heal();
  c.tick(2);
  assert.equal(c.m(1n).node.status().hardState.commit, 3, 'committing the term-3 entry commits entry 2 with it');
  assert.deepEqual(c.m(3n).appliedData(), ['from-term-2']);
});

test('snapshot: a follower behind the compacted log is sent a snapshot and catches up', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(3n);
  for (let i = 0; i < 30; i++) c.m(1n).node.propose(enc(`s${i}`));
  c.settle();
  const leader = c.m(1n);
  const applied = leader.node.status().applied;
  leader.storage.createSnapshot(applied, leader.node.status().config, enc('state@' + applied));
  leader.storage.compact(applied);
  c.heal();
  c.tick(3);
  const snaps = c.delivered.filter((m) => m.type === MessageType.Snap && m.to === 3n);
  assert.equal(snaps.length, 1);
  const f = c.m(3n);
  assert.equal(f.storage.snapshot().metadata.index, applied);
  assert.equal(new TextDecoder().decode(f.storage.snapshot().data), 'state@' + applied);
  c.m(1n).node.propose(enc('after'));
  c.settle();
  assert.deepEqual(f.appliedData(), ['after'], 'replication continues after the snapshot');
  assert.equal(c.m(1n).node.status().progress!.get(3n)!.state, 'replicate');
});

test('snapshot: reportSnapshot(failure) returns the follower to probing', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(3n);
  for (let i = 0; i < 5; i++) c.m(1n).node.propose(enc(`s${i}`));
  c.settle();
  const leader = c.m(1n);
  leader.storage.createSnapshot(leader.node.status().applied, leader.node.status().config, enc(''));
  leader.storage.compact(leader.node.status().applied);
  c.drop = (m) => m.to === 3n && m.type === MessageType.Snap; // everything but the snapshot gets through
  c.tick(2);
  assert.equal(leader.node.status().progress!.get(3n)!.state, 'snapshot');
  leader.node.reportSnapshot(3n, false);
  assert.equal(leader.node.status().progress!.get(3n)!.state, 'probe');
});
