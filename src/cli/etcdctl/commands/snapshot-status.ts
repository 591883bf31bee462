// snapshot status: hash, revision, key count and size of a snapshot file, as etcd's
// snapshot.Status computes them (CRC-32C over bucket names, keys and values).
import { statSync } from 'node:fs';
import { crc32c } from '../../../pkg/crc32c.js';
import { BoltFile } from '../../../bolt/reader.js';

export interface DbStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

export function dbStatus(path: string): DbStatus {
  statSync(path);
  // Page by page: a snapshot may be larger than memory would comfortably hold.
  const db = BoltFile.openFile(path);
  let hash = 0;
  let revision = 0;
  let totalKey = 0;
  try {
    for (const bucket of db.buckets()) {
      hash = crc32c(bucket.key, hash);
      const isKey = Buffer.from(bucket.key).toString() === 'key';
      for (const kv of db.iterate(bucket)) {
        hash = crc32c(kv.key, hash);
        hash = crc32c(kv.value, hash);
        // The key bucket is keyed by revision: 8 bytes of main revision, big-endian.
        if (isKey && kv.key.length >= 8) revision = Number(Buffer.from(kv.key.buffer, kv.key.byteOffset, 8).readBigInt64BE(0));
        totalKey++;
      }
    }
    return { hash: hash >>> 0, revision, totalKey, totalSize: db.size };
  } finally {
    db.close();
  }
}
