// etcd's WAL format beyond what one real etcd segment shows: a log over several segments
// (the CRC chain carried by each segment's crc record), an entry rewritten at a lower
// index (a new leader's log replaces the tail, as etcd's ReadAll does), a missing middle
// segment and a broken chain refused naming the file; and what the hand-back writes reads
// back as written. Segments are built here frame by frame, independently of the writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../../src/pkg/crc32c.js';
import { encodeEntry, encodeHardState } from '../../src/raft/codec.js';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { readEtcdWal, writeEtcdWal } from '../../src/datadir/etcd-wal.js';
import { EtcdDataDirError } from '../../src/datadir/errors.js';
import { tmpDir } from '../helpers/tmp.js';

function varint(n: number): number[] {
  const out = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** One frame: the length word (with etcd's padding mark), walpb.Record {type, crc, data}, zero padding. */
function frame(type: number, crc: number, data?: Uint8Array): Buffer {
  const rec = Buffer.from([0x08, ...varint(type), 0x10, ...varint(crc), ...(data ? [0x1a, ...varint(data.length), ...data] : [])]);
  const pad = (8 - (rec.length % 8)) % 8;
  const word = Buffer.alloc(8);
  word.writeBigUInt64LE(BigInt(rec.length) | (pad ? BigInt(0x80 | pad) << 56n : 0n));
  return Buffer.concat([word, rec, Buffer.alloc(pad)]);
}

/** Segments as etcd writes them, with the CRC chained over all of them. */
class SegmentBuilder {
  crc = 0;
  segments: Buffer[][] = [];
  cut(): void {
    this.segments.push([frame(4, this.crc)]);
  }
  add(type: number, data: Uint8Array): void {
    this.crc = crc32c(data, this.crc);
    this.segments[this.segments.length - 1]!.push(frame(type, this.crc, data));
  }
  write(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    return this.segments.map((frames, i) => {
      const name = `${i.toString(16).padStart(16, '0')}-${'0'.repeat(16)}.wal`;
      writeFileSync(join(dir, name), Buffer.concat([...frames, Buffer.alloc(4096)]));
      return join(dir, name);
    });
  }
}

const METADATA = Buffer.from([0x08, 0x2a, 0x10, 0x07]); // etcdserverpb.Metadata {NodeID: 42, ClusterID: 7}
const walSnapshot = (index: number, term: number) => Buffer.from([0x08, ...varint(index), 0x10, ...varint(term)]);
const entry = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: Buffer.from(`e${index}t${term}`) });

test('etcd WAL segments: the CRC chain across segments, rewritten entries, and refusals naming the file', async (t) => {
  const dir = tmpDir('etcd-wal');
  t.after(() => dir.cleanup());

  const build = () => {
    const b = new SegmentBuilder();
    b.cut();
    b.add(1, METADATA);
    b.add(5, walSnapshot(0, 0));
    for (const e of [entry(1, 1), entry(2, 1), entry(3, 1)]) b.add(2, encodeEntry(e));
    b.add(3, encodeHardState({ term: 1, vote: 42n, commit: 2 }));
    b.cut();
    b.add(1, METADATA);
    // A new leader at term 2 rewrote index 3 and went on.
    for (const e of [entry(3, 2), entry(4, 2)]) b.add(2, encodeEntry(e));
    b.add(3, encodeHardState({ term: 2, vote: 42n, commit: 4 }));
    b.cut();
    b.add(5, walSnapshot(2, 1));
    b.add(2, encodeEntry(entry(5, 2)));
    b.add(3, encodeHardState({ term: 2, vote: 42n, commit: 5 }));
    return b;
  };

  await t.test('three segments read as one log, the rewritten entry replacing the old one', () => {
    const d = join(dir.path, 'ok');
    build().write(d);
    const wal = readEtcdWal(d);
    assert.deepEqual(Buffer.from(wal.metadata), METADATA);
    assert.deepEqual(wal.snapshot, { index: 2, term: 1 });
    assert.deepEqual(wal.hardState, { term: 2, vote: 42n, commit: 5 });
    assert.deepEqual(wal.entries.map((e) => [e.index, e.term, Buffer.from(e.data).toString()]), [
      [3, 2, 'e3t2'],
      [4, 2, 'e4t2'],
      [5, 2, 'e5t2'],
    ]);
  });

  await t.test('a missing middle segment is refused, naming the segment after the gap', () => {
    const d = join(dir.path, 'gap');
    const files = build().write(d);
    rmSync(files[1]!);
    assert.throws(() => readEtcdWal(d), (err: unknown) => err instanceof EtcdDataDirError && err.file === files[2] && /WAL segment 1 is missing/.test(err.message));
  });

  await t.test('a segment that does not continue the chain is refused, naming it', () => {
    const d = join(dir.path, 'chain');
    const b = build();
    b.segments[1]![0] = frame(4, 12345);
    const files = b.write(d);
    assert.throws(() => readEtcdWal(d), (err: unknown) => err instanceof EtcdDataDirError && err.file === files[1] && /CRC mismatch at offset 0/.test(err.message));
  });

  await t.test('what writeEtcdWal writes reads back as written', () => {
    const d = join(dir.path, 'written');
    const entries = [entry(11, 3), entry(12, 3), { ...entry(13, 4), data: Buffer.alloc(5000, 7) }];
    writeEtcdWal(d, { metadata: METADATA, snapshot: { index: 10, term: 3 }, hardState: { term: 4, vote: 0n, commit: 12 }, entries });
    const wal = readEtcdWal(d);
    assert.deepEqual(wal.snapshots, [{ index: 0, term: 0 }, { index: 10, term: 3 }]);
    assert.deepEqual(wal.hardState, { term: 4, vote: 0n, commit: 12 });
    assert.deepEqual(wal.entries.map((e) => ({ ...e, data: Buffer.from(e.data) })), entries.map((e) => ({ ...e, data: Buffer.from(e.data) })));
  });
});
