// A member restarted on its data dir comes back as the member its WAL says it is,
// whatever --initial-cluster and --initial-cluster-state say now: etcd 3.4 reads them
// only to bootstrap a member with no data. Checked side by side with the real etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { etcdctl } from '../helpers/etcdctl.js';
import { startMember, type Member, type MemberKind } from '../helpers/member.js';
import { tmpDir } from '../helpers/tmp.js';

interface Identity {
  memberId: string;
  clusterId: string;
}

async function identity(m: Member): Promise<Identity> {
  const r = await etcdctl(m, ['endpoint', 'status', '-w', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const [s] = JSON.parse(r.stdout) as Array<{ Status: { header: { cluster_id: number; member_id: number } } }>;
  // etcdctl prints the 64-bit IDs as JSON numbers: compare them as written, not as doubles.
  const ids = /"cluster_id":(\d+),"member_id":(\d+)/.exec(r.stdout);
  assert.ok(s && ids, r.stdout);
  return { clusterId: ids[1]!, memberId: ids[2]! };
}

async function value(m: Member, key: string): Promise<string> {
  const r = await etcdctl(m, ['get', key, '--print-value-only']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Later flags win (Go's flag package and etcd-ts's parser both keep the last). */
const RESTARTS: Array<{ what: string; args: string[] }> = [
  { what: 'its name missing from --initial-cluster', args: ['--initial-cluster', 'other=http://127.0.0.1:9'] },
  { what: '--initial-cluster-state existing and its name missing', args: ['--initial-cluster', 'other=http://127.0.0.1:9', '--initial-cluster-state', 'existing'] },
  { what: 'a different --initial-cluster-token and peer URL listed', args: ['--initial-cluster', 'n1=http://127.0.0.1:9,n2=http://127.0.0.1:10', '--initial-cluster-token', 'another'] },
];

for (const kind of ['etcd', 'etcd-ts'] as const satisfies readonly MemberKind[]) {
  test(`${kind}: a restarted member ignores --initial-cluster and --initial-cluster-state`, { timeout: 60_000 }, async (t) => {
    const dir = tmpDir(`restart-initial-cluster-${kind}`);
    t.after(() => dir.cleanup());
    const dataDir = join(dir.path, 'n1.etcd');
    const first = await startMember(kind, { name: 'n1', dataDir });
    let before: Identity;
    try {
      assert.equal((await etcdctl(first, ['put', 'k', 'v0'])).code, 0);
      before = await identity(first);
    } finally {
      await first.close();
    }
    for (const [i, r] of RESTARTS.entries()) {
      const m = await startMember(kind, { name: 'n1', dataDir, extraArgs: r.args });
      try {
        assert.deepEqual(await identity(m), before, `${r.what}: the member and cluster IDs are the stored ones`);
        assert.equal(await value(m, 'k'), `v${i}`, `${r.what}: the data is the stored data`);
        assert.equal((await etcdctl(m, ['put', 'k', `v${i + 1}`])).code, 0, `${r.what}: the member serves writes`);
      } finally {
        await m.close();
      }
    }
  });
}

test('etcd-ts: a member with no data still needs its name in --initial-cluster', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir('restart-initial-cluster-new');
  t.after(() => dir.cleanup());
  await assert.rejects(
    startMember('etcd-ts', { name: 'n1', dataDir: join(dir.path, 'n1.etcd'), extraArgs: ['--initial-cluster', 'other=http://127.0.0.1:9'], readyTimeoutMs: 10_000 }),
    /couldn't find local name "n1" in the initial cluster configuration/,
  );
});
