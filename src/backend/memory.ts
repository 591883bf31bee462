// An in-memory backend for tests and the simulation: same batching and
// read-your-writes behaviour as LmdbBackend, with committed data in sorted arrays.
import { BUCKETS, type Backend, type BackendView, type BucketName } from './backend.js';
import { bytesToKey } from './bytes.js';
import { mergeLayers, WriteBuffer } from './write-buffer.js';

class SortedBucket {
  readonly keys: string[] = [];
  readonly entries = new Map<string, [Uint8Array, Uint8Array]>();
  bytes = 0;

  lowerBound(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(k: string, key: Uint8Array, value: Uint8Array): void {
    const old = this.entries.get(k);
    if (old === undefined) {
      // Revisions arrive in increasing order, so the common case is an append.
      const n = this.keys.length;
      if (n === 0 || this.keys[n - 1] < k) this.keys.push(k);
      else this.keys.splice(this.lowerBound(k), 0, k);
    } else {
      this.bytes -= old[0].byteLength + old[1].byteLength;
    }
    this.entries.set(k, [key, value]);
    this.bytes += key.byteLength + value.byteLength;
  }

  delete(k: string): void {
    const old = this.entries.get(k);
    if (old === undefined) return;
    this.entries.delete(k);
    this.bytes -= old[0].byteLength + old[1].byteLength;
    this.keys.splice(this.lowerBound(k), 1);
  }

  /** A frozen copy: later sets and deletes do not reach it. */
  copy(): SortedBucket {
    const c = new SortedBucket();
    for (const k of this.keys) c.keys.push(k);
    for (const [k, e] of this.entries) c.entries.set(k, e);
    c.bytes = this.bytes;
    return c;
  }

  *scan(start: string, end: string | undefined): IterableIterator<[Uint8Array, Uint8Array]> {
    // Index-based so concurrent deletions behind the cursor do not skip entries.
    let k = start;
    for (;;) {
      const i = this.lowerBound(k);
      if (i >= this.keys.length) return;
      const key = this.keys[i];
      if (end !== undefined && key >= end) return;
      yield this.entries.get(key)!;
      k = key + '\0';
    }
  }
}

export class MemoryBackend implements Backend {
  private readonly buckets = new Map<BucketName, SortedBucket>(BUCKETS.map((b) => [b, new SortedBucket()]));
  private batch = new WriteBuffer();
  private closed = false;

  get(bucket: BucketName, key: Uint8Array): Uint8Array | undefined {
    const v = this.batch.get(bucket, key);
    if (v !== undefined) return v === null ? undefined : v;
    return this.buckets.get(bucket)!.entries.get(bytesToKey(key))?.[1];
  }

  put(bucket: BucketName, key: Uint8Array, value: Uint8Array): void {
    this.assertOpen();
    this.batch.put(bucket, key, value);
  }

  delete(bucket: BucketName, key: Uint8Array): void {
    this.assertOpen();
    this.batch.put(bucket, key, null);
  }

  range(bucket: BucketName, start: Uint8Array, end?: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    const committed = this.buckets.get(bucket)!.scan(bytesToKey(start), end === undefined ? undefined : bytesToKey(end));
    return mergeLayers([this.batch], bucket, start, end, committed);
  }

  pendingWrites(): number {
    return this.batch.writes;
  }

  async commit(): Promise<void> {
    this.assertOpen();
    const batch = this.batch;
    this.batch = new WriteBuffer();
    for (const [name, writes] of batch.buckets) {
      const b = this.buckets.get(name)!;
      for (const [k, w] of writes) {
        if (w.value === null) b.delete(k);
        else b.set(k, w.key, w.value);
      }
    }
  }

  async snapshotView(): Promise<BackendView> {
    await this.commit();
    // Values are never mutated in place (set replaces the pair), so copying the index suffices.
    const frozen = new Map<BucketName, SortedBucket>([...this.buckets].map(([name, b]) => [name, b.copy()]));
    let open = true;
    return {
      range(bucket, start, end) {
        if (!open) throw new Error('backend: snapshot view closed');
        const b = frozen.get(bucket);
        if (b === undefined) throw new Error(`backend: unknown bucket ${bucket}`);
        return b.scan(start === undefined ? '' : bytesToKey(start), end === undefined ? undefined : bytesToKey(end));
      },
      close() {
        open = false;
      },
    };
  }

  /** Drops the uncommitted batch, as a crash would. */
  discardUncommitted(): void {
    this.batch = new WriteBuffer();
  }

  size(): number {
    return this.sizeInUse();
  }

  sizeInUse(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.bytes;
    return n;
  }

  /** Nothing to reclaim: memory holds no free pages. */
  async defrag(): Promise<void> {
    await this.commit();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('backend: closed');
  }
}
