// A member whose Raft loop fails (here an injected error while it applies an entry)
// stops, as etcd panics, instead of staying up without applying: the process exits
// non-zero, nothing of the failed batch is committed to the backend, and the next
// start replays the WAL and serves everything acknowledged before.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMember } from '../helpers/member.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { tmpDir } from '../helpers/tmp.js';

test('an apply that fails stops the member with exit code 1; the next start serves every acknowledged write', { timeout: 90_000 }, async (t) => {
  const dir = tmpDir('fatal-stop');
  t.after(() => dir.cleanup());
  const dataDir = join(dir.path, 'm.etcd');

  const first = await startMember('etcd-ts', { dataDir });
  for (let i = 0; i < 5; i++) assert.equal((await etcdctl(first.endpoint, ['put', `k${i}`, `v${i}`])).code, 0);
  await first.close();

  // The publish entry this start proposes is the first one it applies: the error fails it.
  await assert.rejects(
    startMember('etcd-ts', { dataDir, env: { ETCD_TS_FAILPOINTS: 'beforeApplyOneEntryNormal=error(injected)' } }),
    (err: Error) => {
      assert.match(err.message, /exited before becoming ready/);
      assert.match(err.message, /stopping member after a storage failure/);
      assert.match(err.message, /failed to start etcd-ts/);
      return true;
    },
  );

  const again = await startMember('etcd-ts', { dataDir });
  t.after(() => again.close());
  const got = await etcdctl(again.endpoint, ['get', 'k', '--prefix', '--print-value-only']);
  assert.equal(got.stdout, 'v0\nv1\nv2\nv3\nv4\n');
  assert.equal((await etcdctl(again.endpoint, ['put', 'after', 'ok'])).code, 0);
});

test('a backend commit that fails stops the member with exit code 1, and reads never lose the batch meanwhile; the next start serves every acknowledged write', { timeout: 90_000 }, async (t) => {
  const dir = tmpDir('fatal-commit');
  t.after(() => dir.cleanup());
  const dataDir = join(dir.path, 'm.etcd');
  // The commits of the start pass; a later one, made while the puts below run, fails.
  const m = await startMember('etcd-ts', { dataDir, env: { ETCD_TS_FAILPOINTS: 'beforeCommit=8*off->error(injected)' } });
  const acked: string[] = [];
  for (let i = 0; i < 200 && !m.logs().includes('stopping member after a storage failure'); i++) {
    const put = await etcdctl(m.endpoint, ['put', `k${String(i).padStart(3, '0')}`, `v${i}`]);
    if (put.code !== 0) break;
    acked.push(`v${i}`);
    // Every acknowledged write is readable until the member stops, including those of the failed batch.
    const got = await etcdctl(m.endpoint, ['get', 'k', '--prefix', '--print-value-only']);
    if (got.code === 0) assert.equal(got.stdout, acked.map((v) => `${v}\n`).join(''));
  }
  assert.match(m.logs(), /backend commit failed/);
  const exit = await m.stop();
  assert.equal(exit.code, 1, m.logs());
  assert.ok(acked.length > 0);

  const again = await startMember('etcd-ts', { dataDir });
  t.after(() => again.close());
  const got = await etcdctl(again.endpoint, ['get', 'k', '--prefix', '--print-value-only']);
  assert.equal(got.stdout, acked.map((v) => `${v}\n`).join(''));
});
