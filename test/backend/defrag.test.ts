import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { b, s, tempDir } from '../mvcc/util.js';

const VALUE = new Uint8Array(64 * 1024).fill(7);

test('lmdb defrag shrinks the file, keeps every value, and serves reads and writes meanwhile', async () => {
  const dir = tempDir('etcd-ts-defrag-');
  let be = LmdbBackend.open(dir.path);
  try {
    for (let i = 0; i < 200; i++) be.put('key', b(`k${String(i).padStart(3, '0')}`), VALUE);
    await be.commit();
    for (let i = 0; i < 190; i++) be.delete('key', b(`k${String(i).padStart(3, '0')}`));
    await be.commit();
    const before = be.size();
    assert.ok(before > 10 * 1024 * 1024, `file grew to ${before}`);

    const defrag = be.defrag();
    // Writes and reads issued while the copy runs.
    be.put('key', b('during'), b('x'));
    const during = be.commit();
    assert.equal(s(be.get('key', b('during'))!), 'x');
    assert.equal(be.get('key', b('k195'))!.length, VALUE.length);
    await defrag;
    await during;

    const after = be.size();
    assert.ok(after < before / 4, `defrag returned space: ${before} -> ${after}`);
    assert.deepEqual([...be.range('key', b('k'), b('l'))].map(([k]) => s(k)), ['k190', 'k191', 'k192', 'k193', 'k194', 'k195', 'k196', 'k197', 'k198', 'k199']);
    be.put('key', b('after'), b('y'));
    await be.commit();
    // A second defrag replaces the first one's directory.
    await be.defrag();
    await be.close();
    const base = basename(dir.path);
    assert.deepEqual(readdirSync(dirname(dir.path)).filter((n) => n.startsWith(`${base}-defrag-`)), [], 'no defrag directory left');

    be = LmdbBackend.open(dir.path);
    assert.equal(s(be.get('key', b('during'))!), 'x');
    assert.equal(s(be.get('key', b('after'))!), 'y');
    assert.equal(be.get('key', b('k000')), undefined);
    assert.equal([...be.range('key', b('k'), b('l'))].length, 10);
    assert.ok(existsSync(dir.path));
  } finally {
    await be.close();
    dir.remove();
  }
});
