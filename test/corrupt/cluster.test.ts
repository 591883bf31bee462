// Corruption detection on a 3-member cluster of real processes: no false alarms under
// writes, then one member's stored data is altered on purpose while it is stopped.
// With --experimental-initial-corrupt-check it refuses to start; without, the
// leader's periodic check raises CORRUPT and the cluster refuses writes as etcd 3.4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { leaderOf, startCluster, type Cluster, type ClusterMember } from '../helpers/cluster.js';
import { etcdctl, grpcKv, grpcFailure, probeHealth, READY_MILESTONE } from '../helpers/index.js';
import { Client } from '../../src/client/index.js';
import { corruptOneValue } from './alter.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INITIAL_CHECK = '--experimental-initial-corrupt-check';
const GRPC_DATA_LOSS = 15;

/** Passes of the periodic check that compared both followers, as the leader logged them. */
function fullPasses(m: ClusterMember): number {
  return m.logs().split('\n').filter((l) => l.includes('"finished peer corruption check"') && l.includes('"number-of-peers-checked":2')).length;
}

async function waitUntil(what: string, timeoutMs: number, cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let cluster: Cluster;

test('3 members with both checks on', async (t) => {
  cluster = await startCluster(3, { extraArgs: ['--experimental-corrupt-check-time=300ms', INITIAL_CHECK] });
  t.after(() => cluster.close());
  const c = cluster;

  await t.test('no false alarm under concurrent writes and compaction; a healthy member passes the initial check', async () => {
    const leader = await leaderOf(c);
    const before = fullPasses(leader);
    let stop = false;
    let written = 0;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const cl = new Client({ endpoints: c.endpoints() });
      try {
        for (let i = 0; !stop && i < 5000; i++) {
          await cl.put(`load/${w}/${i % 50}`, `v${i}`, { timeoutMs: 3000 });
          written++;
        }
      } finally {
        await cl.close();
      }
    });
    await sleep(1200);
    // A compaction mid-load: members reach it at different moments, which the check must tolerate.
    assert.equal((await etcdctl(c.endpoints(), ['compact', '10'])).code, 0);
    await waitUntil('two periodic passes under load', 5000, () => fullPasses(leader) >= before + 2);
    stop = true;
    await Promise.all(writers);
    assert.ok(written > 50, `only ${written} writes`);
    await waitUntil('a pass after the load', 3000, () => fullPasses(leader) >= before + 3);

    const list = await etcdctl(c.endpoints(), ['alarm', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, '');
    for (const m of c.members) assert.doesNotMatch(m.logs(), /hashes must match|found hash mismatch|must be less than or equal/);

    const follower = c.members.find((m) => m !== leader)!;
    await follower.restart();
    assert.match(follower.logs(), /initial corruption checking passed; no corruption/);
  });

  await t.test('a member with altered data refuses to start under the initial check', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await etcdctl(c.endpoints(), ['put', `fixed/${i}`, `value-${i}`])).code, 0);
    const leader = await leaderOf(c);
    const victim = c.members.find((m) => m !== leader)!;
    await victim.stop();
    await corruptOneValue(victim, 'fixed/7');

    victim.opts = { ...victim.opts, state: 'existing' };
    victim.spawn();
    await waitUntil('the member to exit', 15_000, () => !victim.running);
    const child = (victim as unknown as { child: ChildProcess }).child;
    assert.equal(child.exitCode, 1);
    assert.match(victim.logs(), /found different hash values from remote peer/);
    assert.match(victim.logs(), /[0-9a-f]+ found data inconsistency with peers/);
    assert.equal(await probeHealth(victim.endpoint, 300), false);
  });

  await t.test('without it the member starts; the leader raises CORRUPT and the cluster refuses writes', async () => {
    const victim = c.members.find((m) => !m.running)!;
    victim.opts = { ...victim.opts, extraArgs: (victim.opts.extraArgs ?? []).filter((a) => a !== INITIAL_CHECK) };
    const served = (): number => victim.logs().split(READY_MILESTONE).length;
    const before = served();
    victim.spawn();
    // Not ready(): that also waits for /health, which the alarm about to be raised turns false.
    await waitUntil('the member to serve', 15_000, () => {
      if (!victim.running) throw new Error(`member exited\n${victim.logs()}`);
      return served() > before;
    });
    const raisedAt = Date.now();
    await waitUntil('the CORRUPT alarm', 10_000, async () => (await etcdctl(c.endpoints(), ['alarm', 'list'])).stdout.includes('CORRUPT'));
    const detectMs = Date.now() - raisedAt;
    t.diagnostic(`CORRUPT alarm listed ${detectMs} ms after the altered member served`);

    // Recorded through the log: every member lists it (etcd 3.4.23 names member 0).
    for (const m of c.members) {
      await waitUntil(`the alarm on ${m.name}`, 3000, async () => (await etcdctl(m.endpoint, ['alarm', 'list'])).stdout === 'alarm:CORRUPT \n');
    }

    const put = await etcdctl(c.endpoints(), ['put', 'after', 'corruption']);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /etcdserver: corrupt cluster/);
    const g = grpcKv(c.members[0]!.endpoint);
    try {
      assert.deepEqual(await grpcFailure(g.kv.put({ key: Buffer.from('k'), value: Buffer.from('v') })), { code: GRPC_DATA_LOSS, message: 'etcdserver: corrupt cluster' });
      assert.deepEqual(await grpcFailure(g.kv.deleteRange({ key: Buffer.from('fixed/0') })), { code: GRPC_DATA_LOSS, message: 'etcdserver: corrupt cluster' });
      assert.deepEqual(await grpcFailure(g.kv.compact({ revision: 12 })), { code: GRPC_DATA_LOSS, message: 'etcdserver: corrupt cluster' });
      // etcd 3.4 serves ranges outside the log: reads still answer.
      const got = await g.kv.range({ key: Buffer.from('fixed/1') });
      assert.equal(Buffer.from(got.kvs[0].value).toString(), 'value-1');
      const st = await g.maintenance.status({});
      assert.deepEqual(st.errors, ['alarm:CORRUPT ']);
    } finally {
      g.close();
    }
    const lease = await etcdctl(c.endpoints(), ['lease', 'grant', '30']);
    assert.match(lease.stderr, /etcdserver: corrupt cluster/);
    assert.equal(await probeHealth(c.members[0]!.endpoint, 1000), false);

    // Disarming lifts the refusal, but the data still differs: the next pass raises it again.
    const disarm = await etcdctl(c.endpoints(), ['alarm', 'disarm']);
    assert.equal(disarm.stdout, 'alarm:CORRUPT \n');
    await waitUntil('the alarm raised again', 5000, async () => (await etcdctl(c.endpoints(), ['alarm', 'list'])).stdout.includes('CORRUPT'));
  });
});
