// A corrupt or half-written etcd data dir is refused with the file at fault named, and
// nothing in the dir is changed (no etcd-ts files either): a WAL segment cut in the middle
// of a record, a record whose CRC does not match, the .snap file the WAL's newest
// snapshot record points at gone, a torn bbolt meta page, the database gone; and a
// member etcd ran on again after etcd-ts took it over, or still runs on. Each is a
// copy of one data dir the real etcd 3.4.23 wrote and stopped cleanly; the etcd-ts
// process started on one exits with that message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { Client } from '../../src/client/index.js';
import { takeOverEtcdDataDir } from '../../src/datadir/takeover.js';
import { EtcdDataDirError } from '../../src/datadir/errors.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { treeDigest } from './dump.js';
import { singleMember } from './fixture.js';

/** Start offsets and record sizes of the frames of an etcd WAL segment (u64 LE length word, record, padding). */
function frames(buf: Buffer): Array<{ at: number; recBytes: number }> {
  const out = [];
  for (let at = 0; at + 8 <= buf.length; ) {
    const word = buf.readBigUInt64LE(at);
    if (word === 0n) break;
    const recBytes = Number(word & 0xffffffffffffffn);
    const pad = word >> 63n ? Number((word >> 56n) & 7n) : 0;
    out.push({ at, recBytes });
    at += 8 + recBytes + pad;
  }
  return out;
}

function patch(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

test('corrupt or half-written etcd data dirs are refused, naming the file, with nothing changed', async (t) => {
  const dir = tmpDir('datadir-refusals');
  t.after(() => dir.cleanup());
  const one = await singleMember(join(dir.path, 'source'), ['--snapshot-count', '20']);
  const etcd = one.member('etcd');
  etcd.spawn();
  try {
    await etcd.ready(30_000);
    const c = new Client({ endpoints: [etcd.endpoint] });
    for (let i = 0; i < 60; i++) await c.put(`k${i % 9}`, `v${i}`);
    await c.close();
  } finally {
    await etcd.stop();
  }
  const walDir = join(one.dataDir, 'member', 'wal');
  const snapDir = join(one.dataDir, 'member', 'snap');
  const segment = readdirSync(walDir).find((n) => n.endsWith('.wal'))!;
  const newestSnap = readdirSync(snapDir).filter((n) => n.endsWith('.snap')).sort().pop()!;
  assert.ok(newestSnap, 'etcd wrote a .snap file');
  const records = frames(readFileSync(join(walDir, segment)));
  assert.ok(records.length > 40, `the WAL holds ${records.length} records`);
  const middle = records[Math.floor(records.length / 2)]!;

  let n = 0;
  const refused = async (name: string, damage: (dataDir: string) => string, reason: RegExp) => {
    await t.test(name, async () => {
      const dataDir = join(dir.path, `case-${++n}`, 'm1.etcd');
      cpSync(one.dataDir, dataDir, { recursive: true });
      const file = damage(dataDir);
      const before = treeDigest(dataDir);
      await assert.rejects(takeOverEtcdDataDir(dataDir, undefined, silentLogger), (err: unknown) => {
        assert.ok(err instanceof EtcdDataDirError, String(err));
        assert.equal(err.file, file);
        assert.ok(err.message.includes(file), err.message);
        assert.match(err.message, reason);
        return true;
      });
      assert.deepEqual(treeDigest(dataDir), before, 'nothing in the data dir changed');
      assert.ok(!existsSync(join(dataDir, 'member', 'etcd-ts')) && !existsSync(join(dataDir, 'member', 'etcd-ts.tmp')));
    });
  };

  await refused(
    'a WAL segment cut in the middle of a record',
    (d) => {
      const f = join(d, 'member', 'wal', segment);
      truncateSync(f, middle.at + 8 + Math.floor(middle.recBytes / 2));
      return f;
    },
    /truncated WAL segment: the record at offset \d+/,
  );
  await refused(
    'a WAL record whose CRC does not match',
    (d) => {
      const f = join(d, 'member', 'wal', segment);
      // The record's data is its last field: flip its last byte.
      const at = middle.at + 8 + middle.recBytes - 1;
      patch(f, at, Buffer.from([readFileSync(f)[at]! ^ 0xff]));
      return f;
    },
    /CRC mismatch in the WAL record at offset/,
  );
  await refused(
    'the .snap file the WAL points at is missing',
    (d) => {
      const f = join(d, 'member', 'snap', newestSnap);
      rmSync(f);
      return f;
    },
    /missing: the WAL's newest snapshot record/,
  );
  await refused(
    'a torn bbolt meta page',
    (d) => {
      const f = join(d, 'member', 'snap', 'db');
      // Page 0's meta: its root page id (after the 16-byte page header, magic, version, page size, flags).
      patch(f, 16 + 16, Buffer.alloc(8, 0xff));
      return f;
    },
    /torn bbolt meta page 0/,
  );
  await refused(
    'the bbolt database is missing',
    (d) => {
      const f = join(d, 'member', 'snap', 'db');
      rmSync(f);
      return f;
    },
    /missing: etcd keeps its applied state there/,
  );

  await t.test('etcd-ts started on such a dir exits, saying which file and why', async () => {
    const root = join(dir.path, 'started');
    const bad = await singleMember(root, []);
    cpSync(one.dataDir, bad.dataDir, { recursive: true });
    const f = join(bad.dataDir, 'member', 'wal', segment);
    const at = middle.at + 8 + middle.recBytes - 1;
    patch(f, at, Buffer.from([readFileSync(f)[at]! ^ 0xff]));
    const m = bad.member('etcd-ts');
    m.spawn();
    assert.ok(await m.waitExit(30_000), 'etcd-ts exits');
    assert.match(m.logs(), /failed to start etcd-ts/);
    assert.ok(m.logs().includes(`etcd data dir: ${f}: CRC mismatch`), m.logs());
    assert.ok(!existsSync(join(bad.dataDir, 'member', 'etcd-ts')));
  });

  await t.test('a member taken over and then started by etcd again (not handed back) is refused: etcd-ts\'s copy is older', async () => {
    const root = join(dir.path, 'rerun');
    const again = await singleMember(root, [], one.ports);
    cpSync(one.dataDir, again.dataDir, { recursive: true });
    const first = await takeOverEtcdDataDir(again.dataDir, undefined, silentLogger);
    assert.equal(first.dataDir, join(again.dataDir, 'member', 'etcd-ts'));
    const etcdAgain = again.member('etcd');
    etcdAgain.spawn();
    try {
      await etcdAgain.ready(30_000);
      const c = new Client({ endpoints: [etcdAgain.endpoint] });
      await c.put('written-by-etcd', 'after the takeover');
      await c.close();
    } finally {
      await etcdAgain.stop();
    }
    const before = treeDigest(again.dataDir);
    const wal = join(again.dataDir, 'member', 'wal');
    await assert.rejects(takeOverEtcdDataDir(again.dataDir, undefined, silentLogger), (err: unknown) => {
      assert.ok(err instanceof EtcdDataDirError, String(err));
      assert.equal(err.file, wal);
      assert.match(err.message, /etcd has written to it since etcd-ts took this member over/);
      return true;
    });
    assert.deepEqual(treeDigest(again.dataDir), before);
  });

  await t.test('a data dir etcd is still running on is refused: etcd holds its files locked', async () => {
    const root = join(dir.path, 'running');
    const live = await singleMember(root, []);
    cpSync(one.dataDir, live.dataDir, { recursive: true });
    const running = live.member('etcd');
    running.spawn();
    try {
      await running.ready(30_000);
      const before = treeDigest(live.dataDir, (rel) => rel.endsWith('.wal') || rel === join('member', 'snap', 'db'));
      await assert.rejects(takeOverEtcdDataDir(live.dataDir, undefined, silentLogger), (err: unknown) => {
        assert.ok(err instanceof EtcdDataDirError, String(err));
        assert.match(err.message, /in use: (process \d+|a running process) holds a lock on it \(stop etcd first\)/);
        return true;
      });
      // etcd itself goes on writing its WAL and database: what must not appear is anything of etcd-ts's.
      assert.deepEqual(treeDigest(live.dataDir, (rel) => rel.endsWith('.wal') || rel === join('member', 'snap', 'db')), before);
      assert.ok(!existsSync(join(live.dataDir, 'member', 'etcd-ts')));
    } finally {
      await running.stop();
    }
  });

  await t.test('etcd\'s files removed for good after the takeover are not taken for files etcd changed', async () => {
    const gone = join(dir.path, 'removed', 'm1.etcd');
    cpSync(one.dataDir, gone, { recursive: true });
    const store = join(gone, 'member', 'etcd-ts');
    assert.equal((await takeOverEtcdDataDir(gone, undefined, silentLogger)).dataDir, store);
    rmSync(join(gone, 'member', 'wal'), { recursive: true });
    rmSync(join(gone, 'member', 'snap'), { recursive: true });
    assert.equal((await takeOverEtcdDataDir(gone, undefined, silentLogger)).dataDir, store);
  });
});
