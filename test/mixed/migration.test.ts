// A running etcd 3.4 cluster replaced member by member with etcd-ts members and back
// again, under a steady write and watch load, the way an operator would do it with the
// real etcdctl: member add --learner, wait for it to catch up (from a snapshot: the
// leaders' logs are compacted), member promote, member remove of an old member; on
// the way, leadership moved to a newcomer and back. Throughout: no acknowledged write
// lost, a linearizable history, every watch sees every event once and in order, HashKV
// equal everywhere at one revision, the cluster ID and surviving member IDs unchanged,
// and no client error beyond etcd's retryable ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MixedCluster } from './harness.js';
import { preload } from './preload.js';
import { LoadedRun, replaceAll, type Swap } from './scenario.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a 3-member etcd cluster becomes a 3-member etcd-ts cluster and back, member by member, under load', { timeout: 900_000 }, async (t) => {
  const c = await MixedCluster.start(['etcd', 'etcd', 'etcd'], 'e', { snapshotCount: 1000 });
  t.after(() => c.close());
  // More entries than a leader keeps for catching up (5000) past a snapshot: logs get compacted.
  await preload(c.endpoints(), 7000);
  const run = new LoadedRun(c, await c.revision(), 42, t);

  const swaps: Swap[] = [];
  const tsMembers = await replaceAll(c, [...c.members], 'etcd-ts', 't', swaps);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd-ts', 'etcd-ts', 'etcd-ts']);
  // Some load on the all-etcd-ts cluster before heading back.
  await sleep(3000);
  const etcdAgain = await replaceAll(c, tsMembers, 'etcd', 'f', swaps);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd', 'etcd', 'etcd']);
  await sleep(2000);

  await run.finish(t, [`swaps: ${swaps.map((s) => `${s.added} for ${s.removed} in ${s.ms} ms (caught up in ${s.catchUpMs} ms)`).join('; ')}`]);
  // Every member kept the ID the cluster gave it, and the cluster its own.
  const list = await c.memberList();
  assert.deepEqual(new Set(list.map((m) => m.clusterId)), new Set([c.clusterId]));
  assert.deepEqual(new Set(list.map((m) => m.id)), new Set(etcdAgain.map((m) => m.id)));
});

test('a 3-member etcd-ts cluster becomes a 3-member etcd cluster, member by member, under load', { timeout: 900_000 }, async (t) => {
  const c = await MixedCluster.start(['etcd-ts', 'etcd-ts', 'etcd-ts'], 't', { snapshotCount: 1000 });
  t.after(() => c.close());
  await preload(c.endpoints(), 3000);
  const run = new LoadedRun(c, await c.revision(), 43, t);
  const swaps: Swap[] = [];
  const etcds = await replaceAll(c, [...c.members], 'etcd', 'e', swaps);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd', 'etcd', 'etcd']);
  await sleep(2000);
  await run.finish(t, [`swaps: ${swaps.map((s) => `${s.added} for ${s.removed} in ${s.ms} ms (caught up in ${s.catchUpMs} ms)`).join('; ')}`]);
  const list = await c.memberList();
  assert.deepEqual(new Set(list.map((m) => m.clusterId)), new Set([c.clusterId]));
  assert.deepEqual(new Set(list.map((m) => m.id)), new Set(etcds.map((m) => m.id)));
});
