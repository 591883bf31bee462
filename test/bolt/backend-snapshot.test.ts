import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { writeBackendSnapshot } from '../../src/bolt/backend-snapshot.js';
import { BoltFile } from '../../src/bolt/reader.js';
import { tmpDir } from '../helpers/tmp.js';

const b = (s: string) => Buffer.from(s);
const s = (u: Uint8Array) => Buffer.from(u).toString();
const list = (it: Iterable<[Uint8Array, Uint8Array]>) => [...it].map(([k, v]) => `${s(k)}=${s(v)}`);

for (const kind of ['memory', 'lmdb'] as const) {
  const open = (dir: string): Backend => (kind === 'memory' ? new MemoryBackend() : LmdbBackend.open(join(dir, 'db')));

  test(`${kind}: a snapshot view holds the state at its opening, uncommitted batch included`, async () => {
    const dir = tmpDir('etcd-ts-view');
    const be = open(dir.path);
    try {
      be.put('key', b('a'), b('1'));
      await be.commit();
      be.put('key', b('b'), b('2'));
      const view = await be.snapshotView();
      assert.equal(be.pendingWrites(), 0, 'the batch was committed first');
      be.put('key', b('c'), b('3'));
      be.delete('key', b('a'));
      be.put('key', b('b'), b('changed'));
      await be.commit();
      assert.deepEqual(list(view.range('key')), ['a=1', 'b=2']);
      assert.deepEqual(list(view.range('key', b('b'))), ['b=2']);
      assert.deepEqual(list(view.range('key', b('a'), b('b'))), ['a=1']);
      assert.deepEqual(list(view.range('meta')), []);
      assert.deepEqual(list(be.range('key', b(''))), ['b=changed', 'c=3'], 'the backend itself moved on');
      view.close();
      view.close();
      assert.throws(() => view.range('key'), /closed/);
    } finally {
      await be.close();
      dir.cleanup();
    }
  });

  test(`${kind}: a view written as a bbolt file reads back bucket by bucket`, async () => {
    const dir = tmpDir('etcd-ts-view-file');
    const be = open(dir.path);
    try {
      for (let i = 0; i < 3000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), b(`v${i}`));
      be.put('meta', b('consistent_index'), Buffer.alloc(8, 7));
      be.put('members', b('0000000000000001'), b('{"id":1}'));
      const view = await be.snapshotView();
      let summary;
      try {
        // Small turns, so writes interleave with building the file.
        const building = writeBackendSnapshot(view, join(dir.path, 'snap.db'), { entriesPerTurn: 100 });
        be.put('key', b('zz-later'), b('x'));
        await be.commit();
        summary = await building;
      } finally {
        view.close();
      }
      const db = BoltFile.openFile(join(dir.path, 'snap.db'));
      assert.equal(db.size, summary.size);
      const buckets = new Map(db.buckets().map((bk) => [s(bk.key), db.entries(bk)]));
      db.close();
      assert.deepEqual([...buckets.keys()], ['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta']);
      const keys = buckets.get('key')!;
      assert.equal(keys.length, 3000, 'the write made after the view is not in it');
      assert.equal(s(keys[2999].key), 'k02999');
      assert.equal(s(keys[2999].value), 'v2999');
      assert.deepEqual(Buffer.from(buckets.get('meta')![0].value), Buffer.alloc(8, 7));
      assert.equal(s(buckets.get('members')![0].value), '{"id":1}');
    } finally {
      await be.close();
      dir.cleanup();
    }
  });
}

test('lmdb: a defrag while a snapshot view is open leaves the view readable to its end', async () => {
  const dir = tmpDir('etcd-ts-view-defrag');
  const be = LmdbBackend.open(join(dir.path, 'db'));
  try {
    for (let i = 0; i < 2000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), Buffer.alloc(100, 1));
    await be.commit();
    const view = await be.snapshotView();
    const it = view.range('key');
    assert.equal(s(it.next().value![0]), 'k00000');
    await be.defrag();
    be.put('key', b('after-defrag'), b('1'));
    await be.commit();
    let rest = 0;
    for (let r = it.next(); !r.done; r = it.next()) rest++;
    assert.equal(rest, 1999);
    assert.equal(list(view.range('key', b('after'), b('b'))).length, 0);
    view.close();
    assert.equal([...be.range('key', b(''))].length, 2001);
  } finally {
    await be.close();
    dir.cleanup();
  }
});

test('an aborted build stops between turns and rejects', async () => {
  const dir = tmpDir('etcd-ts-view-abort');
  const be = new MemoryBackend();
  try {
    for (let i = 0; i < 1000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), b('v'));
    const view = await be.snapshotView();
    const ac = new AbortController();
    ac.abort(new Error('client went away'));
    await assert.rejects(writeBackendSnapshot(view, join(dir.path, 'snap.db'), { entriesPerTurn: 10, signal: ac.signal }), /client went away/);
    view.close();
  } finally {
    await be.close();
    dir.cleanup();
  }
});
