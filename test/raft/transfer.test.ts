import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, ProposalDroppedError } from '../../src/raft/index.js';
import { TestCluster, enc } from './helpers.js';

test('leader transfer: an up-to-date transferee gets TimeoutNow and wins at once, past pre-vote and lease', () => {
  const c = new TestCluster([1n, 2n, 3n], { preVote: true, checkQuorum: true });
  c.elect(1n);
  c.tick(1);
  c.m(1n).node.transferLeader(3n);
  c.settle();
  assert.ok(c.delivered.some((m) => m.type === MessageType.TimeoutNow && m.to === 3n));
  assert.deepEqual(c.leaders(), [3n]);
  assert.equal(c.m(3n).node.status().hardState.term, 2);
});

test('leader transfer: a lagging transferee catches up first', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(3n);
  for (let i = 0; i < 5; i++) c.m(1n).node.propose(enc(`t${i}`));
  c.settle();
  c.heal();
  c.m(1n).node.transferLeader(3n);
  c.settle();
  assert.deepEqual(c.leaders(), [3n]);
  assert.equal(c.m(3n).appliedData().length, 5);
});

test('leader transfer: a follower forwards the request to the leader', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(2n).node.transferLeader(2n);
  c.settle();
  assert.deepEqual(c.leaders(), [2n]);
});

test('leader transfer: proposals are dropped meanwhile, and the transfer is abandoned after an election timeout', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(3n);
  c.m(1n).node.transferLeader(3n);
  c.settle();
  assert.equal(c.m(1n).node.status().leadTransferee, 3n);
  assert.throws(() => c.m(1n).node.propose(enc('x')), (e: unknown) => e instanceof ProposalDroppedError && /transfer in progress/.test(e.message));
  c.tick(10, [1n, 2n]);
  assert.equal(c.m(1n).node.status().leadTransferee, 0n);
  assert.deepEqual(c.leaders(), [1n]);
  c.m(1n).node.propose(enc('y'));
  c.settle();
  assert.deepEqual(c.m(2n).appliedData(), ['y']);
});
