// Byte-string helpers. A latin1 string maps each byte to one UTF-16 code unit, so
// comparing such strings orders them exactly as the bytes compare.

export function bytesToKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function keyToBytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
