// Three etcd-ts processes bootstrapped from --initial-cluster: one leader, the same
// member list everywhere, any member serving any request, and no quorum → etcd's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { Client } from '../../src/client/index.js';
import { memberId, clusterId } from '../../src/server/ids.js';

async function statuses(c: Cluster) {
  const out = await etcdctl(c.endpoints(), ['endpoint', 'status', '-w', 'json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as Array<{ Endpoint: string; Status: { header: { member_id: number; cluster_id: number }; leader: number; raftIndex: number; raftTerm: number; raftAppliedIndex: number } }>;
}

test('3 members: one leader, etcd IDs, member list, any member serves, no quorum fails and recovers', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());

  // IDs as etcd derives them from the same flags.
  const ids = c.members.map((m) => memberId([m.peerUrl], 'etcd-cluster'));
  const list = await etcdctl(c.endpoints(), ['member', 'list', '-w', 'json']);
  const parsed = JSON.parse(list.stdout) as { header: { cluster_id: number }; members: Array<{ ID: number; name: string; clientURLs: string[] }> };
  assert.equal(parsed.members.length, 3);
  const table = await etcdctl(c.endpoints(), ['member', 'list', '-w', 'table']);
  for (const [i, m] of c.members.entries()) {
    assert.match(table.stdout, new RegExp(`${ids[i]!.toString(16)} \\|\\s+started\\s+\\|\\s+${m.name}\\s+\\|\\s+${m.peerUrl}\\s+\\|\\s+${m.endpoint}\\s+\\|`));
  }
  const fields = await etcdctl(c.members[0]!.endpoint, ['member', 'list', '-w', 'fields']);
  assert.equal(/"ClusterID" : (\d+)/.exec(fields.stdout)?.[1], clusterId(ids).toString());

  // One leader, the same on every member, same term.
  const st = await statuses(c);
  const leaders = new Set(st.map((s) => s.Status.leader));
  assert.equal(leaders.size, 1);
  assert.equal(new Set(st.map((s) => s.Status.raftTerm)).size, 1);

  // Writes through every member; linearizable reads on every member see all of them.
  const clients = c.members.map((m) => new Client({ endpoints: [m.endpoint] }));
  t.after(() => Promise.all(clients.map((cl) => cl.close())));
  for (const [i, cl] of clients.entries()) await cl.put(`k${i}`, `v${i}`);
  for (const cl of clients) {
    const r = await cl.get('k', { prefix: true });
    assert.deepEqual(r.kvs.map((kv) => Buffer.from(kv.value).toString()), ['v0', 'v1', 'v2']);
  }
  // Raft index and applied index agree everywhere once writes settle.
  const after = await statuses(c);
  for (const s of after) assert.equal(s.Status.raftAppliedIndex, s.Status.raftIndex);

  // Without quorum: writes and linearizable reads fail with etcd's errors; serializable reads answer.
  const survivor = c.members[0]!;
  await Promise.all([c.members[1]!.stop(), c.members[2]!.stop()]);
  const started = Date.now();
  const put = await etcdctl(survivor.endpoint, ['--command-timeout=15s', 'put', 'nq', 'x'], { timeoutMs: 20_000 });
  assert.notEqual(put.code, 0);
  assert.match(put.stderr, /etcdserver: (request timed out|no leader|leader changed)/);
  assert.ok(Date.now() - started < 12_000, 'the request timeout bounds a write without quorum');
  const get = await etcdctl(survivor.endpoint, ['--command-timeout=3s', 'get', 'k0'], { timeoutMs: 20_000 });
  assert.notEqual(get.code, 0);
  assert.match(get.stderr, /no leader|request timed out|deadline exceeded/);
  const local = await clients[0]!.get('k0', { serializable: true });
  assert.equal(Buffer.from(local.kvs[0]!.value).toString(), 'v0');

  // Members return: service resumes and the returning members catch up.
  await Promise.all([c.members[1]!.restart(), c.members[2]!.restart()]);
  await clients[1]!.put('back', 'yes', { timeoutMs: 10_000 });
  const seen = await clients[2]!.get('back');
  assert.equal(Buffer.from(seen.kvs[0]!.value).toString(), 'yes');
  void survivor;
});

test('a member from another cluster (different token) is refused with a cluster ID mismatch', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  // A member bootstrapped with another token derives another cluster ID; it names m1 as its peer.
  const stranger = await c.newMember('m4', '', ['--initial-cluster-token', 'another-cluster']);
  stranger.opts = { ...stranger.opts, state: 'new', initialCluster: `m4=${stranger.peerUrl},m1=${c.members[0]!.peerUrl}` };
  stranger.spawn();
  const deadline = Date.now() + 10_000;
  while (!stranger.logs().includes('cluster ID mismatch') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(stranger.logs(), /cluster ID mismatch/);
  // It never joins: m1 still lists three members and refused the stream.
  const list = await etcdctl(c.members[0]!.endpoint, ['member', 'list']);
  assert.equal(list.stdout.trim().split('\n').length, 3);
  await stranger.kill9();
});
