// snapshot restore from real etcd's snapshots into etcd-ts: one member and a new
// three-member cluster serve every key at the snapshot's revision and go on from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePort, startMember, tmpDir } from '../helpers/index.js';
import type { ClusterMember } from '../helpers/cluster.js';
import { etcdctlOffline, etcdutlTs, expectReplicated, getAll, kvFacts, ok, realEtcdSnapshot, restoreThreeMembers, type JsonRange } from '../etcdutl/util.js';

const dir = tmpDir('snapshot-restore');
const snapPath = join(dir.path, 'real.db');
let real: { range: JsonRange; leaseHex: string; compactRev: number };

before(async () => {
  real = await realEtcdSnapshot(snapPath, async (m) => {
    for (let i = 0; i < 5; i++) await ok(etcdctl(m, ['put', 'counter', String(i)]));
    const compactRev = (await getAll(m)).header.revision;
    await ok(etcdctl(m, ['compaction', String(compactRev)]));
    await ok(etcdctl(m, ['put', 'gone', 'soon']));
    await ok(etcdctl(m, ['del', 'gone']));
    const grant = await ok(etcdctl(m, ['lease', 'grant', '600']));
    const leaseHex = /lease ([0-9a-f]+) granted/.exec(grant.stdout)![1]!;
    await ok(etcdctl(m, ['put', 'leased', 'v', `--lease=${leaseHex}`]));
    for (let i = 0; i < 20; i++) await ok(etcdctl(m, ['put', `dir/k${i}`, `value-${i}`]));
    return { range: await getAll(m), leaseHex, compactRev };
  });
});

after(() => dir.cleanup());

test('a real etcd snapshot restored by etcdutl-ts boots etcd-ts with the same keys, revision, compaction and lease', async () => {
  const dataDir = join(dir.path, 'one.etcd');
  const peer = `http://127.0.0.1:${await freePort()}`;
  await ok(etcdutlTs(['snapshot', 'restore', snapPath, '--data-dir', dataDir, '--name', 'n1', '--initial-cluster', `n1=${peer}`, '--initial-advertise-peer-urls', peer]));
  const m = await startMember('etcd-ts', { name: 'n1', dataDir });
  try {
    const got = await getAll(m);
    assert.equal(got.header.revision, real.range.header.revision);
    assert.deepEqual(kvFacts(got), kvFacts(real.range));
    assert.ok(!kvFacts(got).some((f) => f.startsWith('gone=')), 'the deleted key stays deleted');

    const old = await etcdctl(m, ['get', 'counter', `--rev=${real.compactRev - 1}`]);
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /required revision has been compacted/);

    const leases = await ok(etcdctl(m, ['lease', 'list']));
    assert.match(leases.stdout, new RegExp(`^${real.leaseHex}$`, 'm'));
    const ttl = await ok(etcdctl(m, ['lease', 'timetolive', real.leaseHex, '--keys']));
    assert.match(ttl.stdout, /attached keys\(\[leased\]\)/);

    const put = JSON.parse((await ok(etcdctl(m, ['put', 'after', 'restore', '-w', 'json']))).stdout) as JsonRange;
    assert.equal(put.header.revision, real.range.header.revision + 1);
  } finally {
    await m.close();
  }
});

test('one snapshot restored into a new three-member etcd-ts cluster: every member serves it and a write replicates', async () => {
  const root = tmpDir('snapshot-restore-3');
  let members: ClusterMember[] = [];
  try {
    members = await restoreThreeMembers(snapPath, root.path, 'restored');
    for (const m of members) {
      const r = await getAll(m.endpoint);
      assert.equal(r.header.revision, real.range.header.revision, m.name);
      assert.deepEqual(kvFacts(r), kvFacts(real.range), m.name);
    }
    const list = await ok(etcdctl(members[0]!.endpoint, ['member', 'list']));
    assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split(', ')[2]).sort(), ['m1', 'm2', 'm3']);
    await ok(etcdctl(members[0]!.endpoint, ['put', 'replicated', 'yes']));
    await expectReplicated(members, 'replicated', real.range.header.revision + 1);
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    root.cleanup();
  }
});

test('a corrupted snapshot is refused as etcdctl refuses it, and no data dir is left', async () => {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const bad = join(dir.path, 'bad.db');
  const bytes = readFileSync(snapPath);
  bytes[5000] = bytes[5000]! ^ 0xff;
  writeFileSync(bad, bytes);
  const ours = await etcdutlTs(['snapshot', 'restore', bad, '--data-dir', join(dir.path, 'bad-ts.etcd')]);
  const theirs = await etcdctlOffline(['snapshot', 'restore', bad, '--data-dir', join(dir.path, 'bad-real.etcd')]);
  assert.equal(ours.code, theirs.code);
  assert.equal(ours.code, 1);
  const lastLine = (s: string) => s.trim().split('\n').at(-1);
  assert.match(lastLine(ours.stderr)!, /^Error: expected sha256 \[[0-9 ]+\], got \[[0-9 ]+\]$/);
  assert.equal(lastLine(ours.stderr), lastLine(theirs.stderr));
  assert.equal(existsSync(join(dir.path, 'bad-ts.etcd')), false);

  // A file with no trailer at all needs --skip-hash-check.
  const trimmed = join(dir.path, 'trimmed.db');
  writeFileSync(trimmed, readFileSync(snapPath).subarray(0, bytes.length - 32));
  const noHash = await etcdutlTs(['snapshot', 'restore', trimmed, '--data-dir', join(dir.path, 'nohash.etcd')]);
  assert.equal(noHash.code, 1);
  assert.match(noHash.stderr, /Error: snapshot missing hash but --skip-hash-check=false/);
  await ok(etcdutlTs(['snapshot', 'restore', trimmed, '--skip-hash-check', '--data-dir', join(dir.path, 'nohash.etcd')]));
  assert.ok(existsSync(join(dir.path, 'nohash.etcd', 'member', 'wal')));
});
