// An ordered set of byte-string keys (as latin1 strings) kept in a list of sorted
// chunks: lookups and inserts are a binary search over chunk bounds plus one inside a
// chunk, so an insert moves at most one chunk's worth of entries instead of the
// whole key space, and range scans walk chunks in order.

const MAX_CHUNK = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces the content with already sorted, distinct keys. */
  static fromSorted(keys: string[]): SortedKeys {
    const s = new SortedKeys();
    for (let i = 0; i < keys.length; i += MAX_CHUNK / 2) s.chunks.push(keys.slice(i, i + MAX_CHUNK / 2));
    s.count = keys.length;
    return s;
  }

  insert(k: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      this.count = 1;
      return true;
    }
    const ci = this.chunkFor(k);
    const c = this.chunks[ci];
    const i = lowerBound(c, k);
    if (c[i] === k) return false;
    c.splice(i, 0, k);
    this.count++;
    if (c.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, c.splice(MAX_CHUNK / 2));
    return true;
  }

  delete(k: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(k);
    const c = this.chunks[ci];
    const i = lowerBound(c, k);
    if (c[i] !== k) return false;
    c.splice(i, 1);
    this.count--;
    if (c.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Keys with start <= key < end in ascending order (end undefined: no upper bound). */
  *range(start: string, end: string | undefined): IterableIterator<string> {
    if (this.chunks.length === 0) return;
    let ci = this.chunkFor(start);
    let i = lowerBound(this.chunks[ci], start);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci];
      for (; i < c.length; i++) {
        if (end !== undefined && c[i] >= end) return;
        yield c[i];
      }
    }
  }

  /** The chunk whose span holds k: the last chunk whose first key is <= k (or the first chunk). */
  private chunkFor(k: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid][0] <= k) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : lo - 1;
  }
}

function lowerBound(a: string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
