// A revision is (main, sub): main is the store revision of a write txn, sub numbers
// the changes inside it. In the key bucket a revision is 17 bytes: main big-endian,
// '_', sub big-endian; a tombstone carries one more byte, 't'.

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
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`mvcc: revision out of range: ${n}`);
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  b[off] = hi >>> 24;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

export function readUint64(b: Uint8Array, off: number): number {
  const hi = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
  const lo = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  const n = hi * 0x1_0000_0000 + lo;
  if (!Number.isSafeInteger(n)) throw new Error('mvcc: revision beyond 2^53');
  return n;
}
