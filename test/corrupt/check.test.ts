// The corruption checks' decisions against scripted peers: which answers fail the
// initial check, which raise a CORRUPT alarm, and which are skipped as etcd 3.4 does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInitialHashKV, CorruptionMonitor, CorruptionError, type CorruptMonitorDeps, type HashKVPeer } from '../../src/server/corrupt.js';
import { PeerHashKVError, type PeerHashKV } from '../../src/rafthttp/index.js';
import type { Logger } from '../../src/pkg/logger.js';

interface LogLine {
  msg: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const log = (msg: string, fields?: Record<string, unknown>) => void lines.push({ msg, fields });
  const l: Logger = { debug: log, info: log, warn: log, error: log, with: () => l };
  return l;
}

type PeerScript = PeerHashKV | PeerHashKVError | ((rev: number) => PeerHashKV);

/** A member whose own hashes are `own` (in turn) and whose peers answer from `scripts` by URL. */
function harness(own: PeerHashKV[], scripts: Record<string, PeerScript>, peers?: HashKVPeer[]) {
  const lines: LogLine[] = [];
  const raised: bigint[] = [];
  const asked: Array<{ url: string; rev: number }> = [];
  let n = 0;
  const deps: CorruptMonitorDeps = {
    memberId: 0x1n,
    logger: recordingLogger(lines),
    requestTimeoutMs: 1000,
    hashByRev: () => own[Math.min(n++, own.length - 1)]!,
    peers: () => peers ?? Object.keys(scripts).map((url, i) => ({ id: BigInt(i + 2), peerUrls: [url] })),
    fetchHashKV: async (url, rev) => {
      asked.push({ url, rev });
      const s = scripts[url];
      if (s === undefined) throw new PeerHashKVError('other', 'connect ECONNREFUSED');
      if (s instanceof PeerHashKVError) throw s;
      return typeof s === 'function' ? s(rev) : s;
    },
    isLeader: () => true,
    linearizableReadNotify: async () => {},
    raiseCorrupt: async (id) => void raised.push(id),
  };
  return { deps, lines, raised, asked };
}

const h = (hash: number, revision: number, compactRevision = 0): PeerHashKV => ({ hash, revision, compactRevision });

test('initial check: a peer with another hash at the same compact revision fails the start with etcd\'s message', async () => {
  const { deps, lines, asked } = harness([h(111, 10)], { 'http://a': h(111, 12), 'http://b': h(222, 12) });
  await assert.rejects(checkInitialHashKV(deps), (err: unknown) => err instanceof CorruptionError && err.message === '1 found data inconsistency with peers');
  // Peers are asked at this member's own revision.
  assert.deepEqual(asked.map((a) => a.rev), [10, 10]);
  const warn = lines.find((l) => l.msg === 'found different hash values from remote peer');
  assert.ok(warn);
  assert.equal(warn.fields?.['remote-peer-id'], '3');
  assert.equal(warn.fields?.['local-member-hash'], 111);
  assert.equal(warn.fields?.['remote-peer-hash'], 222);
});

test('initial check: another compact revision, lagging or compacted peers and unreachable peers do not fail it', async () => {
  const { deps, lines } = harness([h(111, 10, 4)], {
    'http://compacted-differently': h(999, 12, 6),
    'http://behind': new PeerHashKVError('future', 'mvcc: required revision is a future revision'),
    'http://ahead-compacted': new PeerHashKVError('compacted', 'mvcc: required revision has been compacted'),
    'http://down': new PeerHashKVError('other', 'connect ECONNREFUSED'),
    'http://same': h(111, 11, 4),
  });
  await checkInitialHashKV(deps);
  const msgs = lines.map((l) => l.msg);
  assert.ok(msgs.includes('found different compact revision values from remote peer'));
  assert.ok(msgs.includes('cannot fetch hash from slow remote peer'));
  assert.ok(msgs.includes('cannot fetch hash from remote peer; local member is behind'));
  assert.ok(msgs.includes('initial corruption checking passed; no corruption'));
});

test('initial check: each of a peer\'s URLs is tried until one answers', async () => {
  const peers = [{ id: 2n, peerUrls: ['http://dead', 'http://alive'] }];
  const { deps, asked } = harness([h(5, 3)], { 'http://alive': h(6, 3) }, peers);
  await assert.rejects(checkInitialHashKV(deps), CorruptionError);
  assert.deepEqual(asked.map((a) => a.url), ['http://dead', 'http://alive']);
});

test('periodic check: a follower with another hash raises one CORRUPT alarm, for member 0 as etcd 3.4.23', async () => {
  const { deps, raised, lines } = harness([h(7, 20), h(7, 20)], { 'http://a': h(8, 20), 'http://b': h(9, 18) });
  const r = await new CorruptionMonitor(deps, 1000).checkHashKV();
  assert.deepEqual(r, { checked: 2, alarmed: true });
  assert.deepEqual(raised, [0n]);
  assert.equal(lines.filter((l) => l.msg === 'same compact revision then hashes must match').length, 2);
});

test('periodic check: healthy followers, lagging followers and followers with another compact revision raise nothing', async () => {
  const { deps, raised } = harness([h(7, 20, 5), h(3, 25, 5)], {
    'http://same': h(7, 22, 5),
    'http://behind': new PeerHashKVError('future', 'mvcc: required revision is a future revision'),
    'http://older-compaction': h(1, 20, 2),
    'http://down': new PeerHashKVError('other', 'timed out'),
  });
  const r = await new CorruptionMonitor(deps, 1000).checkHashKV();
  assert.deepEqual(r, { checked: 2, alarmed: false });
  assert.deepEqual(raised, []);
});

test('periodic check: a follower ahead of the leader, or compacted past it, is a mismatch', async () => {
  const ahead = harness([h(7, 20), h(7, 20)], { 'http://a': h(7, 21) });
  assert.equal((await new CorruptionMonitor(ahead.deps, 1000).checkHashKV()).alarmed, true);
  assert.deepEqual(ahead.raised, [0n]);
  const compacted = harness([h(7, 20, 3), h(7, 20, 3)], { 'http://a': h(1, 20, 4) });
  assert.equal((await new CorruptionMonitor(compacted.deps, 1000).checkHashKV()).alarmed, true);
});

test("periodic check: the leader's own hash changing under the same revision is a mismatch", async () => {
  const { deps, raised, lines } = harness([h(7, 20), h(8, 20)], {});
  assert.equal((await new CorruptionMonitor(deps, 1000).checkHashKV()).alarmed, true);
  assert.deepEqual(raised, [0n]);
  assert.ok(lines.some((l) => l.msg === 'found hash mismatch'));
});

test('periodic check runs every interval on the leader only, and stops', async () => {
  let leader = false;
  const { deps, asked } = harness([h(7, 20)], { 'http://a': h(7, 20) });
  deps.isLeader = () => leader;
  const m = new CorruptionMonitor(deps, 30);
  m.start();
  try {
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(asked.length, 0, 'a follower does not check');
    leader = true;
    const deadline = Date.now() + 2000;
    while (asked.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(asked.length >= 2, `checked ${asked.length} times`);
  } finally {
    m.stop();
  }
  const after = asked.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(asked.length <= after + 1, 'no passes after stop beyond one in flight');
  assert.throws(() => new CorruptionMonitor(deps, 0));
});
