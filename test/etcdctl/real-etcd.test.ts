// Golden tests against the real etcd 3.4 for what etcd-ts doesn't serve yet (auth,
// membership changes, maintenance): the real etcdctl and etcdctl-ts each drive
// their own real etcd member through the same history, and must print the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, normalizeStderr, startMember, tmpDir, type Member } from '../helpers/index.js';
import { both, etcdctlTs } from './run.js';

let real: Member;
let ts: Member;
const files = tmpDir('etcdctl-real');

before(async () => {
  [real, ts] = await Promise.all([startMember('etcd', { name: 'gold' }), startMember('etcd', { name: 'gold' })]);
});
after(async () => {
  await Promise.all([real?.close(), ts?.close()]);
  files.cleanup();
});

/** Member IDs in member add/remove output depend on ports and time. */
/** Members are listed in member-ID order, and IDs differ between the two clusters. */
const maskIds = (s: string) => s.replace(/^ETCD_INITIAL_CLUSTER="(.*)"$/m, (_, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`).replace(/(Member|cluster) +(<lease>|[0-9a-f]{1,16})/g, '$1 <id>');

async function same(args: string[], stdin?: string): Promise<void> {
  const r = await both(real, ts, args, { stdin });
  assert.equal(maskIds(r.ts.stdout), maskIds(r.real.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(r.ts.stderr, r.real.stderr, `stderr of ${args.join(' ')}`);
  assert.equal(r.ts.code, r.real.code, `exit code of ${args.join(' ')}`);
}

describe('etcdctl-ts matches etcdctl 3.4 against etcd 3.4', { concurrency: false }, () => {
  test('users, roles, permissions and authentication', async () => {
    await same(['user', 'add', 'root:rootpw']);
    await same(['user', 'add', 'alice', '--new-user-password', 'apw']);
    await same(['user', 'add', 'bob', '--interactive=false'], 'bpw\n');
    await same(['user', 'add', 'alice:x']);
    await same(['role', 'add', 'reader']);
    await same(['role', 'grant-permission', 'reader', 'read', 'pub/', '--prefix']);
    await same(['role', 'grant-permission', 'reader', 'readwrite', 'a', 'c']);
    await same(['role', 'grant-permission', 'reader', 'write', 'z', '--from-key']);
    await same(['role', 'get', 'reader']);
    await same(['role', 'list']);
    await same(['role', 'list', '-w', 'json']);
    await same(['user', 'grant-role', 'alice', 'reader']);
    await same(['user', 'get', 'alice']);
    await same(['user', 'list']);
    await same(['user', 'get', 'nobody']);
    await same(['auth', 'enable']);
    await same(['get', 'pub/x']);
    await same(['--user', 'alice:apw', 'get', 'pub/x', '-w', 'json']);
    await same(['--user', 'alice', '--password', 'apw', 'put', 'pub/x', 'y']);
    await same(['--user', 'alice:wrong', 'get', 'pub/x']);
    await same(['--user', 'root:rootpw', 'put', 'pub/x', 'y']);
    await same(['--user', 'alice:apw', 'get', 'pub/x']);
    await same(['--user', 'root:rootpw', 'user', 'revoke-role', 'alice', 'reader']);
    await same(['--user', 'root:rootpw', 'role', 'revoke-permission', 'reader', 'pub/', '--prefix']);
    await same(['--user', 'root:rootpw', 'role', 'revoke-permission', 'reader', 'a', 'c']);
    await same(['--user', 'root:rootpw', 'user', 'passwd', 'bob', '--interactive=false'], 'new\n');
    await same(['--user', 'root:rootpw', 'user', 'delete', 'bob']);
    await same(['--user', 'root:rootpw', 'role', 'delete', 'reader']);
    await same(['--user', 'root:rootpw', 'auth', 'disable']);
    await same(['auth', 'disable']);
  });

  test('membership changes', async () => {
    // A learner keeps the quorum of the one voting member, so later commands still commit.
    await same(['member', 'add', 'n2', '--learner', '--peer-urls=http://127.0.0.1:1']);
    await same(['member', 'add', 'n3']);
    await same(['member', 'add', 'n3', '--learner', '--peer-urls=http://127.0.0.1:3']);
    await same(['member', 'remove', 'zz']);
    await same(['member', 'remove', '1234']);
    await same(['member', 'update', '1234', '--peer-urls=http://127.0.0.1:2']);
    await same(['member', 'promote', '1234']);
    const learner = async (m: Member) => (await etcdctl(m, ['member', 'list'])).stdout.split('\n').find((l) => l.includes('unstarted'))!.split(',')[0]!;
    const [a, b] = [await learner(real), await learner(ts)];
    const ra = await etcdctl(real, ['member', 'promote', a]);
    const rb = await etcdctlTs(ts, ['member', 'promote', b]);
    assert.equal(normalizeStderr(rb.stderr, ts), normalizeStderr(ra.stderr, real));
    assert.equal(rb.code, ra.code);
    const da = await etcdctl(real, ['member', 'remove', a]);
    const db = await etcdctlTs(ts, ['member', 'remove', b]);
    assert.equal(maskIds(db.stdout), maskIds(da.stdout));
    assert.equal(db.code, da.code);
  });

  test('maintenance commands', async () => {
    await same(['alarm', 'list']);
    await same(['alarm', 'disarm']);
    await same(['move-leader', '1234']);
    await same(['move-leader']);
    await same(['move-leader', 'xyz']);
  });

  test('defrag and snapshot save', async () => {
    const r = await both(real, ts, ['defrag']);
    assert.equal(r.ts.stdout, r.real.stdout);
    assert.equal(r.ts.code, r.real.code);
    const a = await etcdctl(real, ['snapshot', 'save', `${files.path}/a.db`]);
    const b = await etcdctlTs(ts, ['snapshot', 'save', `${files.path}/b.db`]);
    assert.equal(b.code, a.code);
    assert.equal(b.stdout.replace('b.db', 'a.db'), a.stdout);
    const logs = (t: string) => t.replace(/"ts":[^,]+,/g, '"ts":0,').replace(/"took":[\d.e-]+/g, '"took":0').replace(/[ab]\.db/g, 'x.db');
    assert.equal(normalizeStderr(logs(b.stderr), ts), normalizeStderr(logs(a.stderr), real));
    // snapshot status reads the file itself: both etcdctls on the same file.
    for (const w of ['simple', 'json', 'fields', 'table']) {
      for (const file of [`${files.path}/a.db`, `${files.path}/b.db`, `${files.path}/missing.db`]) {
        const args = ['snapshot', 'status', file, '-w', w];
        const [x, y] = [await etcdctl(real, args), await etcdctlTs(real, args)];
        assert.equal(y.stdout, x.stdout, args.join(' '));
        assert.equal(y.code, x.code, args.join(' '));
        if (x.code !== 0) assert.equal(y.stderr, x.stderr, args.join(' '));
      }
    }
  });

  test('an unreachable endpoint fails the way etcdctl does', async () => {
    const dead = '127.0.0.1:1';
    for (const args of [['get', 'k'], ['endpoint', 'health'], ['endpoint', 'status'], ['put', 'k', 'v']]) {
      const full = ['--command-timeout=300ms', ...args];
      const [a, b] = [await etcdctl(dead, full), await etcdctlTs(dead, full)];
      assert.equal(b.stdout, a.stdout, `stdout of ${args.join(' ')}`);
      assert.equal(normalizeStderr(b.stderr), normalizeStderr(a.stderr), `stderr of ${args.join(' ')}`);
      assert.equal(b.code, a.code, `exit code of ${args.join(' ')}`);
    }
  });
});
