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
import { MixedCluster, type Kind, type MixedMember } from './harness.js';
import { checkWatch, MigrationLoad, ResumingWatcher, unexpectedFailures, writePauses } from './load.js';
import { preload } from './preload.js';
import { verify } from '../chaos/verify.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Swap {
  added: string;
  removed: string;
  ms: number;
  catchUpMs: number;
}

/** Replaces every member of `olds` by a new member of `kind`, one at a time; `detour` moves leadership on the first swap. */
async function replaceAll(c: MixedCluster, olds: MixedMember[], kind: Kind, prefix: string, swaps: Swap[]): Promise<MixedMember[]> {
  const news: MixedMember[] = [];
  for (let i = 0; i < olds.length; i++) {
    const started = performance.now();
    const m = await c.addLearner(kind, `${prefix}${i + 1}`);
    await c.caughtUp(m);
    const caught = performance.now();
    // The leader's log was compacted long before: the newcomer started from its snapshot.
    assert.match(m.logs(), /received and saved database snapshot/, `${m.name} did not receive a snapshot`);
    await c.promote(m);
    if (i === 0) {
      // On the way: leadership to the newcomer, then back to a member of the old kind.
      await c.moveLeader(m);
      assert.equal((await c.leader()).name, m.name);
      const back = olds.find((o) => o !== olds[0])!;
      await c.moveLeader(back);
      assert.equal((await c.leader()).name, back.name);
    }
    await c.remove(olds[i]!);
    swaps.push({ added: `${m.name} (${kind})`, removed: olds[i]!.name, ms: Math.round(performance.now() - started), catchUpMs: Math.round(caught - started) });
    news.push(m);
  }
  return news;
}

test('a 3-member etcd cluster becomes a 3-member etcd-ts cluster and back, member by member, under load', { timeout: 900_000 }, async (t) => {
  const c = await MixedCluster.start(['etcd', 'etcd', 'etcd'], 'e', { snapshotCount: 1000 });
  t.after(() => c.close());
  const ids = new Set(c.members.map((m) => m.id));
  // More entries than a leader keeps for catching up (5000) past a snapshot: logs get compacted.
  await preload(c.endpoints(), 7000);
  const startRevision = (await c.status(c.voters()[0]!)).revision;

  const load = new MigrationLoad(() => c.voters().map((m) => m.endpoint), { clients: 6, keys: 12, seed: 42, thinkMs: 20 });
  load.start();
  const watchers = [0, 1].map((i) => new ResumingWatcher(() => c.voters().map((m) => m.endpoint), startRevision + 1, i));
  const clusterIds = new Set<string>();
  const sampler = setInterval(() => {
    for (const m of c.voters()) void c.status(m).then((s) => clusterIds.add(s.clusterId), () => undefined);
  }, 1000);
  // Registered after the cluster's close, so it runs first: nothing keeps calling a stopped cluster.
  t.after(async () => {
    clearInterval(sampler);
    await load.stop();
    await Promise.all(watchers.map((w) => w.stop()));
  });

  const swaps: Swap[] = [];
  const etcdOriginals = [...c.members];
  const tsMembers = await replaceAll(c, etcdOriginals, 'etcd-ts', 't', swaps);
  for (const m of tsMembers) ids.add(m.id);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd-ts', 'etcd-ts', 'etcd-ts']);
  // Some load on the all-etcd-ts cluster before heading back.
  await sleep(3000);
  const etcdAgain = await replaceAll(c, tsMembers, 'etcd', 'f', swaps);
  for (const m of etcdAgain) ids.add(m.id);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd', 'etcd', 'etcd']);
  await sleep(2000);

  const history = await load.stop();
  clearInterval(sampler);
  const result = await verify(c.live(), history, { checkTimeoutMs: 60_000, convergeTimeoutMs: 30_000 });
  // Watchers catch up with the last revision, then must hold every event exactly once.
  const deadline = Date.now() + 30_000;
  while (watchers.some((w) => w.lastRevision < result.convergedRevision) && Date.now() < deadline) await sleep(100);
  await Promise.all(watchers.map((w) => w.stop()));
  const watchProblems = watchers.flatMap((w, i) => checkWatch(w, startRevision, result.convergedRevision, history).map((p) => `watcher ${i}: ${p}`));

  const pauses = writePauses(history);
  const reasons = load.recorder.failureReasons();
  t.diagnostic(`swaps: ${swaps.map((s) => `${s.added} for ${s.removed} in ${s.ms} ms (caught up in ${s.catchUpMs} ms)`).join('; ')}`);
  t.diagnostic(`operations ${result.operations}, acknowledged writes ${result.ackedWrites}, failed calls ${load.recorder.failed()} (${[...reasons].map(([r, n]) => `${n}× ${r}`).join(', ')})`);
  t.diagnostic(`longest stretch without an acknowledged write ${pauses.longestGapMs} ms, slowest acknowledged write ${pauses.slowestWriteMs} ms, watch resumes ${watchers.map((w) => w.resumes).join('/')}`);

  assert.deepEqual(result.problems, []);
  assert.equal(result.verdict, 'ok');
  assert.ok(result.ackedWrites > 200, `only ${result.ackedWrites} acknowledged writes`);
  assert.deepEqual(watchProblems, []);
  assert.deepEqual(unexpectedFailures(reasons), []);
  // One cluster throughout; every member ever in it kept its ID.
  assert.deepEqual([...clusterIds], [c.clusterId]);
  const list = await c.memberList();
  assert.deepEqual(new Set(list.map((m) => m.clusterId)), new Set([c.clusterId]));
  for (const m of list) assert.ok(ids.has(m.id), `unexpected member ${m.id}`);
  assert.deepEqual(new Set(list.map((m) => m.id)), new Set(etcdAgain.map((m) => m.id)));
});
