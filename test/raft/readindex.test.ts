import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, MessageType, RawNode } from '../../src/raft/index.js';
import { TestCluster, dec, enc, seeded } from './helpers.js';

test('ReadIndex (safe): the leader answers only after a heartbeat quorum confirms it still leads', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(1n).node.propose(enc('a'));
  c.settle();
  const commit = c.m(1n).node.status().hardState.commit;
  c.drop = (m) => m.type === MessageType.HeartbeatResp;
  c.m(1n).node.readIndex(enc('r1'));
  c.settle();
  assert.equal(c.m(1n).readStates.length, 0, 'no quorum acknowledgement yet');
  const hb = c.delivered.filter((m) => m.type === MessageType.Heartbeat && m.context && dec(m.context) === 'r1');
  assert.equal(hb.length, 2, 'the read context rides on a heartbeat to each follower');
  c.heal();
  c.m(1n).node.readIndex(enc('r2'));
  c.settle();
  assert.deepEqual(c.m(1n).readStates.map((r) => [dec(r.requestCtx), r.index]), [['r1', commit], ['r2', commit]], 'confirming r2 confirms r1 too');
});

test('ReadIndex: a partitioned leader cannot serve a read', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(1n);
  c.m(1n).node.readIndex(enc('stale?'));
  c.tick(5, [1n]);
  assert.equal(c.m(1n).readStates.length, 0);
});

test('ReadIndex: waits until the new leader has committed an entry of its term', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.drop = (m) => m.type === MessageType.AppResp; // the leader's first entry can't commit
  c.elect(1n);
  c.m(1n).node.readIndex(enc('early'));
  c.settle();
  assert.equal(c.m(1n).readStates.length, 0);
  c.heal();
  c.tick(2);
  assert.equal(c.m(1n).readStates.length, 1);
  assert.equal(c.m(1n).readStates[0]!.index, c.m(1n).node.status().hardState.commit);
});

test('ReadIndex: a follower forwards to the leader and gets the leader commit index back', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  for (let i = 0; i < 3; i++) c.m(1n).node.propose(enc(`w${i}`));
  c.settle();
  c.m(3n).node.readIndex(enc('f'));
  c.settle();
  assert.deepEqual(c.m(3n).readStates.map((r) => [dec(r.requestCtx), r.index]), [['f', c.m(1n).node.status().hardState.commit]]);
  assert.equal(c.m(1n).readStates.length, 0, 'the answer goes to the asker only');
});

test('ReadIndex: lease-based reads answer from the leader without a heartbeat round', () => {
  const c = new TestCluster([1n, 2n, 3n], { readOnlyOption: 'lease-based', checkQuorum: true });
  c.elect(1n);
  c.drop = () => true;
  c.m(1n).node.readIndex(enc('lease'));
  c.settle();
  assert.equal(c.m(1n).readStates.length, 1);
});

test('ReadIndex: a single member answers at once', () => {
  const storage = MemoryStorage.bootstrap([1n]);
  const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: seeded(9) });
  n.campaign();
  n.readIndex(enc('solo'));
  const rd = n.ready();
  assert.deepEqual(rd.readStates.map((r) => dec(r.requestCtx)), ['solo']);
});
