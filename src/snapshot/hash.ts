// The integrity trailer etcd appends to a snapshot it serves: SHA-256 of the bbolt
// file, 32 bytes after the last page. A file straight out of a data dir has none.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SHA256_SIZE = 32;

/** etcd: a file whose size is 32 past a multiple of 512 carries the trailer. */
export function hasChecksum(size: number): boolean {
  return size % 512 === SHA256_SIZE;
}

/** Go's %v of a byte slice: "[1 2 3]". */
function goBytes(b: Uint8Array): string {
  return `[${Array.from(b).join(' ')}]`;
}

/**
 * The bbolt bytes of a snapshot file, its trailer checked and cut off. Errors carry
 * etcd's texts ("open …: no such file or directory", "expected sha256 …, got …").
 */
export function readSnapshot(path: string, skipHashCheck: boolean): Buffer {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`open ${path}: no such file or directory`);
    if (e.code === 'EISDIR') throw new Error(`read ${path}: is a directory`);
    throw err;
  }
  const withHash = hasChecksum(file.length);
  if (!withHash) {
    if (!skipHashCheck) throw new Error('snapshot missing hash but --skip-hash-check=false');
    return file;
  }
  const db = file.subarray(0, file.length - SHA256_SIZE);
  if (!skipHashCheck) {
    const expected = file.subarray(file.length - SHA256_SIZE);
    const actual = createHash('sha256').update(db).digest();
    if (!actual.equals(expected)) throw new Error(`expected sha256 ${goBytes(expected)}, got ${goBytes(actual)}`);
  }
  return db;
}
