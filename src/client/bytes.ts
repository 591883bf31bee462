// Keys and values travel as bytes; strings are a convenience encoded as UTF-8.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Bytes = Uint8Array | string;

export function toBytes(v: Bytes): Uint8Array {
  return typeof v === 'string' ? encoder.encode(v) : v;
}

export function toText(v: Uint8Array): string {
  return decoder.decode(v);
}

/** The range end covering every key with this prefix; "\0" (all keys) for an empty prefix or all 0xff. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  // A copy: Buffer's slice() would be a view, and the caller's key would change.
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

/** The range end meaning "every key from the key on". */
export const FROM_KEY = new Uint8Array([0]);
