// Manual benchmark (not a test): node dist/test/mvcc/bench-restore.js <keys>
// Fills an LMDB backend with <keys> keys in one process, then times MvccStore.open in a fresh one.
import { spawnSync } from 'node:child_process';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { tempDir } from './util.js';

const [mode, arg, path] = process.argv.slice(2);

if (mode === 'fill') {
  const be = LmdbBackend.open(path);
  const store = MvccStore.open(be);
  const value = Buffer.alloc(100, 'x');
  for (let i = 0; i < Number(arg); i++) {
    const t = store.write();
    t.put(Buffer.from(`key/${String(i).padStart(8, '0')}`), value);
    t.end();
    if (i % 10_000 === 0) await be.commit();
  }
  await be.commit();
  await be.close();
} else if (mode === 'open') {
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const be = LmdbBackend.open(path);
  const store = MvccStore.open(be);
  const secs = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`reopen: ${store.keyCount()} keys at revision ${store.rev()} rebuilt in ${secs.toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s), RSS +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB, db ${(be.size() / 2 ** 20).toFixed(0)} MiB`);
  const c0 = performance.now();
  if (store.rev() - 1 > store.compactRev()) store.compact(store.rev() - 1);
  const compactMs = performance.now() - c0;
  const w0 = performance.now();
  await be.commit();
  console.log(`compact over ${store.keyCount()} keys: ${(compactMs / 1000).toFixed(2)} s in the index and batch, ${((performance.now() - w0) / 1000).toFixed(2)} s to commit`);
  await be.close();
} else {
  const dir = tempDir('etcd-ts-restore-');
  try {
    const self = new URL(import.meta.url).pathname;
    let t = performance.now();
    spawnSync(process.execPath, [self, 'fill', mode ?? '100000', dir.path], { stdio: 'inherit' });
    console.log(`fill: ${mode ?? 100000} keys in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    spawnSync(process.execPath, [self, 'open', '', dir.path], { stdio: 'inherit' });
  } finally {
    dir.remove();
  }
}
