// A snapshot taken from a running three-member etcd-ts cluster (real etcdctl snapshot
// save) restored into a new three-member etcd-ts cluster keeps every key, its revisions
// and leases; real etcdctl reads the same status from it as etcdutl-ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl, tmpDir } from '../helpers/index.js';
import { startCluster, type ClusterMember } from '../helpers/cluster.js';
import { etcdctlOffline, etcdutlTs, expectReplicated, getAll, kvFacts, ok, restoreThreeMembers, type JsonRange } from '../etcdutl/util.js';

test('etcd-ts three-member snapshot restored into a new three-member etcd-ts cluster', async () => {
  const dir = tmpDir('restore-etcd-ts');
  const snapPath = join(dir.path, 'ts.db');
  let source: JsonRange;
  let leaseHex: string;
  const cluster = await startCluster(3);
  try {
    const ep = cluster.members[0]!.endpoint;
    for (let i = 0; i < 30; i++) await ok(etcdctl(ep, ['put', `k/${i % 10}`, `v${i}`]));
    await ok(etcdctl(ep, ['del', 'k/3']));
    const grant = await ok(etcdctl(ep, ['lease', 'grant', '600']));
    leaseHex = /lease ([0-9a-f]+) granted/.exec(grant.stdout)![1]!;
    await ok(etcdctl(ep, ['put', 'leased', 'x', `--lease=${leaseHex}`]));
    source = await getAll(ep);
    await ok(etcdctl(cluster.members[1]!.endpoint, ['snapshot', 'save', snapPath]));
  } finally {
    await cluster.close();
  }

  const ours = await ok(etcdutlTs(['snapshot', 'status', snapPath, '-w', 'json']));
  const theirs = await ok(etcdctlOffline(['snapshot', 'status', snapPath, '-w', 'json']));
  assert.equal(ours.stdout, theirs.stdout);

  let members: ClusterMember[] = [];
  try {
    members = await restoreThreeMembers(snapPath, join(dir.path, 'restored'), 'second-life');
    for (const m of members) {
      const r = await getAll(m.endpoint);
      assert.equal(r.header.revision, source.header.revision, m.name);
      assert.deepEqual(kvFacts(r), kvFacts(source), m.name);
    }
    const leases = await ok(etcdctl(members[2]!.endpoint, ['lease', 'list']));
    assert.match(leases.stdout, new RegExp(`^${leaseHex}$`, 'm'));
    await ok(etcdctl(members[1]!.endpoint, ['put', 'next', '1']));
    await expectReplicated(members, 'next', source.header.revision + 1);
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    dir.cleanup();
  }
});
