// A save written inline (on the caller's thread) is durable when save returns and
// keeps the order of saves: behind a queued write it waits its turn, and a write that
// needs a new segment goes through the queue, which cuts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Wal } from '../../src/wal/index.js';
import { entries, entry, tempDir } from './helpers.js';

test('inline saves are on disk when save returns, and replay in order with queued ones', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, new Uint8Array([1]), { segmentSize: 1 << 20 });
    // Alone: written before save returns (the fsync count moves synchronously).
    const before = wal.stats.fsyncs;
    const p1 = wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1)], true, true);
    assert.equal(wal.stats.fsyncs, before + 1);
    await p1;
    // Behind a queued write: not inline, so it cannot overtake it.
    const queued = wal.save(undefined, [entry(2)]);
    const after = wal.save({ term: 1, vote: 1n, commit: 2 }, [entry(3)], true, true);
    assert.equal(wal.stats.fsyncs, before + 1, 'the inline save waited for the queued one');
    await Promise.all([queued, after]);
    await wal.save(undefined, [entry(4)], true, true);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: 1 << 20 });
    assert.deepEqual(replay.entries, entries(1, 4));
    assert.deepEqual(replay.hardState, { term: 1, vote: 1n, commit: 2 });
    await w2.close();
  } finally {
    cleanup();
  }
});

test('an inline save that needs a new segment goes through the queue, which cuts it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const size = 64 * 1024;
    const wal = await Wal.create(dir, new Uint8Array([1]), { segmentSize: size });
    for (let i = 1; i <= 40; i++) await wal.save(undefined, [entry(i, 1, 4000)], true, true);
    await wal.close();
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.wal')).length >= 3, 'segments were cut');
    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: size });
    assert.deepEqual(replay.entries, entries(1, 40, 1, 4000));
    await w2.close();
  } finally {
    cleanup();
  }
});

test('a failed inline write fails that save and every later one', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, new Uint8Array([1]));
    await wal.save(undefined, entries(1, 1), true, true);
    await (wal as unknown as { seg: { fh: { close(): Promise<void> } } }).seg.fh.close();
    await assert.rejects(wal.save(undefined, entries(2, 2), true, true));
    await assert.rejects(wal.save(undefined, entries(3, 3)));
    await wal.close().catch(() => {});
  } finally {
    cleanup();
  }
});
