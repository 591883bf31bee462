// Members dying by kill -9 in the middle of a migration, under load: an etcd-ts member
// while it leads a mixed cluster, an etcd-ts learner while it catches up from the
// leader's snapshot, and a real etcd member. Each is restarted on its data dir and
// catches up; the migration then completes. The same checks as the migration test
// hold at the end: nothing acknowledged lost, a linearizable history, watches that
// saw every event once and in order, HashKV equal everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MixedCluster } from './harness.js';
import { PREFIX } from './load.js';
import { LoadedRun } from './scenario.js';
import { preload } from './preload.js';
import { grpcKv } from '../helpers/grpc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Under the watched prefix (so watchers still see every revision) but a key the load never touches. */
const PROBE = `${PREFIX}probe`;

/** How long after `since` until a put through any voter is acknowledged again. */
async function writableAfter(c: MixedCluster, since: number): Promise<number> {
  for (let i = 0; i < 600; i++) {
    for (const m of c.voters()) {
      const conn = grpcKv(m.endpoint);
      try {
        await conn.kv.put({ key: Buffer.from(PROBE), value: Buffer.from(String(i)) }, { timeoutMs: 1000 });
        return Math.round(performance.now() - since);
      } catch {
        // try the next member
      } finally {
        conn.close();
      }
    }
    await sleep(50);
  }
  throw new Error('the cluster did not take writes again');
}

test('kill -9 of an etcd-ts leader, an etcd-ts learner catching up and an etcd member, mid-migration', { timeout: 900_000 }, async (t) => {
  const c = await MixedCluster.start(['etcd', 'etcd', 'etcd'], 'e', { snapshotCount: 1000 });
  t.after(() => c.close());
  await preload(c.endpoints(), 7000);
  const run = new LoadedRun(c, await c.revision(), 7, t);
  const [e1, e2, e3] = c.members;
  const notes: string[] = [];

  // First swap: [e2 e3 t1], t1 leading.
  const t1 = await c.addLearner('etcd-ts', 't1');
  await c.caughtUp(t1);
  await c.promote(t1);
  await c.remove(e1!);
  await c.moveLeader(t1);

  // kill -9 of the etcd-ts leader: the etcd members elect one of theirs and go on.
  let at = performance.now();
  await t1.kill9();
  notes.push(`writes again ${await writableAfter(c, at)} ms after kill -9 of the etcd-ts leader`);
  assert.equal((await c.leader()).kind, 'etcd');
  await sleep(1000);
  await t1.restart();
  await c.caughtUp(t1);

  // kill -9 of an etcd-ts learner as soon as the leader's snapshot has landed: during its
  // install or just after, before it caught up with the log.
  const t2 = await c.addLearner('etcd-ts', 't2', { waitReady: false });
  for (let i = 0; i < 6000 && !/received and saved database snapshot/.test(t2.logs()); i++) await sleep(5);
  assert.match(t2.logs(), /received and saved database snapshot/);
  await t2.kill9();
  assert.doesNotMatch(t2.logs(), /ready to serve client requests/, 'killed before it caught up');
  await sleep(500);
  await t2.restart();
  await c.caughtUp(t2);
  await c.promote(t2);
  await c.remove(e2!);

  // kill -9 of the last etcd member, leading or not.
  at = performance.now();
  await e3!.kill9();
  notes.push(`writes again ${await writableAfter(c, at)} ms after kill -9 of the etcd member`);
  await sleep(1000);
  await e3!.restart();
  await c.caughtUp(e3!);

  // The migration completes.
  const t3 = await c.addLearner('etcd-ts', 't3');
  await c.caughtUp(t3);
  await c.promote(t3);
  await c.remove(e3!);
  assert.deepEqual(c.live().map((m) => m.kind), ['etcd-ts', 'etcd-ts', 'etcd-ts']);
  await sleep(2000);

  await run.finish(t, notes);
  const list = await c.memberList();
  assert.deepEqual(new Set(list.map((m) => m.id)), new Set([t1.id, t2.id, t3.id]));
  assert.deepEqual(new Set(list.map((m) => m.clusterId)), new Set([c.clusterId]));
});
