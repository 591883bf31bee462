// Faults on a 3-member cluster of real processes: kill -9 of the leader under write
// load, and a follower that misses so much that it must catch up from a snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderOf, startCluster, type Cluster } from '../helpers/cluster.js';
import { Client } from '../../src/client/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every running member applied the same index, then compares HashKV at one revision. */
async function assertConverged(c: Cluster, timeoutMs: number): Promise<number> {
  const clients = c.members.filter((m) => m.running).map((m) => new Client({ endpoints: [m.endpoint] }));
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await Promise.all(clients.map((cl) => cl.maintenance.status({ timeoutMs: 2000 })));
      const revs = st.map((s) => s.header!.revision);
      if (new Set(st.map((s) => s.raftAppliedIndex)).size === 1 && new Set(revs).size === 1) {
        const rev = revs[0]!;
        const hashes = await Promise.all(clients.map((cl) => cl.maintenance.hashKV(rev, { timeoutMs: 2000 })));
        assert.equal(new Set(hashes.map((h) => h.hash)).size, 1, `HashKV at ${rev} differs: ${hashes.map((h) => h.hash).join(' ')}`);
        return rev;
      }
      if (Date.now() > deadline) throw new Error(`members did not converge: applied ${st.map((s) => s.raftAppliedIndex).join(' ')}, revisions ${revs.join(' ')}`);
      await sleep(100);
    }
  } finally {
    await Promise.all(clients.map((cl) => cl.close()));
  }
}

test('kill -9 of the leader under write load: a new leader, acknowledged writes survive, members converge', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const acked: string[] = [];
  let stop = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    const cl = new Client({ endpoints: c.members.map((m) => m.endpoint) });
    for (let i = 0; !stop && i < 100_000; i++) {
      const key = `load/${w}/${i}`;
      try {
        await cl.put(key, String(i), { timeoutMs: 3000 });
        acked.push(key);
      } catch {
        // unacknowledged: may or may not have been applied
      }
    }
    await cl.close();
  });
  // Load for a second, and on until writes are acknowledged (a busy machine, 10 s at most).
  await sleep(1000);
  for (const deadline = Date.now() + 10_000; acked.length === 0 && Date.now() < deadline; ) await sleep(20);
  const leader = await leaderOf(c);
  const before = acked.length;
  assert.ok(before > 0, 'writes were acknowledged before the kill');
  await leader.kill9();
  const killedAt = Date.now();
  // Failover: the first write acknowledged by the survivors after the kill.
  const probe = new Client({ endpoints: c.members.filter((m) => m !== leader).map((m) => m.endpoint) });
  let failoverMs = -1;
  for (let i = 0; i < 200 && Date.now() - killedAt < 15_000; i++) {
    try {
      await probe.put('probe', String(i), { timeoutMs: 1000 });
      failoverMs = Date.now() - killedAt;
      break;
    } catch {
      await sleep(20);
    }
  }
  await probe.close();
  assert.ok(failoverMs >= 0, 'a write succeeded after the leader was killed');
  t.diagnostic(`leader failover (kill -9 → next acknowledged write): ${failoverMs} ms`);
  const newLeader = await leaderOf(c);
  assert.notEqual(newLeader, leader);
  // The survivors found the dead leader's port closed and did not wait out its lease.
  const noticed = c.members.filter((m) => m !== leader && m.logs().includes('leader refused the connection'));
  assert.ok(noticed.length >= 1, 'a survivor reported the refused leader connection');
  // The load's clients fail over too: wait for them to be acknowledged again.
  const atFailover = acked.length;
  for (let i = 0; i < 100 && acked.length < atFailover + 50; i++) await sleep(100);
  stop = true;
  await Promise.all(writers);
  assert.ok(acked.length >= atFailover + 50, `writes continued after failover (${acked.length - atFailover} more)`);

  await leader.restart();
  await assertConverged(c, 15_000);
  // Every acknowledged write is on every member.
  for (const m of c.members) {
    const cl = new Client({ endpoints: [m.endpoint] });
    const r = await cl.get('load/', { prefix: true, keysOnly: true, serializable: true });
    const have = new Set(r.kvs.map((kv) => Buffer.from(kv.key).toString()));
    const missing = acked.filter((k) => !have.has(k));
    assert.deepEqual(missing.slice(0, 5), [], `${m.name} lost acknowledged writes`);
    await cl.close();
  }
});

test('a follower down while the log is compacted catches up from a snapshot', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const leader = await leaderOf(c);
  const follower = c.members.find((m) => m !== leader)!;
  await follower.stop();
  // More entries than the leader keeps in memory behind its backend (2 × 5000).
  const total = 11_000;
  const cl = new Client({ endpoints: c.members.filter((m) => m.running).map((m) => m.endpoint) });
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < total) {
      const i = next++;
      await cl.put(`bulk/${i % 500}`, `v${i}`, { timeoutMs: 10_000 });
    }
  }));
  const secs = (Date.now() - started) / 1000;
  t.diagnostic(`3-member (2 running) put throughput, 64 concurrent: ${Math.round(total / secs)} puts/s`);
  await cl.close();

  await follower.restart();
  const rev = await assertConverged(c, 20_000);
  assert.ok(rev > total, `revision ${rev} covers every put`);
  assert.match(follower.logs(), /applied snapshot/);
});
