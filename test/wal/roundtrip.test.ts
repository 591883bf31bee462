import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wal, WalLockedError, WalSnapshotNotFoundError } from '../../src/wal/index.js';
import { EntryType } from '../../src/raft/types.js';
import { entries, entry, tempDir } from './helpers.js';

const META = new Uint8Array([1, 2, 3, 4, 5]);

function segs(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.wal')).sort();
}

test('create then open replays metadata, entries and the last hard state', async () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.equal(Wal.exists(dir), false);
    const wal = await Wal.create(dir, META);
    assert.equal(Wal.exists(dir), true);
    assert.deepEqual(segs(dir), ['0000000000000000-0000000000000000.wal']);
    await wal.save({ term: 1, vote: 7n, commit: 0 }, entries(1, 3));
    const conf = { index: 4, term: 2, type: EntryType.ConfChange, data: new Uint8Array([9, 9]) };
    await wal.save({ term: 2, vote: 0xffff_ffff_ffff_fff1n, commit: 3 }, [conf]);
    await wal.save({ term: 2, vote: 0xffff_ffff_ffff_fff1n, commit: 4 }, []);
    await wal.close();

    const { wal: w2, replay } = await Wal.open(dir);
    assert.deepEqual(replay.metadata, META);
    assert.deepEqual(replay.hardState, { term: 2, vote: 0xffff_ffff_ffff_fff1n, commit: 4 });
    assert.deepEqual(replay.entries, [...entries(1, 3), conf]);
    assert.equal(replay.snapshot, undefined);
    await w2.close();
  } finally {
    cleanup();
  }
});

test('an empty WAL replays the zero hard state and no entries', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await (await Wal.create(dir, new Uint8Array(0))).close();
    const { wal, replay } = await Wal.open(dir);
    assert.deepEqual(replay, { metadata: new Uint8Array(0), hardState: { term: 0, vote: 0n, commit: 0 }, entries: [] });
    await wal.close();
  } finally {
    cleanup();
  }
});

test('a later write of index i drops the old i and everything after it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 10, 1));
    await wal.save({ term: 2, vote: 2n, commit: 4 }, entries(6, 7, 2)); // conflict at 6
    await wal.save(undefined, entries(8, 8, 2));
    await wal.save({ term: 3, vote: 3n, commit: 4 }, entries(5, 5, 3)); // conflict at 5
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir);
    assert.deepEqual(replay.entries, [...entries(1, 4, 1), entry(5, 3)]);
    assert.deepEqual(replay.hardState, { term: 3, vote: 3n, commit: 4 });
    // Appending continues after the overwritten tail.
    await w2.save(undefined, entries(6, 6, 3));
    await w2.close();
    const again = await Wal.open(dir);
    assert.deepEqual(again.replay.entries, [...entries(1, 4, 1), entry(5, 3), entry(6, 3)]);
    await again.wal.close();
  } finally {
    cleanup();
  }
});

test('save refuses entries that would leave a gap or are not contiguous', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save(undefined, entries(1, 2));
    await assert.rejects(wal.save(undefined, entries(4, 5)), /gap/);
    await assert.rejects(wal.save(undefined, [entry(3), entry(5)]), /contiguous/);
    await wal.save(undefined, entries(3, 3));
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir);
    assert.deepEqual(replay.entries, entries(1, 3));
    await w2.close();
  } finally {
    cleanup();
  }
});

test('replay starts at the latest snapshot marker, or at the one asked for', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 1n, commit: 10 }, entries(1, 10));
    await wal.saveSnapshot({ index: 5, term: 1 });
    await wal.save({ term: 1, vote: 1n, commit: 15 }, entries(11, 15));
    await wal.saveSnapshot({ index: 12, term: 1 });
    await wal.close();

    const latest = await Wal.open(dir);
    assert.deepEqual(latest.replay.snapshot, { index: 12, term: 1 });
    assert.deepEqual(latest.replay.entries, entries(13, 15));
    await latest.wal.close();

    const older = await Wal.open(dir, { fromSnapshot: { index: 5, term: 1 } });
    assert.deepEqual(older.replay.snapshot, { index: 5, term: 1 });
    assert.deepEqual(older.replay.entries, entries(6, 15));
    assert.deepEqual(older.replay.hardState, { term: 1, vote: 1n, commit: 15 });
    await older.wal.close();

    const zero = await Wal.open(dir, { fromSnapshot: { index: 0, term: 0 } });
    assert.deepEqual(zero.replay.entries, entries(1, 15));
    await zero.wal.close();

    await assert.rejects(Wal.open(dir, { fromSnapshot: { index: 7, term: 1 } }), WalSnapshotNotFoundError);
    await assert.rejects(Wal.open(dir, { fromSnapshot: { index: 5, term: 2 } }), WalSnapshotNotFoundError);
    // A refused open must not keep the directory locked.
    await (await Wal.open(dir)).wal.close();
  } finally {
    cleanup();
  }
});

test('a snapshot beyond the log (received from a leader) restarts the log after it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 1n, commit: 3 }, entries(1, 5));
    await wal.saveSnapshot({ index: 100, term: 4 });
    await wal.save({ term: 4, vote: 0n, commit: 100 }, entries(101, 103, 4));
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir);
    assert.deepEqual(replay.snapshot, { index: 100, term: 4 });
    assert.deepEqual(replay.entries, entries(101, 103, 4));
    await w2.close();
  } finally {
    cleanup();
  }
});

test('segments roll over when full and replay across them', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: 4096 });
    for (let i = 1; i <= 200; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 100)], i % 3 === 0);
    await wal.close();
    const names = segs(dir);
    assert.ok(names.length >= 5, `only ${names.length} segments`);
    names.forEach((n, seq) => assert.match(n, new RegExp(`^${seq.toString(16).padStart(16, '0')}-[0-9a-f]{16}\\.wal$`)));
    // Each segment is named for the entry index that follows the previous one.
    const firsts = names.map((n) => Number.parseInt(n.slice(17, 33), 16));
    for (let i = 1; i < firsts.length; i++) assert.ok(firsts[i]! > firsts[i - 1]!);

    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: 4096 });
    assert.deepEqual(replay.entries, entries(1, 200, 1, 100));
    assert.deepEqual(replay.hardState, { term: 1, vote: 1n, commit: 199 });
    await w2.close();
  } finally {
    cleanup();
  }
});

test('releaseTo deletes whole segments below the index and keeps the one containing it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META, { segmentSize: 4096 });
    for (let i = 1; i <= 200; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 100)]);
    const target = 120;
    await wal.saveSnapshot({ index: target, term: 1 });
    const before = segs(dir);
    const firsts = before.map((n) => Number.parseInt(n.slice(17, 33), 16));
    // The kept segment is the last one whose first index is not above the target.
    let keepFrom = 0;
    firsts.forEach((f, i) => {
      if (f <= target) keepFrom = i;
    });
    assert.ok(keepFrom > 0);
    await wal.releaseTo(target);
    assert.deepEqual(segs(dir), before.slice(keepFrom));
    await wal.save({ term: 1, vote: 1n, commit: 200 }, [entry(201, 1, 100)]);
    await wal.close();

    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: 4096 });
    assert.deepEqual(replay.snapshot, { index: target, term: 1 });
    assert.deepEqual(replay.entries, entries(target + 1, 201, 1, 100));
    assert.deepEqual(replay.metadata, META);
    assert.deepEqual(replay.hardState, { term: 1, vote: 1n, commit: 200 });
    // Entries above the latest marker are never released, whatever is asked.
    const kept = segs(dir);
    await w2.releaseTo(10_000);
    assert.deepEqual(segs(dir), kept);
    // With a marker past the end, only the segment being written stays.
    await w2.saveSnapshot({ index: 201, term: 1 });
    await w2.releaseTo(10_000);
    assert.equal(segs(dir).length, 1);
    await w2.close();
    const last = await Wal.open(dir, { segmentSize: 4096 });
    // The marker and hard state repeated at the segment's start survive the release.
    assert.deepEqual(last.replay.snapshot, { index: 201, term: 1 });
    assert.deepEqual(last.replay.hardState, { term: 1, vote: 1n, commit: 200 });
    assert.deepEqual(last.replay.entries, []);
    await last.wal.close();
  } finally {
    cleanup();
  }
});

test('the directory lock refuses a second open and is released by close', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, META);
    await assert.rejects(Wal.open(dir), (e: unknown) => e instanceof WalLockedError && e.pid === process.pid);
    await assert.rejects(Wal.create(dir, META), /already holds a WAL/);
    await wal.close();
    await assert.rejects(wal.save(undefined, entries(1, 1)), /closed/);
    const { wal: w2 } = await Wal.open(dir);
    await w2.close();
  } finally {
    cleanup();
  }
});

test('a lock left by a dead process is taken over', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await (await Wal.create(dir, META)).close();
    // Pids beyond the kernel's maximum (2^22) never belong to a live process.
    writeFileSync(join(dir, 'wal.lock'), String(2 ** 22 + 12345));
    const { wal } = await Wal.open(dir);
    await wal.close();
  } finally {
    cleanup();
  }
});

test('stats count bytes and synced writes; every write is durable (O_DSYNC segments)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const seen: number[] = [];
    const wal = await Wal.create(dir, META, { onFsync: (s) => seen.push(s) });
    await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1, 1, 300)]);
    assert.equal(wal.stats.fsyncs, 1);
    // 8-byte header + 17 fixed + 300 data, padded to 328; hard state 8 + 24.
    assert.equal(wal.stats.bytes, 328 + 32);
    await wal.save(undefined, [entry(2, 1, 300)], false);
    assert.equal(wal.stats.fsyncs, 2);
    await wal.save(undefined, [entry(3, 1, 300)], true);
    assert.equal(wal.stats.fsyncs, 3);
    assert.equal(seen.length, 3);
    assert.ok(seen.every((s) => s >= 0 && s < 10));
    assert.ok(wal.stats.lastFsyncMs >= 0);
    await wal.close();
  } finally {
    cleanup();
  }
});
