import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfChangeType, MessageType, ProposalDroppedError, type ConfChange, type NodeId } from '../../src/raft/index.js';
import { TestCluster, enc } from './helpers.js';

const cc = (type: ConfChangeType, nodeId: NodeId): ConfChange => ({ id: 0n, type, nodeId, context: new Uint8Array() });

test('learners receive the log but neither vote nor count toward the quorum', () => {
  const c = new TestCluster([1n, 2n], {}, [3n]);
  c.elect(1n);
  c.m(1n).node.propose(enc('a'));
  c.settle();
  assert.deepEqual(c.m(3n).appliedData(), ['a']);
  assert.ok(!c.delivered.some((m) => m.type === MessageType.Vote && m.to === 3n), 'nobody asks a learner for a vote');
  c.isolate(2n);
  c.m(1n).node.propose(enc('b'));
  c.settle();
  assert.deepEqual(c.m(3n).appliedData(), ['a'], 'leader + learner is not a quorum of {1,2}');
  assert.equal(c.m(3n).node.status().progress, undefined);
  c.tick(60, [3n]);
  assert.equal(c.m(3n).role(), 'follower', 'a learner never campaigns');
});

test('promoting a learner (AddNode) makes it count toward the quorum', () => {
  const c = new TestCluster([1n, 2n], {}, [3n]);
  c.elect(1n);
  c.m(1n).node.proposeConfChange(cc(ConfChangeType.AddNode, 3n));
  c.settle();
  assert.deepEqual(c.m(1n).node.status().config, { voters: [1n, 2n, 3n], learners: [] });
  c.isolate(2n);
  c.m(1n).node.propose(enc('with-3'));
  c.settle();
  assert.deepEqual(c.m(3n).appliedData(), ['with-3'], '{1,3} is a quorum of {1,2,3}');
});

test('one conf change at a time; and none before the new leader commits in its term', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.drop = (m) => m.type === MessageType.AppResp;
  c.elect(1n);
  assert.throws(() => c.m(1n).node.proposeConfChange(cc(ConfChangeType.AddLearnerNode, 4n)), ProposalDroppedError);
  c.heal();
  c.tick(1);
  c.m(1n).node.proposeConfChange(cc(ConfChangeType.AddLearnerNode, 4n));
  assert.throws(() => c.m(1n).node.proposeConfChange(cc(ConfChangeType.AddLearnerNode, 5n)), /already pending/);
  c.settle();
  c.m(1n).node.proposeConfChange(cc(ConfChangeType.AddLearnerNode, 5n));
  c.settle();
  assert.deepEqual(c.m(1n).node.status().config.learners, [4n, 5n]);
});

test('a removed member stops campaigning and the leader stops replicating to it', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(1n).node.proposeConfChange(cc(ConfChangeType.RemoveNode, 3n));
  c.settle();
  assert.equal(c.m(1n).node.status().progress!.has(3n), false);
  const term = c.m(3n).node.status().hardState.term;
  c.tick(80, [3n]);
  assert.equal(c.m(3n).role(), 'follower');
  assert.equal(c.m(3n).node.status().hardState.term, term, 'not in its own configuration: never campaigns');
  c.m(1n).node.propose(enc('two'));
  c.settle();
  assert.deepEqual(c.m(2n).appliedData(), ['two']);
});

test('a leader that removes itself steps down and the rest elect a new leader', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(1n).node.proposeConfChange(cc(ConfChangeType.RemoveNode, 1n));
  c.settle();
  assert.equal(c.m(1n).role(), 'follower');
  c.drop = (m) => m.from === 1n; // the host shuts the removed member down
  c.tick(40, [2n, 3n]);
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.ok(leaders[0] === 2n || leaders[0] === 3n);
});
