import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage, MessageType, RawNode, type Message } from '../../src/raft/index.js';
import { TestCluster, enc, seeded } from './helpers.js';

const msg = (p: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message => ({
  logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...p,
});

test('single member: campaign makes it leader; a proposal commits on the advance that persists it', () => {
  const storage = MemoryStorage.bootstrap([1n]);
  const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: seeded(1) });
  n.campaign();
  let rd = n.ready();
  assert.equal(rd.softState?.role, 'leader');
  assert.deepEqual(rd.hardState, { term: 2, vote: 1n, commit: 1 });
  storage.append(rd.entries);
  storage.setHardState(rd.hardState!);
  n.advance(rd);
  rd = n.ready();
  storage.append(rd.entries);
  n.advance(rd);
  for (let i = 0; i < 100; i++) n.propose(enc(`v${i}`));
  rd = n.ready();
  assert.equal(rd.entries.length, 100, 'all proposals between two ready() calls come out together');
  assert.equal(rd.committedEntries.length, 0, 'not committed before the host persisted them');
  storage.append(rd.entries);
  n.advance(rd);
  rd = n.ready();
  assert.equal(rd.committedEntries.length, 100, 'committed as soon as the persisting Ready was advanced');
  assert.equal(rd.hardState?.commit, 102);
  n.advance(rd);
  assert.equal(n.hasReady(), false);
});

test('single member: becomes leader by ticking alone', () => {
  const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage: MemoryStorage.bootstrap([1n]), random: seeded(2) });
  let ticks = 0;
  while (n.status().softState.role !== 'leader' && ticks < 100) {
    n.tick();
    ticks++;
  }
  assert.ok(ticks >= 10 && ticks < 20, `elected after ${ticks} ticks`);
});

test('election timeout is randomized within [electionTick, 2*electionTick)', () => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 60; seed++) {
    const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage({ voters: [1n, 2n, 3n], learners: [] }), random: seeded(seed) });
    let ticks = 0;
    while (n.status().softState.role === 'follower' && ticks < 100) {
      n.tick();
      ticks++;
    }
    assert.equal(n.status().softState.role, 'candidate');
    assert.ok(ticks >= 10 && ticks < 20, `timeout ${ticks}`);
    seen.add(ticks);
  }
  assert.ok(seen.size >= 5, `timeouts vary: ${[...seen].join(',')}`);
});

test('three members elect one leader; the others follow it in the same term', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  assert.deepEqual(c.leaders(), [1n]);
  for (const id of [2n, 3n]) {
    const s = c.m(id).node.status();
    assert.equal(s.softState.lead, 1n);
    assert.equal(s.hardState.term, 1);
    assert.equal(s.hardState.vote, 1n);
  }
});

test('the vote is in the hardState of the same Ready as the vote response (persist before send)', () => {
  const n = new RawNode({ id: 2n, electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage({ voters: [1n, 2n, 3n], learners: [] }), random: seeded(3) });
  n.step(msg({ type: MessageType.Vote, from: 1n, to: 2n, term: 5 }));
  const rd = n.ready();
  assert.deepEqual(rd.hardState, { term: 5, vote: 1n, commit: 0 });
  assert.equal(rd.mustSync, true);
  assert.equal(rd.messages.length, 1);
  assert.equal(rd.messages[0]!.type, MessageType.VoteResp);
  assert.equal(rd.messages[0]!.reject, false);
});

test('one vote per term, and only for a candidate whose log is at least as up-to-date', () => {
  const storage = new MemoryStorage({ voters: [1n, 2n, 3n], learners: [] });
  storage.append([{ index: 1, term: 2, type: 0, data: new Uint8Array() }]);
  storage.setHardState({ term: 2, vote: 0n, commit: 0 });
  const n = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: seeded(4) });
  const answer = (m: Message): boolean => {
    n.step(m);
    const rd = n.ready();
    if (rd.hardState) storage.setHardState(rd.hardState);
    n.advance(rd);
    const resp = rd.messages.find((x) => x.type === MessageType.VoteResp)!;
    return !resp.reject;
  };
  assert.equal(answer(msg({ type: MessageType.Vote, from: 2n, to: 1n, term: 3, index: 5, logTerm: 1 })), false, 'stale last term loses');
  assert.equal(answer(msg({ type: MessageType.Vote, from: 2n, to: 1n, term: 3, index: 1, logTerm: 2 })), true);
  assert.equal(answer(msg({ type: MessageType.Vote, from: 3n, to: 1n, term: 3, index: 9, logTerm: 9 })), false, 'already voted in term 3');
  assert.equal(answer(msg({ type: MessageType.Vote, from: 2n, to: 1n, term: 3, index: 1, logTerm: 2 })), true, 'repeating the same vote is fine');
  // After a restart the persisted vote still binds.
  const again = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: seeded(5) });
  again.step(msg({ type: MessageType.Vote, from: 3n, to: 1n, term: 3, index: 9, logTerm: 9 }));
  assert.equal(again.ready().messages[0]!.reject, true);
});

test('a leader that sees a higher term steps down', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.m(1n).node.step(msg({ type: MessageType.AppResp, from: 2n, to: 1n, term: 9 }));
  assert.equal(c.m(1n).role(), 'follower');
  assert.equal(c.m(1n).node.status().hardState.term, 9);
});

test('pre-vote: an isolated member does not inflate its term, and rejoins without disruption', () => {
  const c = new TestCluster([1n, 2n, 3n], { preVote: true });
  c.elect(1n);
  c.isolate(3n);
  c.tick(100);
  const s3 = c.m(3n).node.status();
  assert.equal(s3.hardState.term, 1, 'pre-votes never won, so the term never moved');
  assert.equal(s3.softState.role, 'pre-candidate');
  c.heal();
  c.tick(5);
  assert.deepEqual(c.leaders(), [1n]);
  assert.equal(c.m(1n).node.status().hardState.term, 1);
});

test('without pre-vote the rejoining member forces a new election (the problem pre-vote solves)', () => {
  const c = new TestCluster([1n, 2n, 3n]);
  c.elect(1n);
  c.isolate(3n);
  c.tick(50);
  assert.ok(c.m(3n).node.status().hardState.term > 2);
  c.heal();
  c.tick(50);
  assert.ok(c.m(1n).node.status().hardState.term > 1);
});

test('check quorum: a leader that loses contact with a quorum steps down', () => {
  const c = new TestCluster([1n, 2n, 3n], { checkQuorum: true });
  c.elect(1n);
  c.tick(25, [1n]);
  assert.equal(c.m(1n).role(), 'leader', 'followers keep answering heartbeats');
  c.isolate(1n);
  let ticks = 0;
  while (c.m(1n).role() === 'leader' && ticks < 100) {
    c.tick(1, [1n]);
    ticks++;
  }
  assert.equal(c.m(1n).role(), 'follower');
  assert.ok(ticks <= 20, `stepped down after ${ticks} ticks (within two election timeouts)`);
  assert.equal(c.m(1n).node.status().hardState.term, 1, 'stepping down does not start an election');
});

test('check quorum: leader lease makes followers ignore a disruptive vote request', () => {
  const c = new TestCluster([1n, 2n, 3n], { checkQuorum: true });
  c.elect(1n);
  c.tick(1);
  const f = c.m(2n).node;
  f.step(msg({ type: MessageType.Vote, from: 3n, to: 2n, term: 7, index: 100, logTerm: 100 }));
  const rd = f.ready();
  f.advance(rd);
  assert.equal(rd.messages.length, 0, 'ignored outright');
  assert.equal(f.status().hardState.term, 1);
  assert.equal(f.status().softState.lead, 1n);
});

/** Ticks of the survivors until one of them leads, after the leader (1) vanished; bounded. */
function ticksToNewLeader(seed: number, reportDown: boolean): number {
  const c = new TestCluster([1n, 2n, 3n], { checkQuorum: true, preVote: true, random: seeded(seed) });
  c.elect(1n);
  c.tick(1);
  c.isolate(1n);
  if (reportDown) for (const id of [2n, 3n]) c.m(id).node.reportDown(1n);
  for (let ticks = 1; ticks <= 100; ticks++) {
    c.tick(1, [2n, 3n]);
    if (c.m(2n).role() === 'leader' || c.m(3n).role() === 'leader') return ticks;
  }
  throw new Error('no new leader within 100 ticks');
}

test('a leader reported down (connection refused): followers leave its lease and elect within one election timeout', () => {
  const withReport: number[] = [];
  const without: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    withReport.push(ticksToNewLeader(seed, true));
    without.push(ticksToNewLeader(seed, false));
  }
  // Without the report a survivor waits out its randomized timeout in [10, 20) ticks.
  assert.ok(Math.min(...without) >= 9, `without: ${without.join(',')}`);
  // With it, the same randomized wait minus the lease: [0, 10) ticks, unless both
  // survivors campaign on the same tick and split the vote (as they may without it).
  const inOneTimeout = withReport.filter((t) => t <= 10).length;
  assert.ok(inOneTimeout >= 15, `with: ${withReport.join(',')}`);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  assert.ok(sum(withReport) < sum(without) / 2, `with ${sum(withReport)} vs without ${sum(without)} ticks over 20 seeds`);
});

test('reportDown acts only on the follower\'s own leader: other peers, and leaders, keep their lease', () => {
  const c = new TestCluster([1n, 2n, 3n], { checkQuorum: true });
  c.elect(1n);
  c.tick(1);
  const f = c.m(2n).node;
  f.reportDown(3n);
  f.step(msg({ type: MessageType.Vote, from: 3n, to: 2n, term: 7, index: 100, logTerm: 100 }));
  let rd = f.ready();
  f.advance(rd);
  assert.equal(rd.messages.length, 0, 'a down follower peer does not end the lease');
  c.m(1n).node.reportDown(2n);
  assert.equal(c.m(1n).role(), 'leader');
  f.reportDown(1n);
  f.step(msg({ type: MessageType.Vote, from: 3n, to: 2n, term: 7, index: 100, logTerm: 100 }));
  rd = f.ready();
  f.advance(rd);
  assert.deepEqual(rd.messages.map((m) => [m.type, m.to, m.reject]), [[MessageType.VoteResp, 3n, false]], 'the vote is granted once the leader is down');
});
