// --wal-dir puts the Raft log in its own directory, as etcd does: nothing under
// <data-dir>/member/wal, and a restart (and a restored snapshot) finds it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, startMember, tmpDir, type MemberKind } from '../helpers/index.js';
import { etcdutlTs, ok, realEtcdSnapshot } from '../etcdutl/util.js';

for (const kind of ['etcd', 'etcd-ts'] as MemberKind[]) {
  test(`${kind}: --wal-dir holds the log, and a restart replays it`, async () => {
    const dir = tmpDir(`wal-dir-${kind}`);
    const walDir = join(dir.path, 'separate-wal');
    const m = await startMember(kind, { dataDir: join(dir.path, 'n1.etcd'), extraArgs: ['--wal-dir', walDir] });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await etcdctl(m, ['put', `k${i}`, `v${i}`])).code, 0);
      assert.ok(readdirSync(walDir).some((f) => f.endsWith('.wal')), 'segments in --wal-dir');
      assert.equal(existsSync(join(m.dataDir, 'member', 'wal')), false, 'no log under the data dir');
      await m.kill9();
      await m.restart();
      const got = await etcdctl(m, ['get', 'k', '--prefix', '--print-value-only']);
      assert.equal(got.stdout, 'v0\nv1\nv2\nv3\nv4\n');
    } finally {
      await m.close();
      dir.cleanup();
    }
  });
}

test('etcd-ts boots from a snapshot restored with --wal-dir', async () => {
  const dir = tmpDir('wal-dir-restore');
  try {
    const snap = join(dir.path, 'snap.db');
    await realEtcdSnapshot(snap, async (m) => {
      for (let i = 0; i < 3; i++) assert.equal((await etcdctl(m, ['put', `r${i}`, `x${i}`])).code, 0);
    });
    const dataDir = join(dir.path, 'n1.etcd');
    const walDir = join(dir.path, 'restored-wal');
    // A restored member takes its identity from the data dir; a single member needs no peer.
    await ok(etcdutlTs(['snapshot', 'restore', snap, '--data-dir', dataDir, '--wal-dir', walDir, '--name', 'n1', '--initial-cluster', 'n1=http://127.0.0.1:1', '--initial-advertise-peer-urls', 'http://127.0.0.1:1']));
    assert.ok(readdirSync(walDir).some((f) => f.endsWith('.wal')));
    const m = await startMember('etcd-ts', { dataDir, extraArgs: ['--wal-dir', walDir] });
    try {
      const got = await etcdctl(m, ['get', 'r', '--prefix', '--print-value-only']);
      assert.equal(got.stdout, 'x0\nx1\nx2\n');
    } finally {
      await m.close();
    }
  } finally {
    dir.cleanup();
  }
});
