// etcd 3.6's compaction hash check on a 3-member cluster of real processes, after etcd's
// tests/integration/corrupt_test.go TestCompactHashCheckDetectCorruption (a member whose
// data was altered while stopped is named by a CORRUPT alarm once the leader compares the
// hashes kept at a compaction) and its no-corruption counterpart; the log lines are
// server/etcdserver/corrupt.go's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderOf, startCluster, type ClusterMember } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/index.js';
import { Client } from '../../src/client/index.js';
import { corruptOneValue } from './alter.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FLAGS = ['--feature-gates=CompactHashCheck=true', '--compact-hash-check-time=500ms'];

async function waitUntil(what: string, timeoutMs: number, cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function logLines(m: ClusterMember, msg: string): Array<Record<string, unknown>> {
  return m
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('CompactHashCheck: the same data is checked on the whole cluster; altered data raises CORRUPT for that member', { timeout: 120_000 }, async (t) => {
  const c = await startCluster(3, { extraArgs: FLAGS });
  t.after(() => c.close());
  for (let i = 0; i < 10; i++) assert.equal((await etcdctl(c.endpoints(), ['put', `k${i}`, `v${i}`])).code, 0);
  const compacted = await etcdctl(c.endpoints(), ['compact', '8']);
  assert.equal(compacted.code, 0, compacted.stderr);
  const leader = await leaderOf(c);
  await waitUntil('the leader checks revision 8', 20_000, () => logLines(leader, 'successfully checked hash on whole cluster').some((l) => l.revision === 8));
  const ok = logLines(leader, 'successfully checked hash on whole cluster').find((l) => l.revision === 8)!;
  assert.equal(ok['number-of-peers-checked'], 2);
  assert.equal(ok.compactRevision, -1, 'the hash covers history since no earlier compaction');

  // HashKV at the compaction revision answers the hash kept then (etcd 3.6's HashStorage), the same on every member.
  const hashes = await Promise.all(
    c.members.map(async (m) => {
      const cl = new Client({ endpoints: [m.endpoint] });
      try {
        return (await cl.maintenance.hashKV(8)).hash;
      } finally {
        await cl.close();
      }
    }),
  );
  assert.equal(new Set(hashes).size, 1, `hashes ${hashes.join(', ')}`);

  // A follower's stored value altered while it is stopped goes unseen until the next compaction is hashed.
  const follower = c.members.find((m) => m !== leader)!;
  await follower.stop();
  await corruptOneValue(follower, 'k9');
  follower.opts = { ...follower.opts, state: 'existing' };
  follower.spawn();
  await follower.ready();
  const again = await etcdctl(c.endpoints(), ['compact', '11']);
  assert.equal(again.code, 0, again.stderr);
  await waitUntil('a CORRUPT alarm', 20_000, async () => (await etcdctl(c.endpoints(), ['alarm', 'list'])).stdout.includes('CORRUPT'));
  const alarms = (await etcdctl(c.endpoints(), ['alarm', 'list'])).stdout;
  const followerId = BigInt(`0x${(await memberId(follower))}`);
  assert.equal(alarms.trim(), `memberID:${followerId} alarm:CORRUPT`);
  const [mismatch] = logLines(leader, 'Detected compaction hash mismatch');
  assert.ok(mismatch, leader.logs());
  assert.equal(mismatch['leader-revision'], 11);
  assert.equal(mismatch['quorum-exist'], true);
  assert.equal(mismatch['peer-ids'], `[${followerId.toString(16)}]`);
});

async function memberId(m: ClusterMember): Promise<string> {
  const cl = new Client({ endpoints: [m.endpoint] });
  try {
    return (await cl.maintenance.status()).header!.memberId.toString(16);
  } finally {
    await cl.close();
  }
}
