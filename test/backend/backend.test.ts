import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { b, s, tempDir } from '../mvcc/util.js';

const entries = (be: Backend, start: string, end?: string) =>
  [...be.range('key', b(start), end === undefined ? undefined : b(end))].map(([k, v]) => `${s(k)}=${s(v)}`);

for (const kind of ['memory', 'lmdb'] as const) {
  const make = () => {
    if (kind === 'memory') return { be: new MemoryBackend() as Backend, done: () => {} };
    const dir = tempDir('etcd-ts-backend-');
    return { be: LmdbBackend.open(dir.path) as Backend, done: dir.remove, dir };
  };

  test(`${kind}: reads see the uncommitted batch, deletes hide committed values`, async () => {
    const { be, done } = make();
    try {
      be.put('key', b('a'), b('1'));
      assert.equal(s(be.get('key', b('a'))!), '1');
      assert.equal(be.get('meta', b('a')), undefined, 'buckets are separate');
      assert.equal(be.pendingWrites(), 1);
      await be.commit();
      assert.equal(be.pendingWrites(), 0);
      assert.equal(s(be.get('key', b('a'))!), '1');
      be.delete('key', b('a'));
      assert.equal(be.get('key', b('a')), undefined);
      await be.commit();
      assert.equal(be.get('key', b('a')), undefined);
    } finally {
      await be.close();
      done();
    }
  });

  test(`${kind}: range merges committed and pending writes in byte order`, async () => {
    const { be, done } = make();
    try {
      for (const k of ['a', 'c', 'e', 'g']) be.put('key', b(k), b(k.toUpperCase()));
      await be.commit();
      be.put('key', b('b'), b('B'));
      be.put('key', b('c'), b('C2'));
      be.delete('key', b('e'));
      be.put('key', b('\xff'), b('X'));
      assert.deepEqual(entries(be, 'a'), ['a=A', 'b=B', 'c=C2', 'g=G', '\xff=X']);
      assert.deepEqual(entries(be, 'b', 'g'), ['b=B', 'c=C2']);
      // The batch handed to commit() stays visible while it is in flight.
      const p = be.commit();
      assert.deepEqual(entries(be, 'a'), ['a=A', 'b=B', 'c=C2', 'g=G', '\xff=X']);
      await p;
      assert.deepEqual(entries(be, 'a'), ['a=A', 'b=B', 'c=C2', 'g=G', '\xff=X']);
      assert.ok(be.size() > 0 && be.sizeInUse() > 0);
    } finally {
      await be.close();
      done();
    }
  });
}

test('lmdb: committed batches survive reopening, uncommitted ones do not', async () => {
  const dir = tempDir('etcd-ts-backend-');
  try {
    let be = LmdbBackend.open(dir.path);
    be.put('meta', b('consistent_index'), b('x'));
    be.put('key', b('k1'), b('v1'));
    await be.commit();
    be.put('key', b('k2'), b('v2'));
    await be.close();
    be = LmdbBackend.open(dir.path);
    assert.equal(s(be.get('key', b('k1'))!), 'v1');
    assert.equal(s(be.get('meta', b('consistent_index'))!), 'x');
    assert.equal(be.get('key', b('k2')), undefined);
    await be.close();
  } finally {
    dir.remove();
  }
});

test('memory: discardUncommitted drops only the open batch', async () => {
  const be = new MemoryBackend();
  be.put('key', b('k1'), b('v1'));
  await be.commit();
  be.put('key', b('k2'), b('v2'));
  be.discardUncommitted();
  assert.deepEqual(entries(be, '\0'), ['k1=v1']);
});
