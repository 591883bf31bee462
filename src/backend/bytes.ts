// Byte-string helpers. A latin1 string maps each byte to one UTF-16 code unit, so
// comparing such strings orders them exactly as the bytes compare.

export function bytesToKey(b: Uint8Array): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return (buf as unknown as Latin1Slicer).latin1Slice(0, buf.byteLength);
}

/** Node's own fast path behind toString('latin1'), minus the encoding lookup; keys are hot. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
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
