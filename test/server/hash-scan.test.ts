// HashKV scanned from a point-in-time view in chunks: the same hash as the store's
// one-go computation, the event loop keeps turning during it, and a compaction or
// snapshot install between fixing the scan and opening the view starts it over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { scanHashKV, type HashSource } from '../../src/server/hash-scan.js';

function storeWith(keys: number, backend = new MemoryBackend()): MvccStore {
  const store = MvccStore.open(backend);
  const value = new Uint8Array(32).fill(7);
  for (let i = 0; i < keys; i++) {
    const t = store.write();
    t.put(Buffer.from(`k${i % 5000}`), value, 0n);
    t.end();
  }
  return store;
}

function source(store: MvccStore, backend: MemoryBackend, beforeView?: () => void): HashSource & { views: number } {
  const src = {
    views: 0,
    mvcc: () => store,
    installing: () => undefined,
    snapshotView: async () => {
      src.views++;
      beforeView?.();
      return backend.snapshotView();
    },
  };
  return src;
}

test('a scanned HashKV equals the one-go hash, at the current revision and at an older one, and lets the event loop turn', async () => {
  const backend = new MemoryBackend();
  const store = storeWith(20_000, backend);
  store.compact(8_000);
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const now = await scanHashKV(source(store, backend), 0);
  spinning = false;
  assert.deepEqual(now, store.hashKV(0));
  assert.ok(turns >= 4, `the loop turned ${turns} times during a 20k-entry scan`);
  assert.deepEqual(await scanHashKV(source(store, backend), 15_000), store.hashKV(15_000));
  await assert.rejects(scanHashKV(source(store, backend), 5_000), (e) => e === Errors.Compacted);
  await assert.rejects(scanHashKV(source(store, backend), 99_999), (e) => e === Errors.FutureRev);
});

test('writes after the scan began do not change its hash; a compaction before the view opened starts it over', async () => {
  const backend = new MemoryBackend();
  const store = storeWith(3_000, backend);
  const expected = store.hashKV(0);
  // A write lands between fixing the scan and opening the view: the scan still hashes up to its revision.
  const later = source(store, backend, () => {
    const t = store.write();
    t.put(Buffer.from('late'), new Uint8Array([1]), 0n);
    t.end();
  });
  assert.deepEqual(await scanHashKV(later, 0), expected);
  assert.equal(later.views, 1);
  // A compaction lands there once: the view lacks revisions the first scan counted, so it begins again.
  let compacted = false;
  const racing = source(store, backend, () => {
    if (compacted) return;
    compacted = true;
    store.compact(2_000);
  });
  const h = await scanHashKV(racing, 0);
  assert.equal(racing.views, 2, 'scanned again after the compaction');
  assert.deepEqual(h, store.hashKV(0));
  assert.equal(h.compactRevision, 2_000);
});

test('peers asking during a snapshot install are refused; local callers wait for it', async () => {
  const backend = new MemoryBackend();
  const store = storeWith(100, backend);
  let done!: () => void;
  let installing: Promise<void> | undefined = new Promise<void>((r) => (done = r));
  const src: HashSource = { mvcc: () => store, installing: () => installing, snapshotView: () => backend.snapshotView() };
  await assert.rejects(scanHashKV(src, 0, true), /snapshot is being installed/);
  const waiting = scanHashKV(src, 0);
  installing = undefined;
  done();
  assert.deepEqual(await waiting, store.hashKV(0));
});

test('a compaction while the scan yields starts it over: the answer matches the compacted store', async () => {
  const backend = new MemoryBackend();
  const store = storeWith(20_000, backend);
  store.compact(5_000);
  const src = source(store, backend);
  const scanning = scanHashKV(src, 0);
  // Runs at the scan's first yield, between two chunks.
  setImmediate(() => store.compact(12_000));
  const h = await scanning;
  assert.equal(src.views, 2, 'scanned again');
  assert.deepEqual(h, store.hashKV(0));
  assert.equal(h.compactRevision, 12_000);
});
