// deploy/MIGRATING.md's in-place switch, on a real 3-member etcd 3.4.23 cluster under a
// steady write and watch load: each member in turn (the leader last, after move-leader)
// is stopped and etcd-ts started on its data dir with the same settings; then one member
// is handed back to etcd the same way. No membership change: the member IDs and the
// cluster ID stay, and at the end the history is linearizable with no acknowledged write
// lost, every watch saw every event once and in order, HashKV is equal on every member,
// and clients saw only etcd's retryable errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MixedCluster, type MixedMember } from '../mixed/harness.js';
import { preload } from '../mixed/preload.js';
import { LoadedRun } from '../mixed/scenario.js';
import { handBack } from '../../src/datadir/handback.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a 3-member etcd cluster switched to etcd-ts in place, member by member, under load, and a member handed back', { timeout: 300_000 }, async (t) => {
  const c = await MixedCluster.start(['etcd', 'etcd', 'etcd'], 'e', { snapshotCount: 500 });
  t.after(() => c.close());
  await preload(c.endpoints(), 1500);
  const ids = (await c.memberList()).map((m) => m.id).sort();
  const run = new LoadedRun(c, await c.revision(), 44, t);

  // The same process again on the same data dir and ports, as the other server.
  const restartAs = async (m: MixedMember, kind: 'etcd' | 'etcd-ts') => {
    const base = (m.opts.extraArgs ?? []).filter((a, i, all) => a !== '--emulated-etcd-version' && all[i - 1] !== '--emulated-etcd-version');
    m.opts = { ...m.opts, kind, extraArgs: kind === 'etcd-ts' ? [...base, '--emulated-etcd-version', '3.4.23'] : base };
    m.spawn();
    await m.ready(60_000);
    await c.caughtUp(m);
  };

  const notes: string[] = [];
  const leader = await c.leader();
  const order = [...c.members.filter((m) => m !== leader), leader];
  for (const m of order) {
    if (m === (await c.leader())) await c.moveLeader(c.members.find((x) => x !== m && x.kind === 'etcd-ts') ?? c.members.find((x) => x !== m)!);
    const started = performance.now();
    await m.stop();
    await restartAs(m, 'etcd-ts');
    notes.push(`${m.name} switched to etcd-ts in place in ${Math.round(performance.now() - started)} ms`);
    assert.match(m.logs(), /took over the etcd member/);
  }
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd-ts', 'etcd-ts', 'etcd-ts']);
  await sleep(1000);

  const back = order[0]!;
  const started = performance.now();
  await back.stop();
  await handBack({ dataDir: back.dataDir });
  await restartAs(back, 'etcd');
  notes.push(`${back.name} handed back to etcd in ${Math.round(performance.now() - started)} ms`);
  await sleep(1000);

  await run.finish(t, notes);
  assert.deepEqual((await c.memberList()).map((m) => m.id).sort(), ids);
});
