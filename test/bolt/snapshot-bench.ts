// Measures snapshot building for a large backend: N keys (small values) in etcd's
// key-bucket layout, then the point-in-time view written as a bbolt file and read
// back in 32 KiB chunks through SHA-256, as Maintenance.Snapshot streams it.
// Run: node dist/test/bolt/snapshot-bench.js [keys]   (not a test: nothing asserts timing)
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { writeBackendSnapshot } from '../../src/bolt/backend-snapshot.js';
import { BoltFile } from '../../src/bolt/reader.js';
import { encodeKeyValue } from '../../src/pb/keyvalue.js';
import { revToBytes } from '../../src/mvcc/revision.js';
import { tmpDir } from '../helpers/tmp.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const dir = tmpDir('etcd-ts-snapshot-bench');
const be = LmdbBackend.open(join(dir.path, 'db'));
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
try {
  let t = process.hrtime.bigint();
  for (let i = 0; i < keys; i++) {
    const rev = i + 2;
    const key = Buffer.from(`key/${String(i).padStart(8, '0')}`);
    be.put('key', revToBytes(rev, 0), encodeKeyValue({ key, createRevision: rev, modRevision: rev, version: 1, value: Buffer.from(`value-${i}`), lease: 0n }));
    if (be.pendingWrites() >= 50_000) await be.commit();
  }
  await be.commit();
  console.log(`loaded ${keys} keys in ${ms(t).toFixed(0)} ms; LMDB file ${be.size()} bytes`);

  t = process.hrtime.bigint();
  const view = await be.snapshotView();
  const file = join(dir.path, 'snap.db');
  let summary;
  try {
    summary = await writeBackendSnapshot(view, file);
  } finally {
    view.close();
  }
  const built = ms(t);
  t = process.hrtime.bigint();
  const sha = createHash('sha256');
  const fh = await open(file, 'r');
  const chunk = Buffer.allocUnsafe(32 * 1024);
  let chunks = 0;
  for (let pos = 0; pos < summary.size; pos += chunk.length) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, summary.size - pos), pos);
    sha.update(chunk.subarray(0, bytesRead));
    chunks++;
  }
  await fh.close();
  const streamed = ms(t);
  const db = BoltFile.openFile(file);
  const keyBucket = db.buckets().find((b) => Buffer.from(b.key).toString() === 'key')!;
  console.log(`bbolt file: ${summary.size} bytes (${(summary.size / 1024 / 1024).toFixed(1)} MiB, ${summary.pages} pages, ${(summary.size / keys).toFixed(1)} B/key)`);
  console.log(`build: ${built.toFixed(0)} ms (${((keys / built) * 1000).toFixed(0)} keys/s)`);
  console.log(`read + sha256 in ${chunks} chunks: ${streamed.toFixed(0)} ms; digest ${sha.digest('hex').slice(0, 16)}…`);
  console.log(`read back: ${db.entries(keyBucket).length} keys in the key bucket`);
  db.close();
} finally {
  await be.close();
  dir.cleanup();
}
