// Measures `etcdutl-ts snapshot restore` of a large snapshot: real etcd is filled with
// N keys (txns of 128 puts), real etcdctl saves the snapshot, etcdutl-ts restores it, and
// etcd-ts boots from the restored dir and counts the keys.
// Run: node dist/test/etcdutl/bench-restore.js [keys=1000000]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Op } from '../../src/client/index.js';
import { etcdctl, startMember, tmpDir } from '../helpers/index.js';
import { etcdutlTs, ok } from './util.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const TXN_OPS = 128;
const CONCURRENCY = 16;

async function main(): Promise<void> {
  const dir = tmpDir('bench-restore');
  const snap = join(dir.path, 'big.db');
  try {
    const etcd = await startMember('etcd', { extraArgs: ['--quota-backend-bytes', String(8 * 1024 ** 3), '--snapshot-count', '1000000'] });
    try {
      const client = new Client({ endpoints: [etcd.endpoint] });
      const t0 = Date.now();
      let next = 0;
      const worker = async () => {
        while (next < keys) {
          const from = next;
          next = Math.min(keys, next + TXN_OPS);
          const ops = [];
          for (let i = from; i < next; i++) ops.push(Op.put(`key/${String(i).padStart(8, '0')}`, `value-${i}`));
          await client.txn().then(...ops).commit();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await client.close();
      console.log(`filled real etcd with ${keys} keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const t1 = Date.now();
      await ok(etcdctl(etcd, ['snapshot', 'save', snap], { timeoutMs: 300_000 }));
      console.log(`etcdctl snapshot save: ${((Date.now() - t1) / 1000).toFixed(1)} s, ${(statSync(snap).size / 1024 ** 2).toFixed(1)} MiB`);
    } finally {
      await etcd.close();
    }

    const restored = join(dir.path, 'restored.etcd');
    const t2 = Date.now();
    await ok(etcdutlTs(['snapshot', 'restore', snap, '--data-dir', restored], { timeoutMs: 600_000 }));
    const restoreSeconds = (Date.now() - t2) / 1000;
    const mdb = statSync(join(restored, 'member', 'snap', 'db', 'data.mdb')).size;
    console.log(`etcdutl-ts snapshot restore: ${restoreSeconds.toFixed(1)} s (LMDB ${(mdb / 1024 ** 2).toFixed(1)} MiB)`);

    const t3 = Date.now();
    const ts = await startMember('etcd-ts', { name: 'default', dataDir: restored, readyTimeoutMs: 300_000 });
    try {
      console.log(`etcd-ts boot on the restored dir: ${((Date.now() - t3) / 1000).toFixed(1)} s`);
      const count = await ok(etcdctl(ts, ['get', 'key/', '--prefix', '--limit', '1', '-w', 'json'], { timeoutMs: 120_000 }));
      const r = JSON.parse(count.stdout) as { count: number; header: { revision: number } };
      console.log(`etcd-ts serves ${r.count} keys at revision ${r.header.revision}`);
      if (r.count !== keys) throw new Error(`expected ${keys} keys, got ${r.count}`);
    } finally {
      await ts.close();
    }

    // For comparison: real etcdctl's restore of the same file.
    const t4 = Date.now();
    await ok(etcdctl('127.0.0.1:1', ['snapshot', 'restore', snap, '--data-dir', join(dir.path, 'real.etcd')], { timeoutMs: 600_000 }));
    console.log(`etcdctl 3.4 snapshot restore (for comparison): ${((Date.now() - t4) / 1000).toFixed(1)} s`);
  } finally {
    dir.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
