import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wal, WalCorruptError } from '../../src/wal/index.js';
import { entries, entry, frameOffsets, tempDir } from './helpers.js';

const META = new Uint8Array([42]);
const SEG = 8192;

function segs(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
}

/** A WAL of `n` single-entry saves, closed. */
async function build(dir: string, n: number, size = 100): Promise<void> {
  const wal = await Wal.create(dir, META, { segmentSize: SEG });
  for (let i = 1; i <= n; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, size)]);
  await wal.close();
}

function snapshotFiles(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}

async function expectCorrupt(dir: string, file: string, offset: number): Promise<void> {
  const before = snapshotFiles(dir);
  await assert.rejects(Wal.open(dir, { segmentSize: SEG }), (e: unknown) => {
    assert.ok(e instanceof WalCorruptError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.offset, offset);
    assert.ok(e.message.includes(file) && e.message.includes(`offset ${offset}`), e.message);
    return true;
  });
  // A refused open changes nothing on disk and leaves no lock behind.
  assert.deepEqual(snapshotFiles(dir), before);
}

test('a torn last record is cut off at every byte offset, earlier records intact', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const base = join(dir, 'base');
    // Two entry-only saves, so the last frame is one 300-byte entry.
    const wal = await Wal.create(base, META, { segmentSize: SEG });
    await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 3, 1, 50));
    await wal.save(undefined, [entry(4, 1, 300)]);
    await wal.close();
    const [name] = segs(base);
    const { offsets, end } = frameOffsets(join(base, name!));
    const start = offsets.at(-1)!;
    assert.equal(end - start, 328);
    const original = readFileSync(join(base, name!));
    // The work directory only ever holds this one segment (close removes the
    // lock), so each case just rewrites the file.
    const work = join(dir, 'work');
    cpSync(base, work, { recursive: true });
    const file = join(work, name!);
    let checked = 0;
    for (let cut = start; cut < end; cut++) {
      for (const damage of ['truncate', 'zero', 'garbage'] as const) {
        let bytes = original.subarray(0, cut);
        if (damage !== 'truncate') {
          bytes = Buffer.from(original);
          for (let i = cut; i < end; i++) bytes[i] = damage === 'zero' ? 0 : (i * 167 + cut) & 0xff;
          // A "torn" tail identical to what was written is simply complete.
          if (bytes.equals(original)) continue;
        }
        writeFileSync(file, bytes);
        const { wal: w, replay } = await Wal.open(work, { segmentSize: SEG });
        assert.deepEqual(replay.entries, entries(1, 3, 1, 50), `${damage} at ${cut - start}`);
        assert.deepEqual(replay.hardState, { term: 1, vote: 1n, commit: 0 });
        // The repaired segment accepts appends that replay afterwards (checked at
        // a spread of offsets to keep the test quick).
        if (cut % 5 !== 0) {
          await w.close();
          checked++;
          continue;
        }
        await w.save({ term: 1, vote: 1n, commit: 3 }, [entry(4, 1, 77)]);
        await w.close();
        const again = await Wal.open(work, { segmentSize: SEG });
        assert.deepEqual(again.replay.entries, [...entries(1, 3, 1, 50), entry(4, 1, 77)], `${damage} at ${cut - start}, reopened`);
        await again.wal.close();
        checked++;
      }
    }
    // Only zeroing the 3 padding bytes leaves the frame unchanged.
    assert.ok(checked >= 3 * 328 - 3, `checked ${checked}`);
  } finally {
    cleanup();
  }
});

test('garbage after a zero word at the end of the last segment is zeroed on open', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 3);
    const [name] = segs(dir);
    const file = join(dir, name!);
    const { end, buf } = frameOffsets(file);
    buf.fill(0x5a, end + 4, end + 40);
    writeFileSync(file, buf);
    const { wal, replay } = await Wal.open(dir, { segmentSize: SEG });
    assert.deepEqual(replay.entries, entries(1, 3, 1, 100));
    await wal.close();
    const after = readFileSync(file);
    assert.ok(after.subarray(end).every((b) => b === 0));
  } finally {
    cleanup();
  }
});

test('a flipped bit in a middle record refuses to open, naming the file and offset', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 10);
    const [name] = segs(dir);
    const file = join(dir, name!);
    const { offsets } = frameOffsets(file);
    const victim = offsets[Math.floor(offsets.length / 2)]!;
    const original = readFileSync(file);
    // In the payload, in the checksum, and in the length word.
    for (const bit of [(victim + 20) * 8 + 3, (victim + 5) * 8, (victim + 1) * 8 + 6]) {
      const buf = Buffer.from(original);
      buf[bit >> 3]! ^= 1 << (bit & 7);
      writeFileSync(file, buf);
      await expectCorrupt(dir, name!, victim);
    }
    writeFileSync(file, original);
    await (await Wal.open(dir, { segmentSize: SEG })).wal.close();
  } finally {
    cleanup();
  }
});

test('damage in a segment that is not the last one is never treated as a torn tail', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 200);
    const names = segs(dir);
    assert.ok(names.length >= 4);
    const middle = names[1]!;
    const file = join(dir, middle);
    const { offsets, end, buf } = frameOffsets(file);
    const original = Buffer.from(buf);

    // The last record of a middle segment, checksum broken.
    const lastAt = offsets.at(-1)!;
    buf[lastAt + 12]! ^= 0x10;
    writeFileSync(file, buf);
    await expectCorrupt(dir, middle, lastAt);

    // Truncated inside its last record.
    writeFileSync(file, original.subarray(0, end - 5));
    await expectCorrupt(dir, middle, lastAt);

    // Truncated exactly at a record boundary: only the chain to the next segment shows it.
    writeFileSync(file, original.subarray(0, lastAt));
    await expectCorrupt(dir, middle, lastAt);

    // A whole middle segment missing.
    writeFileSync(file, original);
    await (await Wal.open(dir, { segmentSize: SEG })).wal.close();
    unlinkSync(file);
    await expectCorrupt(dir, names[2]!, 0);
  } finally {
    cleanup();
  }
});

test('zeros in the middle of the last segment followed by good records are corruption', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 6);
    const [name] = segs(dir);
    const file = join(dir, name!);
    const { offsets, buf } = frameOffsets(file);
    const victim = offsets[offsets.length - 4]!;
    buf.fill(0, victim, offsets[offsets.length - 3]!);
    writeFileSync(file, buf);
    await expectCorrupt(dir, name!, victim);
  } finally {
    cleanup();
  }
});

test('a renamed segment or conflicting metadata is corruption', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 150);
    assert.ok(segs(dir).length >= 3);
    const names = segs(dir);
    const [second, third] = [names[1]!, names[2]!];
    const moved = second.slice(0, 17) + '0000000000000999.wal';
    cpSync(join(dir, second), join(dir, moved));
    unlinkSync(join(dir, second));
    await expectCorrupt(dir, moved, 0);
    cpSync(join(dir, moved), join(dir, second));
    unlinkSync(join(dir, moved));

    // Same length, different bytes, valid checksums: rebuild the third segment
    // from a WAL created with other metadata.
    const other = join(dir, '..', `${third}-other`);
    rmSync(other, { recursive: true, force: true });
    const w = await Wal.create(other, new Uint8Array([43]), { segmentSize: SEG });
    await w.close();
    const { offsets: mine } = frameOffsets(join(dir, third));
    const theirs = readFileSync(join(other, segs(other)[0]!));
    const buf = readFileSync(join(dir, third));
    // Splice their metadata frame (second frame, same size) into ours.
    const { offsets: t } = frameOffsets(join(other, segs(other)[0]!));
    theirs.copy(buf, mine[1]!, t[1]!, t[2]!);
    writeFileSync(join(dir, third), buf);
    rmSync(other, { recursive: true, force: true });
    await expectCorrupt(dir, third, mine[1]!);
  } finally {
    cleanup();
  }
});

test('entries missing from the start with no snapshot marker covering them are refused', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 150);
    const names = segs(dir);
    // What a release without a snapshot marker would leave behind.
    unlinkSync(join(dir, names[0]!));
    const { offsets } = frameOffsets(join(dir, names[1]!));
    // Preamble: header, metadata, hard state; then the first entry.
    await expectCorrupt(dir, names[1]!, offsets[3]!);
    await assert.rejects(Wal.open(dir, { segmentSize: SEG, fromSnapshot: { index: 0, term: 0 } }), WalCorruptError);
  } finally {
    cleanup();
  }
});

test('a segment left half-created by a crash during a cut is ignored and removed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await build(dir, 5);
    const stray = join(dir, '0000000000000001-0000000000000006.wal.tmp');
    writeFileSync(stray, Buffer.alloc(100, 0x33));
    const { wal, replay } = await Wal.open(dir, { segmentSize: SEG });
    assert.deepEqual(replay.entries, entries(1, 5, 1, 100));
    assert.ok(!readdirSync(dir).includes('0000000000000001-0000000000000006.wal.tmp'));
    await wal.save(undefined, [entry(6, 1, 100)]);
    await wal.close();
  } finally {
    cleanup();
  }
});
