// etcd 3.6's compaction hash check, after server/etcdserver/corrupt_test.go
// TestCompactHashCheck (the cases below carry its names) and server/storage/mvcc
// hash_test.go (a hash kept at a compaction equals HashKV at that revision before it;
// hashStorageMaxSize = 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/memory.js';
import { COMPACTION_HASHES, MvccStore, type CompactionHash } from '../../src/mvcc/index.js';
import { CompactHashChecker, judgePeerHashes } from '../../src/server/compact-hash-check.js';
import { PeerHashKVError, type PeerHashKV } from '../../src/rafthttp/index.js';
import { createLogger } from '../../src/pkg/logger.js';

const LEADER = 1n;
const h = (revision: number, compactRevision: number, hash: number): CompactionHash => ({ revision, compactRevision, hash });
const peer = (id: number, compactRevision: number, hash: number) => ({ id: BigInt(id), compactRevision, hash });
const down = (id: number) => ({ id: BigInt(id) });

test('judging peer hashes as etcd\'s checkPeerHashes', () => {
  const cases: Array<[string, ReturnType<typeof judgePeerHashes>['alarms'], boolean, ReturnType<typeof judgePeerHashes>]> = [
    ['Etcd can identify two corrupted members in 5 member cluster', [44n, 45n], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 2), peer(43, 1, 2), peer(44, 1, 7), peer(45, 1, 7)])],
    ['Etcd checks next hash when one member is unresponsive in 3 member cluster', [], false, judgePeerHashes(LEADER, h(2, 1, 2), [down(42), peer(43, 1, 2)])],
    ['Etcd can identify single corrupted member in 3 member cluster', [43n], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 2), peer(43, 1, 3)])],
    ['Etcd can identify single corrupted member in 5 member cluster', [44n], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 2), peer(43, 1, 2), peer(44, 1, 3), peer(45, 1, 2)])],
    ['Etcd triggers corrupted alarm on whole cluster if in 3 member cluster one member is down and one member corrupted', [0n], true, judgePeerHashes(LEADER, h(2, 1, 2), [down(42), peer(43, 1, 3)])],
    ['Etcd triggers corrupted alarm on whole cluster if no quorum in 5 member cluster', [0n], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 2), peer(43, 1, 3), peer(44, 1, 3), peer(45, 1, 3), peer(46, 1, 4), peer(47, 1, 2)])],
    ['Etcd can identify corrupted member in 5 member cluster even if one member is down', [44n], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 2), down(43), peer(44, 1, 3), peer(45, 1, 2)])],
    ['Etcd can identify that leader is corrupted', [LEADER], true, judgePeerHashes(LEADER, h(2, 1, 2), [peer(42, 1, 3), peer(43, 1, 3)])],
    ['Peer returned same hash bumps last revision checked', [], true, judgePeerHashes(LEADER, h(2, 1, 1), [peer(42, 1, 1)])],
    ['Only one peer succeeded check', [], false, judgePeerHashes(LEADER, h(1, 1, 1), [peer(42, 1, 1), down(43)])],
    ['Peer returned different compaction revision is skipped', [], false, judgePeerHashes(LEADER, h(2, 2, 0), [peer(42, 3, 0)])],
  ];
  for (const [name, alarms, done, v] of cases) {
    assert.deepEqual(v.alarms, alarms, name);
    assert.equal(v.done, done, name);
  }
});

/** A leader with fixed kept hashes and peers answering from a table, recording what it asks and raises. */
function fakeLeader(hashes: CompactionHash[], answers: Record<string, Record<number, PeerHashKV | undefined>>) {
  const asked: number[] = [];
  const alarms: bigint[] = [];
  const checker = new CompactHashChecker(
    {
      memberId: LEADER,
      logger: createLogger({ level: 'error' }),
      requestTimeoutMs: 1000,
      hashByRev: () => {
        throw new Error('not asked of the leader');
      },
      peers: () => Object.keys(answers).map((id) => ({ id: BigInt(id), peerUrls: [id] })),
      fetchHashKV: async (url, rev) => {
        if (!asked.includes(rev)) asked.push(rev);
        const a = answers[url]![rev];
        if (!a) throw new PeerHashKVError('other', 'failed getting hash');
        return a;
      },
      isLeader: () => true,
      compactionHashes: () => hashes,
      raiseCorrupt: async (id) => void alarms.push(id),
    },
    60_000,
  );
  return { checker, asked, alarms };
}

test('a pass goes from the newest kept hash to older ones until every peer answered, and skips checked revisions next time', async () => {
  // "Etcd checks next hash when one member is unresponsive": revision 2 unanswered by 42, revision 1 answered by all.
  const f = fakeLeader([h(1, 0, 5), h(2, 1, 6)], {
    '42': { 1: { hash: 5, revision: 9, compactRevision: 0 } },
    '43': { 1: { hash: 5, revision: 9, compactRevision: 0 }, 2: { hash: 6, revision: 9, compactRevision: 1 } },
  });
  await f.checker.check();
  assert.deepEqual(f.asked, [2, 1]);
  assert.deepEqual(f.alarms, []);
  // Revision 1 is checked now: the next pass asks only for revision 2.
  f.asked.length = 0;
  await f.checker.check();
  assert.deepEqual(f.asked, [2]);

  const bad = fakeLeader([h(4, 2, 7)], { '42': { 4: { hash: 7, revision: 9, compactRevision: 2 } }, '43': { 4: { hash: 8, revision: 9, compactRevision: 2 } } });
  await bad.checker.check();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(bad.alarms, [43n], 'the member outside the majority gets the alarm');
});

test('the store keeps HashKV at each compaction revision, the newest ten', () => {
  const st = MvccStore.open(new MemoryBackend());
  st.keepCompactionHashes = true;
  const write = (k: string, v: string) => {
    const t = st.write();
    t.put(Buffer.from(k), Buffer.from(v), 0n);
    t.end();
  };
  const expected: CompactionHash[] = [];
  for (let round = 0; round < COMPACTION_HASHES + 2; round++) {
    write(`k${round % 3}`, `v${round}`);
    write('other', `o${round}`);
    const rev = st.rev() - 1;
    const before = st.hashKV(rev);
    st.compact(rev);
    expected.push({ hash: before.hash, revision: rev, compactRevision: before.compactRevision });
  }
  assert.deepEqual(st.compactionHashes(), expected.slice(-COMPACTION_HASHES));
  const last = expected.at(-1)!;
  assert.deepEqual(st.compactionHash(last.revision), last);
  assert.equal(st.compactionHash(expected[0]!.revision), undefined, 'the oldest were dropped');

  const off = MvccStore.open(new MemoryBackend());
  const t = off.write();
  t.put(Buffer.from('a'), Buffer.from('1'), 0n);
  t.end();
  off.compact(off.rev());
  assert.deepEqual(off.compactionHashes(), [], 'off by default');
});
