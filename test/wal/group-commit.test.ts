import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wal } from '../../src/wal/index.js';
import { entries, entry, tempDir } from './helpers.js';

test('64 concurrent saves share far fewer than 64 fsyncs, and all replay', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, new Uint8Array([1]), { segmentSize: 1 << 20 });
    const saves = [];
    for (let i = 1; i <= 64; i++) saves.push(wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 300)]));
    await Promise.all(saves);
    assert.ok(wal.stats.fsyncs <= 2, `${wal.stats.fsyncs} fsyncs for 64 saves`);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: 1 << 20 });
    assert.deepEqual(replay.entries, entries(1, 64, 1, 300));
    assert.deepEqual(replay.hardState, { term: 1, vote: 1n, commit: 63 });
    await w2.close();
  } finally {
    cleanup();
  }
});

test('sequential saves cost one fsync each; 64 looping callers batch behind the in-flight fsync', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, new Uint8Array([1]), { segmentSize: 1 << 20 });
    for (let i = 1; i <= 20; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 300)]);
    assert.equal(wal.stats.fsyncs, 20);

    // Each caller waits for its own save before issuing the next, like
    // concurrent clients each awaiting their own write.
    let next = 21;
    const perCaller = 10;
    const before = wal.stats.fsyncs;
    const callers = Array.from({ length: 64 }, async () => {
      for (let k = 0; k < perCaller; k++) {
        const i = next++;
        await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 300)]);
      }
    });
    await Promise.all(callers);
    const fsyncs = wal.stats.fsyncs - before;
    const saves = 64 * perCaller;
    assert.ok(fsyncs * 8 <= saves, `${saves} saves took ${fsyncs} fsyncs`);
    console.log(`group commit: ${saves} saves from 64 callers in ${fsyncs} fsyncs (${(saves / fsyncs).toFixed(1)} saves per fsync)`);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir, { segmentSize: 1 << 20 });
    assert.deepEqual(replay.entries, entries(1, next - 1, 1, 300));
    await w2.close();
  } finally {
    cleanup();
  }
});

test('a failed write fails every later save instead of acknowledging it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const wal = await Wal.create(dir, new Uint8Array([1]));
    await wal.save(undefined, entries(1, 1));
    // Close the segment file underneath the WAL to make the next write fail.
    await (wal as unknown as { seg: { fh: { close(): Promise<void> } } }).seg.fh.close();
    await assert.rejects(wal.save(undefined, entries(2, 2)));
    await assert.rejects(wal.save(undefined, entries(3, 3)));
    await wal.close().catch(() => {});
  } finally {
    cleanup();
  }
});
