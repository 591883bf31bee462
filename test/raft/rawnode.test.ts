import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, MessageType, ProposalDroppedError, RawNode, StepLocalMessageError, type Message } from '../../src/raft/index.js';
import { TestCluster, enc, seeded } from './helpers.js';

const node = (id: bigint, voters: bigint[], extra: Partial<ConstructorParameters<typeof RawNode>[0]> = {}): RawNode =>
  new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage({ voters, learners: [] }), random: seeded(Number(id)), ...extra });

const msg = (p: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message => ({
  logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...p,
});

test('RawNode: proposing without a leader throws ProposalDroppedError', () => {
  const n = node(1n, [1n, 2n, 3n]);
  assert.throws(() => n.propose(enc('x')), (e: unknown) => e instanceof ProposalDroppedError && e.message === 'raft proposal dropped: no leader');
});

test('RawNode: proposals beyond maxUncommittedEntriesSize are dropped until entries commit', () => {
  const c = new TestCluster([1n, 2n, 3n], { maxUncommittedEntriesSize: 1000 });
  c.elect(1n);
  c.drop = (m) => m.type === MessageType.AppResp;
  c.m(1n).node.propose(new Uint8Array(600));
  assert.throws(() => c.m(1n).node.propose(new Uint8Array(600)), /too many uncommitted entries/);
  c.heal();
  c.tick(2);
  c.m(1n).node.propose(new Uint8Array(600));
});

test('RawNode: local message types from the network are refused', () => {
  const n = node(1n, [1n, 2n, 3n]);
  assert.throws(() => n.step(msg({ type: MessageType.Hup, from: 2n, to: 1n, term: 0 })), StepLocalMessageError);
  assert.throws(() => n.step(msg({ type: MessageType.Beat, from: 2n, to: 1n, term: 0 })), StepLocalMessageError);
});

test('RawNode: responses from members outside the configuration are ignored', () => {
  const n = node(1n, [1n, 2n, 3n]);
  n.campaign();
  n.advance(n.ready());
  n.step(msg({ type: MessageType.VoteResp, from: 9n, to: 1n, term: 1 }));
  n.step(msg({ type: MessageType.VoteResp, from: 8n, to: 1n, term: 1 }));
  assert.equal(n.status().softState.role, 'candidate', 'votes from strangers do not count');
});

test('a stale vote request is answered with our term, so the candidate catches up', () => {
  const n = node(1n, [1n, 2n, 3n]);
  n.step(msg({ type: MessageType.Heartbeat, from: 2n, to: 1n, term: 7 }));
  n.advance(n.ready());
  n.step(msg({ type: MessageType.Vote, from: 3n, to: 1n, term: 4, index: 99, logTerm: 99 }));
  const rd = n.ready();
  assert.deepEqual(rd.messages.map((m) => [m.type, m.term, m.reject]), [[MessageType.VoteResp, 7, true]]);
  const cand = node(3n, [1n, 2n, 3n]);
  cand.step(msg({ type: MessageType.VoteResp, from: 1n, to: 3n, term: 7, reject: true }));
  assert.equal(cand.status().hardState.term, 7);
});

test('RawNode: ready() twice without advance() is a host bug', () => {
  const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage: MemoryStorage.bootstrap([1n]), random: seeded(3) });
  n.campaign();
  n.ready();
  assert.throws(() => n.ready(), /before advance/);
});

test('RawNode: restart from storage keeps term, vote, commit and applied', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(1n).node.propose(enc('durable'));
  c.settle();
  const before = c.m(2n).node.status();
  c.m(2n).restart();
  const after = c.m(2n).node.status();
  assert.deepEqual(after.hardState, before.hardState);
  c.m(2n).cycle();
  assert.deepEqual(c.m(2n).appliedData(), ['durable'], 'committed entries are replayed after a restart without applied');
});
