// Unsigned 64-bit big-endian integers held as JS numbers: revisions in MVCC keys, lengths
// in etcd's stream framings. Values must stay below 2^53; larger ones are refused.

export function writeUint64BE(b: Uint8Array, off: number, n: number, what = 'value'): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} out of range: ${n}`);
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

export function readUint64BE(b: Uint8Array, off: number, what = 'value'): number {
  const hi = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  const lo = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  const n = hi * 0x1_0000_0000 + lo;
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} beyond 2^53`);
  return n;
}
