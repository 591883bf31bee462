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
