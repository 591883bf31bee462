// The integrity trailer etcd appends to a snapshot it serves: SHA-256 of the bbolt
// file, 32 bytes after the last page. A file straight out of a data dir has none.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SHA256_SIZE = 32;

/** etcd: a file whose size is 32 past a multiple of 512 carries the trailer. */
export function hasChecksum(size: number): boolean {
  return size % 512 === SHA256_SIZE;
}

/** Go's %v of a byte slice: "[1 2 3]". */
function goBytes(b: Uint8Array): string {
  return `[${Array.from(b).join(' ')}]`;
}

/** Bytes hashed per read: the file is streamed, never held whole (etcd allows 8 GiB databases). */
const READ_BYTES = 1 << 20;

/**
 * Checks a snapshot file's trailer, reading it a chunk at a time, and returns how many
 * bytes of it are the bbolt database. Errors carry etcd's texts ("open …: no such file
 * or directory", "expected sha256 …, got …").
 */
export function verifySnapshot(path: string, skipHashCheck: boolean): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`open ${path}: no such file or directory`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error(`read ${path}: is a directory`);
    const size = st.size;
    if (!hasChecksum(size)) {
      if (!skipHashCheck) throw new Error('snapshot missing hash but --skip-hash-check=false');
      return size;
    }
    const dbBytes = size - SHA256_SIZE;
    if (skipHashCheck) return dbBytes;
    const sha = createHash('sha256');
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (let off = 0; off < dbBytes; ) {
      const n = readSync(fd, buf, 0, Math.min(READ_BYTES, dbBytes - off), off);
      if (n === 0) throw new Error(`read ${path}: unexpected end of file`);
      sha.update(buf.subarray(0, n));
      off += n;
    }
    const expected = Buffer.alloc(SHA256_SIZE);
    readSync(fd, expected, 0, SHA256_SIZE, dbBytes);
    const actual = sha.digest();
    if (!actual.equals(expected)) throw new Error(`expected sha256 ${goBytes(expected)}, got ${goBytes(actual)}`);
    return dbBytes;
  } finally {
    closeSync(fd);
  }
}
