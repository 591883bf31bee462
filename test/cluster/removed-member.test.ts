// A member removed from the cluster stops, as etcd's does: whether it applies its own
// removal, or learns of it later from peers answering its messages with 410 Gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type ClusterMember } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (listOut: string, peerUrl: string) => listOut.split('\n').find((l) => l.includes(peerUrl))?.split(',')[0]?.trim();

async function exitsWithin(m: ClusterMember, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (m.running && Date.now() < deadline) await sleep(50);
  return !m.running;
}

test('a removed member exits: on applying its removal, and on hearing 410 from its peers', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());

  const m4 = await c.newMember('m4', '');
  await c.linkedForReconfig();
  const add = await etcdctl([c.members[0]!.endpoint], ['member', 'add', 'm4', `--peer-urls=${m4.peerUrl}`]);
  assert.equal(add.code, 0, add.stderr);
  m4.opts = { ...m4.opts, initialCluster: /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)![1]!, state: 'existing' };
  m4.spawn();
  await m4.ready();

  // Removed while running: it applies the conf change that removes it, and exits.
  let list = (await etcdctl([c.members[0]!.endpoint], ['member', 'list'])).stdout;
  const rm4 = await etcdctl([c.members[0]!.endpoint], ['member', 'remove', idOf(list, m4.peerUrl)!]);
  assert.equal(rm4.code, 0, rm4.stderr);
  assert.ok(await exitsWithin(m4, 5000), `m4 still running after its removal\n${m4.logs().slice(-2000)}`);
  assert.match(m4.logs(), /the member has been permanently removed from the cluster/);

  // Removed while paused: it never sees the conf change; its peers refuse it with 410.
  // The paused one is a follower, so that the removal needs no election first.
  const st = JSON.parse((await etcdctl(c.members.slice(0, 3).map((m) => m.endpoint), ['endpoint', 'status', '-w', 'json'])).stdout) as Array<{ Endpoint: string; Status: { leader: number; header: { member_id: number } } }>;
  const leaderEp = st.find((s) => s.Status.leader === s.Status.header.member_id)!.Endpoint;
  const m1 = c.members.find((m) => m.endpoint === leaderEp)!;
  const [m2, m3] = c.members.slice(0, 3).filter((m) => m !== m1) as [ClusterMember, ClusterMember];
  assert.ok(m3.signal('SIGSTOP'));
  list = (await etcdctl([m2.endpoint], ['member', 'list'])).stdout;
  const rm3 = await etcdctl([m2.endpoint], ['member', 'remove', idOf(list, m3.peerUrl)!]);
  assert.equal(rm3.code, 0, rm3.stderr);
  assert.ok(m3.signal('SIGCONT'));
  assert.ok(await exitsWithin(m3, 8000), `m3 still running after its removal\n${m3.logs().slice(-2000)}`);
  assert.match(m3.logs(), /the member has been permanently removed from the cluster/);

  // The two that are left keep serving writes and linearizable reads.
  const put = await etcdctl([m2.endpoint], ['put', 'after-removals', 'ok']);
  assert.equal(put.code, 0, put.stderr);
  const got = await etcdctl([m1.endpoint], ['get', 'after-removals']);
  assert.equal(got.stdout, 'after-removals\nok\n');
  list = (await etcdctl([m2.endpoint], ['member', 'list'])).stdout;
  assert.equal(list.trim().split('\n').length, 2);
});
