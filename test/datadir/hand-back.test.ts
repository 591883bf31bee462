// The hand-back's refusals, each leaving the data dir as it was: a member still running
// on the dir (its WAL is locked), a cluster at version 3.6 (etcd 3.4 would refuse to
// start on it), and a dir with no etcd-ts member in it; and a hand-back stopped midway
// finished by running it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEtcd } from '../../src/index.js';
import { handBack } from '../../src/datadir/handback.js';
import { takeOverEtcdDataDir } from '../../src/datadir/takeover.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { EtcdDataDirError } from '../../src/datadir/errors.js';
import { WalLockedError } from '../../src/wal/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { treeDigest } from './dump.js';
import { EtcdRelease } from '../../src/version/release.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** LMDB's lock file records its readers: opening the backend to read it changes that file, not the data. */
const lockFile = (rel: string) => rel.endsWith('lock.mdb');

test('hand-back refuses a running member, a cluster at version 3.6 and a dir without an etcd-ts member, changing nothing', async (t) => {
  const dir = tmpDir('datadir-hand-back');
  t.after(() => dir.cleanup());
  const dataDir = join(dir.path, 'm.etcd');
  // Released as 3.6 (the default): the leader moves the cluster version to 3.6.
  const etcd = await startEtcd({ dataDir });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await etcd.close();
  });
  await etcd.client.put('k', 'v');
  const deadline = Date.now() + 15_000;
  let version = '';
  while (Date.now() < deadline) {
    version = ((await (await fetch(`${etcd.endpoints[0]}/version`)).json()) as { etcdcluster: string }).etcdcluster;
    if (version.startsWith('3.6')) break;
    await sleep(100);
  }
  assert.match(version, /^3\.6/);

  await t.test('while the member runs on the dir: its WAL is locked', async () => {
    // The running member writes its backend meanwhile: the WAL and the dir's layout are what must stay.
    const walOnly = (rel: string) => rel.endsWith('.mdb');
    const before = treeDigest(dataDir, walOnly);
    await assert.rejects(handBack({ dataDir }), (err: unknown) => err instanceof WalLockedError);
    assert.deepEqual(treeDigest(dataDir, walOnly), before);
  });

  await etcd.close();
  stopped = true;

  await t.test('a cluster at version 3.6, which etcd 3.4 refuses', async () => {
    const before = treeDigest(dataDir, lockFile);
    await assert.rejects(handBack({ dataDir }), (err: unknown) => {
      assert.ok(err instanceof EtcdDataDirError, String(err));
      assert.match(err.message, /cluster version 3\.6\.0: etcd 3\.4 refuses to start on it/);
      return true;
    });
    assert.deepEqual(treeDigest(dataDir, lockFile), before);
  });

  await t.test('a dir without an etcd-ts member', async () => {
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    await assert.rejects(handBack({ dataDir: empty }), /holds no etcd-ts member/);
    assert.deepEqual(treeDigest(empty), []);
  });
});

test('a hand-back stopped between its renames is finished by running it again', async (t) => {
  const dir = tmpDir('datadir-hand-back-resume');
  t.after(() => dir.cleanup());
  const dataDir = join(dir.path, 'm.etcd');
  const release = EtcdRelease.emulate('3.4.23');
  assert.ok(!('error' in release));
  const etcd = await startEtcd({ dataDir, release });
  await etcd.client.put('k', 'v');
  await etcd.close();
  const done = await handBack({ dataDir });
  const handedBack = treeDigest(dataDir);
  // The state a crash between "member -> member.etcd-ts-old" and "member.hand-back -> member" leaves.
  renameSync(join(dataDir, 'member'), join(dataDir, 'member.hand-back'));
  writeFileSync(join(dataDir, 'member.hand-back', 'hand-back-staged'), '');
  mkdirSync(join(dataDir, 'member.etcd-ts-old', 'wal'), { recursive: true });
  // etcd-ts would find no member and bootstrap a new one: it refuses instead.
  await assert.rejects(takeOverEtcdDataDir(dataDir, undefined, silentLogger), /member\.hand-back: a hand-back to etcd was stopped midway/);
  const again = await handBack({ dataDir });
  assert.deepEqual({ ...again, clusterVersion: done.clusterVersion }, done);
  assert.deepEqual(treeDigest(dataDir), handedBack);
});
