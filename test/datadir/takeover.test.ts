// etcd-ts started in place on data dirs the real etcd 3.4.23 wrote, and the way back:
// - a cleanly stopped etcd member (WAL segments, .snap files, bbolt db): etcd-ts serves
//   the same member and cluster IDs, revision, every key with its revisions, leases,
//   users, roles, auth and HashKV at the revision; etcd's files are left byte for byte;
//   a restart serves from etcd-ts's own files; `etcdutl-ts hand-back` then gives the
//   member back to the real etcd, which serves what etcd-ts served, writes included;
// - a data dir the real `etcdctl snapshot restore` wrote boots the same way;
// - a data dir etcd-ts created itself is handed to the real etcd the same way;
// - a member whose WAL etcd kept in a --wal-dir goes over and back with the same flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl } from '../helpers/etcdctl.js';
import { run as etcdutl } from '../../src/cli/etcdutl/main.js';
import { Client } from '../../src/client/index.js';
import { dumpMember, ROOT_USER, treeDigest } from './dump.js';
import { fill, singleMember, testMembers } from './fixture.js';

async function handBack(dataDir: string): Promise<string> {
  let out = '';
  const code = await etcdutl(['hand-back', '--data-dir', dataDir], { out: (s) => (out += s), err: (s) => (out += s) });
  assert.equal(code, 0, out);
  return out;
}

async function put(endpoint: string, key: string, value: string, auth = true): Promise<void> {
  const r = await etcdctl(endpoint, [...(auth ? ROOT_USER : []), 'put', key, value]);
  assert.equal(r.code, 0, r.stderr);
}

test('etcd-ts takes over a cleanly stopped etcd 3.4 member in place, and hands it back to etcd', { timeout: 180_000 }, async (t) => {
  const { dir, start } = testMembers(t, 'datadir-takeover');
  // A small --snapshot-count: the data dir holds .snap files and WAL entries after the newest.
  const one = await singleMember(dir.path, ['--snapshot-count', '40']);
  const etcd = await start(one.member('etcd'));
  await fill(etcd.endpoint);
  const backup = join(dir.path, 'backup.db');
  const saved = await etcdctl(etcd.endpoint, [...ROOT_USER, 'snapshot', 'save', backup]);
  assert.equal(saved.code, 0, saved.stderr);
  const original = await dumpMember(etcd.endpoint);
  assert.ok(original.authRequired && original.leases.length === 2 && original.compactRevision > 0, JSON.stringify(original));
  await etcd.stop();
  const snaps = readdirSync(join(one.dataDir, 'member', 'snap')).filter((n) => n.endsWith('.snap'));
  assert.ok(snaps.length > 0, 'etcd wrote .snap files');
  const etcdFiles = treeDigest(one.dataDir);

  await t.test('etcd-ts serves the member as etcd left it, and leaves etcd\'s files as they were', async () => {
    const ts = await start(one.member('etcd-ts'));
    assert.deepEqual(await dumpMember(ts.endpoint), original);
    assert.match(ts.logs(), /taking over an etcd member/);
    assert.match(ts.logs(), /took over the etcd member/);
    await ts.stop();
    assert.deepEqual(treeDigest(one.dataDir, (rel) => rel === join('member', 'etcd-ts')), etcdFiles);
  });

  let served: Awaited<ReturnType<typeof dumpMember>>;
  await t.test('a restart serves from etcd-ts\'s own files, writes included', async () => {
    const ts = await start(one.member('etcd-ts'));
    assert.match(ts.logs(), /taken over earlier/);
    for (let i = 0; i < 5; i++) await put(ts.endpoint, `from-etcd-ts/${i}`, `v${i}`);
    served = await dumpMember(ts.endpoint);
    assert.equal(served.revision, original.revision + 5);
    await ts.stop();
    // Offline tools work on etcd-ts's files too, and leave etcd's alone.
    let out = '';
    assert.equal(await etcdutl(['defrag', '--data-dir', one.dataDir], { out: (s) => (out += s), err: (s) => (out += s) }), 0, out);
    assert.match(out, /member\/etcd-ts\/member\/snap\/db/);
    assert.deepEqual(treeDigest(one.dataDir, (rel) => rel === join('member', 'etcd-ts')), etcdFiles);
  });

  await t.test('hand-back: the real etcd restarts the member and serves what etcd-ts served', async () => {
    const out = await handBack(one.dataDir);
    assert.match(out, /handed member [0-9a-f]+ of cluster [0-9a-f]+ back to etcd/);
    assert.ok(!existsSync(join(one.dataDir, 'member', 'etcd-ts')), 'the etcd-ts files are gone');
    // Again on what is now etcd's dir: refused, etcd's WAL left alone.
    const handedBack = treeDigest(one.dataDir);
    let again = '';
    assert.equal(await etcdutl(['hand-back', '--data-dir', one.dataDir], { out: (s) => (again += s), err: (s) => (again += s) }), 1);
    assert.match(again, /is etcd's already/);
    assert.deepEqual(treeDigest(one.dataDir), handedBack);
    const back = await start(one.member('etcd'));
    assert.deepEqual(await dumpMember(back.endpoint), served);
    // And it goes on as etcd: a write lands at the next revision.
    await put(back.endpoint, 'after-hand-back', 'x');
    assert.equal((await dumpMember(back.endpoint)).revision, served.revision + 1);
    await back.stop();
  });

  await t.test('a data dir written by the real etcdctl snapshot restore boots the same way', async () => {
    const root = join(dir.path, 'restored');
    const restored = await singleMember(root, [], one.ports);
    const peer = `http://127.0.0.1:${one.ports.peer}`;
    const r = await etcdctl(etcd.endpoint, ['snapshot', 'restore', backup, '--name', 'm1', '--data-dir', restored.dataDir, '--initial-cluster', `m1=${peer}`, '--initial-advertise-peer-urls', peer]);
    assert.equal(r.code, 0, r.stderr);
    const ts = await start(restored.member('etcd-ts'));
    assert.match(ts.logs(), /took over the etcd member/);
    assert.deepEqual(await dumpMember(ts.endpoint), original);
    await ts.kill9(); // the restored dir is not used again
  });
});

test('a data dir etcd-ts created is handed to the real etcd, which serves the same', async (t) => {
  const { dir, start } = testMembers(t, 'datadir-native');
  const one = await singleMember(dir.path, ['--snapshot-count', '40']);
  const ts = await start(one.member('etcd-ts'));
  await fill(ts.endpoint);
  const before = await dumpMember(ts.endpoint);
  await ts.stop();
  await handBack(one.dataDir);
  const etcd = await start(one.member('etcd'));
  assert.deepEqual(await dumpMember(etcd.endpoint), before);
  await etcd.stop();
});

test('a member whose WAL is in its own dir (--wal-dir) is taken over and handed back with the same --wal-dir', async (t) => {
  const { dir, start } = testMembers(t, 'datadir-wal-dir');
  const walDir = join(dir.path, 'wal-disk', 'm1');
  const one = await singleMember(dir.path, ['--snapshot-count', '40', '--wal-dir', walDir]);
  const etcd = await start(one.member('etcd'));
  const c = new Client({ endpoints: [etcd.endpoint] });
  for (let i = 0; i < 100; i++) await c.put(`w/${i % 7}`, `v${i}`);
  await c.close();
  const original = await dumpMember(etcd.endpoint, false);
  await etcd.stop();
  assert.ok(!existsSync(join(one.dataDir, 'member', 'wal')), 'etcd kept its WAL out of the data dir');

  const ts = await start(one.member('etcd-ts'));
  assert.deepEqual(await dumpMember(ts.endpoint, false), original);
  await put(ts.endpoint, 'from-etcd-ts', 'x', false);
  const served = await dumpMember(ts.endpoint, false);
  await ts.stop();

  let out = '';
  const code = await etcdutl(['hand-back', '--data-dir', one.dataDir, '--wal-dir', walDir], { out: (s) => (out += s), err: (s) => (out += s) });
  assert.equal(code, 0, out);
  assert.ok(!existsSync(join(one.dataDir, 'member', 'wal')), 'the WAL went back to --wal-dir');
  const back = await start(one.member('etcd'));
  assert.deepEqual(await dumpMember(back.endpoint, false), served);
  await back.stop();
});
