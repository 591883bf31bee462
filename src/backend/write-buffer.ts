// One batch of uncommitted writes per bucket; a deletion is kept as a null value so
// that it hides the committed value beneath it.
import type { BucketName } from './backend.js';
import { bytesToKey } from './bytes.js';

export interface BufferedWrite {
  key: Uint8Array;
  value: Uint8Array | null;
}

export class WriteBuffer {
  readonly buckets = new Map<BucketName, Map<string, BufferedWrite>>();
  writes = 0;

  put(bucket: BucketName, key: Uint8Array, value: Uint8Array | null): void {
    let m = this.buckets.get(bucket);
    if (m === undefined) {
      m = new Map();
      this.buckets.set(bucket, m);
    }
    // Copy the key: callers may reuse their buffers after the call.
    const k = Uint8Array.from(key);
    m.set(bytesToKey(k), { key: k, value });
    this.writes++;
  }

  /** undefined: not in this batch; null: deleted in this batch. */
  get(bucket: BucketName, key: Uint8Array): Uint8Array | null | undefined {
    const m = this.buckets.get(bucket);
    if (m === undefined || m.size === 0) return undefined;
    const w = m.get(bytesToKey(key));
    return w === undefined ? undefined : w.value;
  }

  isEmpty(): boolean {
    return this.writes === 0;
  }
}

/**
 * Merges buffered layers (newest first) over a committed ascending iterator.
 * Layers are small (one or a few batches), so collecting their entries in range and
 * sorting them is cheaper than keeping them ordered on every write.
 */
export function* mergeLayers(
  layers: readonly WriteBuffer[],
  bucket: BucketName,
  start: Uint8Array,
  end: Uint8Array | undefined,
  committed: Iterator<[Uint8Array, Uint8Array]>,
): IterableIterator<[Uint8Array, Uint8Array]> {
  const startS = bytesToKey(start);
  const endS = end === undefined ? undefined : bytesToKey(end);
  const overlay = new Map<string, BufferedWrite>();
  // Oldest layer first so newer layers overwrite.
  for (let i = layers.length - 1; i >= 0; i--) {
    const m = layers[i].buckets.get(bucket);
    if (m === undefined) continue;
    for (const [k, w] of m) {
      if (k >= startS && (endS === undefined || k < endS)) overlay.set(k, w);
    }
  }
  if (overlay.size === 0) {
    for (let r = committed.next(); !r.done; r = committed.next()) yield r.value;
    return;
  }
  const pending = [...overlay.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let i = 0;
  let c = committed.next();
  while (!c.done || i < pending.length) {
    if (c.done) {
      const w = pending[i++][1];
      if (w.value !== null) yield [w.key, w.value];
      continue;
    }
    if (i >= pending.length) {
      yield c.value;
      c = committed.next();
      continue;
    }
    const ck = bytesToKey(c.value[0]);
    const [pk, w] = pending[i];
    if (pk <= ck) {
      i++;
      if (pk === ck) c = committed.next();
      if (w.value !== null) yield [w.key, w.value];
    } else {
      yield c.value;
      c = committed.next();
    }
  }
}
