// A revision is (main, sub): main is the store revision of a write txn, sub numbers
// the changes inside it. In the key bucket a revision is 17 bytes: main big-endian,
// '_', sub big-endian; a tombstone carries one more byte, 't'.
import { readUint64BE, writeUint64BE } from '../pkg/uint64.js';

export interface Revision {
  main: number;
  sub: number;
}

export const REV_BYTES_LEN = 17;
export const MARK_TOMBSTONE = 0x74; // 't'

export function revToBytes(main: number, sub: number, tombstone = false): Buffer {
  const b = Buffer.allocUnsafe(tombstone ? REV_BYTES_LEN + 1 : REV_BYTES_LEN);
  writeUint64(b, 0, main);
  b[8] = 0x5f; // '_'
  writeUint64(b, 9, sub);
  if (tombstone) b[17] = MARK_TOMBSTONE;
  return b;
}

export function bytesToRev(b: Uint8Array): Revision {
  if (b.byteLength < REV_BYTES_LEN) throw new Error(`mvcc: revision bytes too short (${b.byteLength})`);
  return { main: readUint64(b, 0), sub: readUint64(b, 9) };
}

export function isTombstone(b: Uint8Array): boolean {
  return b.byteLength === REV_BYTES_LEN + 1 && b[REV_BYTES_LEN] === MARK_TOMBSTONE;
}

/** The 8-byte big-endian prefix that sorts before every revision with this main. */
export function mainRevPrefix(main: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeUint64(b, 0, main);
  return b;
}

export function writeUint64(b: Uint8Array, off: number, n: number): void {
  writeUint64BE(b, off, n, 'mvcc: revision');
}

export function readUint64(b: Uint8Array, off: number): number {
  return readUint64BE(b, off, 'mvcc: revision');
}
