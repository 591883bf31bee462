// etcd's membership-change preconditions (etcdserver/server.go mayAddMember and
// mayRemoveMember, api/membership/cluster.go IsReadyTo*VotingMember at v3.4.23), on
// member lists and link times given directly, so the 5-second rule is checked without waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCanAddVoter,
  checkCanRemoveVoter,
  checkConnectedToAll,
  checkRemoveKeepsActiveQuorum,
  HEALTH_INTERVAL_MS,
} from '../../src/server/reconfig.js';
import type { Member } from '../../src/membership/index.js';

const m = (id: number, name: string, isLearner = false): Member => ({ id: BigInt(id), name, peerUrls: [`http://127.0.0.1:${id}`], clientUrls: [], isLearner });
const three = [m(1, 'a'), m(2, 'b'), m(3, 'c')];
const NOW = 1_000_000;

function errorOf(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test('started means named: bootstrap members count at once, a member added at runtime only once it published', () => {
  assert.equal(errorOf(() => checkCanAddVoter(three)), undefined, 'a fresh 3-member cluster may add a voter');
  // Two added members that never started: 3 started of 6 voters is below quorum (4).
  assert.equal(errorOf(() => checkCanAddVoter([...three, m(4, ''), m(5, '')])), 'etcdserver: re-configuration failed due to not enough started members');
  assert.equal(errorOf(() => checkCanAddVoter([...three, m(4, '')])), undefined, '3 started of 5 is a quorum');
  // A one-member cluster may take a second member (restoring a cluster from one member's data).
  assert.equal(errorOf(() => checkCanAddVoter([m(1, 'a')])), undefined);
  assert.equal(errorOf(() => checkCanAddVoter([m(1, 'a'), m(2, '')])), 'etcdserver: re-configuration failed due to not enough started members');
  // Learners do not count toward the voters.
  assert.equal(errorOf(() => checkCanAddVoter([...three, m(4, '', true), m(5, '', true)])), undefined);
});

test('removing a voter keeps a quorum of started voters; a learner is not a voter', () => {
  assert.equal(errorOf(() => checkCanRemoveVoter(three, 3n)), undefined);
  assert.equal(errorOf(() => checkCanRemoveVoter([m(1, 'a'), m(2, ''), m(3, '')], 1n)), 'etcdserver: re-configuration failed due to not enough started members');
  assert.equal(errorOf(() => checkCanRemoveVoter([m(1, 'a'), m(2, ''), m(3, '', true)], 3n)), undefined);
});

test('a member add needs every voter linked for HealthInterval (5 s), else "unhealthy cluster"', () => {
  const since = new Map<bigint, number>([[2n, NOW - HEALTH_INTERVAL_MS - 1], [3n, NOW - HEALTH_INTERVAL_MS - 1]]);
  const activeSince = (id: bigint) => since.get(id) ?? 0;
  assert.equal(errorOf(() => checkConnectedToAll(three, 1n, activeSince, NOW)), undefined);
  since.set(3n, NOW - 1000); // linked one second ago: right after the cluster started
  assert.equal(errorOf(() => checkConnectedToAll(three, 1n, activeSince, NOW)), 'etcdserver: unhealthy cluster');
  since.set(3n, 0); // link down
  assert.equal(errorOf(() => checkConnectedToAll(three, 1n, activeSince, NOW)), 'etcdserver: unhealthy cluster');
  // A learner's link does not matter; this member always counts.
  assert.equal(errorOf(() => checkConnectedToAll([m(1, 'a'), m(9, '', true)], 1n, () => 0, NOW)), undefined);
});

test('a remove keeps a quorum of members linked for HealthInterval; a member whose link is down is safe to remove', () => {
  const old = NOW - HEALTH_INTERVAL_MS - 1;
  assert.equal(errorOf(() => checkRemoveKeepsActiveQuorum(three, 3n, 1n, (id) => (id === 3n ? 0 : old), NOW)), undefined, 'down member');
  assert.equal(errorOf(() => checkRemoveKeepsActiveQuorum(three, 2n, 1n, (id) => (id === 2n ? old : 0), NOW)), 'etcdserver: unhealthy cluster');
  assert.equal(errorOf(() => checkRemoveKeepsActiveQuorum(three, 2n, 1n, () => old, NOW)), undefined);
});
