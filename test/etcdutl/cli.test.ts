// etcdutl-ts's outputs, texts and exit codes next to real etcdctl 3.4's for the same
// snapshot files and the same mistakes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, tmpDir } from '../helpers/index.js';
import { etcdctlOffline, etcdctlTs, etcdutlTs, ok, realEtcdSnapshot } from './util.js';

const dir = tmpDir('etcdutl-cli');
const snapPath = join(dir.path, 'real.db');

before(async () => {
  await realEtcdSnapshot(snapPath, async (m) => {
    for (let i = 0; i < 30; i++) await ok(etcdctl(m, ['put', `k${i % 7}`, 'x'.repeat(i * 10)]));
    await ok(etcdctl(m, ['del', 'k3']));
  });
});

after(() => dir.cleanup());

test('snapshot status prints what etcdctl prints, in every write-out', async () => {
  for (const w of ['simple', 'json', 'table', 'fields']) {
    const theirs = await ok(etcdctlOffline(['snapshot', 'status', snapPath, '-w', w]));
    const ours = await ok(etcdutlTs(['snapshot', 'status', snapPath, '-w', w]));
    assert.equal(ours.stdout, theirs.stdout, `-w ${w}`);
  }
  const bad = await etcdutlTs(['snapshot', 'status', snapPath, '-w', 'yaml']);
  assert.equal(bad.code, 4);
});

test('restore mistakes end with etcdctl texts and exit codes', async () => {
  const existing = join(dir.path, 'exists.etcd');
  mkdirSync(existing);
  const cases: string[][] = [
    ['snapshot', 'restore', snapPath, '--data-dir', existing],
    ['snapshot', 'restore', join(dir.path, 'missing.db'), '--data-dir', join(dir.path, 'm.etcd')],
    ['snapshot', 'restore', snapPath, '--data-dir', join(dir.path, 'x.etcd'), '--name', 'x'],
    ['snapshot', 'restore', snapPath, '--data-dir', join(dir.path, 'y.etcd'), '--initial-cluster', 'default=http://127.0.0.1:1', '--initial-advertise-peer-urls', 'http://127.0.0.1:2'],
    ['snapshot', 'restore'],
    ['snapshot', 'status'],
  ];
  for (const args of cases) {
    const theirs = await etcdctlOffline(args);
    const lastLine = (s: string) => s.trim().split('\n').at(-1);
    for (const ours of [await etcdutlTs(args), await etcdctlTs(args)]) {
      assert.equal(ours.code, theirs.code, args.join(' '));
      assert.equal(lastLine(ours.stderr), lastLine(theirs.stderr), args.join(' '));
    }
  }
});

test('restore logs the lines etcdctl logs and the default data dir is <name>.etcd', async () => {
  const cwd = join(dir.path, 'cwd');
  mkdirSync(cwd);
  const r = await ok(etcdutlTs(['snapshot', 'restore', snapPath, '--skip-hash-check'], { cwd }));
  const msgs = r.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string; 'data-dir'?: string }));
  assert.deepEqual(msgs.map((m) => m.msg), ['restoring snapshot', 'added member', 'restored snapshot']);
  assert.equal(msgs[0]!['data-dir'], 'default.etcd');
  const again = await etcdutlTs(['snapshot', 'restore', snapPath], { cwd });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /Error: data-dir "default.etcd" exists/);
});

test('version and unknown commands', async () => {
  const v = await ok(etcdutlTs(['version']));
  assert.match(v.stdout, /^etcdutl version: 3\.4\.\d+\nAPI version: 3\.4\n$/);
  const u = await etcdutlTs(['frobnicate']);
  assert.equal(u.code, 128);
  assert.match(u.stderr, /unknown command "frobnicate" for "etcdutl"/);
});
