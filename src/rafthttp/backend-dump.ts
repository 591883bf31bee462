// A Raft snapshot's payload is the whole backend: every bucket's key/value pairs,
// as [u8 bucket][u32 key length][key][u32 value length][value] records.
import { BUCKETS, type Backend, type BucketName } from '../backend/backend.js';

export function dumpBackend(backend: Backend): Buffer {
  const parts: Buffer[] = [];
  BUCKETS.forEach((bucket, bi) => {
    for (const [k, v] of backend.range(bucket, new Uint8Array(0))) {
      const head = Buffer.allocUnsafe(5);
      head.writeUInt8(bi, 0);
      head.writeUInt32BE(k.byteLength, 1);
      const mid = Buffer.allocUnsafe(4);
      mid.writeUInt32BE(v.byteLength, 0);
      parts.push(head, Buffer.from(k), mid, Buffer.from(v));
    }
  });
  return Buffer.concat(parts);
}

/** Replaces the backend's contents with a dump; the caller commits. */
export function loadBackend(backend: Backend, dump: Uint8Array): void {
  for (const bucket of BUCKETS) {
    const keys = [...backend.range(bucket, new Uint8Array(0))].map(([k]) => Buffer.from(k));
    for (const k of keys) backend.delete(bucket, k);
  }
  const b = Buffer.from(dump.buffer, dump.byteOffset, dump.byteLength);
  let p = 0;
  while (p < b.length) {
    const bucket: BucketName | undefined = BUCKETS[b.readUInt8(p)];
    if (!bucket) throw new Error(`snapshot names unknown bucket ${b.readUInt8(p)}`);
    const kl = b.readUInt32BE(p + 1);
    const k = Buffer.from(b.subarray(p + 5, p + 5 + kl));
    p += 5 + kl;
    const vl = b.readUInt32BE(p);
    const v = Buffer.from(b.subarray(p + 4, p + 4 + vl));
    p += 4 + vl;
    backend.put(bucket, k, v);
  }
  if (p !== b.length) throw new Error('truncated snapshot');
}
