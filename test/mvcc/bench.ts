// Manual benchmark (not a test): node dist/test/mvcc/bench.js [keys] [restoreKeys]
// Puts/s and ranges/s of one 256-byte key through KvApplier on LmdbBackend, RSS after
// `keys` distinct keys, and the index rebuild time of a reopened store with `restoreKeys` keys.
import { KvApplier } from '../../src/apply/kv-applier.js';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { putReq, rangeReq } from '../apply/reqs.js';
import { tempDir } from './util.js';

const keys = Number(process.argv[2] ?? 100_000);
const restoreKeys = Number(process.argv[3] ?? 0);
const COMMIT_EVERY = 1000;

async function main(): Promise<void> {
  const dir = tempDir('etcd-ts-bench-');
  try {
    const be = LmdbBackend.open(dir.path);
    const store = MvccStore.open(be);
    const kv = new KvApplier(store);
    const N = 50_000;
    const R = 100_000;
    for (const [name, key, value] of [
      ['256-byte key, 1-byte value', 'k'.repeat(256), 'v'],
      ['8-byte key, 256-byte value', 'benchkey', 'v'.repeat(256)],
    ] as const) {
      let t = performance.now();
      for (let i = 0; i < N; i++) {
        store.setConsistentIndex(i + 1);
        kv.put(putReq(key, value));
        if (i % COMMIT_EVERY === 0) void be.commit();
      }
      await be.commit();
      const putsPerSec = N / ((performance.now() - t) / 1000);
      t = performance.now();
      const req = rangeReq(key);
      for (let i = 0; i < R; i++) kv.range(req);
      const rangesPerSec = R / ((performance.now() - t) / 1000);
      console.log(`${name}: ${putsPerSec.toFixed(0)} puts/s, ${rangesPerSec.toFixed(0)} ranges/s`);
    }

    let t = performance.now();
    for (let i = 0; i < keys; i++) {
      kv.put(putReq(`key/${String(i).padStart(8, '0')}`, 'x'.repeat(100)));
      if (i % COMMIT_EVERY === 0) await be.commit();
    }
    await be.commit();
    const secs = (performance.now() - t) / 1000;
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`${store.keyCount()} keys in the index, ${keys} distinct keys put in ${secs.toFixed(1)} s; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, db ${(be.size() / 2 ** 20).toFixed(0)} MiB`);
    await be.close();

    if (restoreKeys > 0) {
      const be2 = LmdbBackend.open(dir.path);
      const s2 = MvccStore.open(be2);
      const k2 = new KvApplier(s2);
      for (let i = keys; i < restoreKeys; i++) {
        k2.put(putReq(`key/${String(i).padStart(8, '0')}`, 'x'.repeat(100)));
        if (i % 10_000 === 0) await be2.commit();
      }
      await be2.commit();
      await be2.close();
      const rss0 = process.memoryUsage().rss;
      t = performance.now();
      const be3 = LmdbBackend.open(dir.path);
      const s3 = MvccStore.open(be3);
      const ms = performance.now() - t;
      console.log(`reopen with ${s3.keyCount()} keys at revision ${s3.rev()}: index rebuilt in ${(ms / 1000).toFixed(2)} s (RSS +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB)`);
      await be3.close();
    }
  } finally {
    dir.remove();
  }
}

await main();
