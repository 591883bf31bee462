// An ordered set of byte-string keys (as latin1 strings) kept in a list of sorted
// chunks: lookups and inserts are a binary search over chunk bounds plus one inside a
// chunk, so an insert moves at most one chunk's worth of entries instead of the
// whole key space, and range scans walk chunks in order.
//
// Each key also carries a live flag (the key exists at the store's latest revision),
// and each chunk its number of live keys, so that counting the live keys of a range
// adds up whole chunks and looks at single keys only in the two chunks at its ends:
// a count over a million keys costs a few thousand additions instead of a million
// index lookups.

const MAX_CHUNK = 512;

export class SortedKeys {
  private chunks: string[][] = [];
  /** live[c][i]: whether chunks[c][i] is live. */
  private live: boolean[][] = [];
  /** liveCounts[c]: how many of chunks[c] are live. */
  private liveCounts: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces the content with already sorted, distinct keys and their live flags. */
  static fromSorted(keys: string[], live: boolean[]): SortedKeys {
    if (live.length !== keys.length) throw new Error('sorted keys: one live flag per key');
    const s = new SortedKeys();
    for (let i = 0; i < keys.length; i += MAX_CHUNK / 2) {
      const flags = live.slice(i, i + MAX_CHUNK / 2);
      s.chunks.push(keys.slice(i, i + MAX_CHUNK / 2));
      s.live.push(flags);
      s.liveCounts.push(countTrue(flags, 0, flags.length));
    }
    s.count = keys.length;
    return s;
  }

  insert(k: string, live: boolean): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      this.live.push([live]);
      this.liveCounts.push(live ? 1 : 0);
      this.count = 1;
      return true;
    }
    const ci = this.chunkFor(k);
    const c = this.chunks[ci];
    const i = lowerBound(c, k);
    if (c[i] === k) return false;
    c.splice(i, 0, k);
    this.live[ci].splice(i, 0, live);
    if (live) this.liveCounts[ci]++;
    this.count++;
    if (c.length > MAX_CHUNK) {
      const flags = this.live[ci].splice(MAX_CHUNK / 2);
      const moved = countTrue(flags, 0, flags.length);
      this.chunks.splice(ci + 1, 0, c.splice(MAX_CHUNK / 2));
      this.live.splice(ci + 1, 0, flags);
      this.liveCounts.splice(ci + 1, 0, moved);
      this.liveCounts[ci] -= moved;
    }
    return true;
  }

  delete(k: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(k);
    const c = this.chunks[ci];
    const i = lowerBound(c, k);
    if (c[i] !== k) return false;
    c.splice(i, 1);
    const [wasLive] = this.live[ci].splice(i, 1);
    if (wasLive) this.liveCounts[ci]--;
    this.count--;
    if (c.length === 0) {
      this.chunks.splice(ci, 1);
      this.live.splice(ci, 1);
      this.liveCounts.splice(ci, 1);
    }
    return true;
  }

  /** Marks a key present in the set live or not. */
  setLive(k: string, live: boolean): void {
    const ci = this.chunks.length === 0 ? -1 : this.chunkFor(k);
    const i = ci < 0 ? -1 : lowerBound(this.chunks[ci], k);
    if (ci < 0 || this.chunks[ci][i] !== k) throw new Error('sorted keys: setLive on a key not in the set');
    const flags = this.live[ci];
    if (flags[i] === live) return;
    flags[i] = live;
    this.liveCounts[ci] += live ? 1 : -1;
  }

  /** Number of live keys with start <= key < end (end undefined: no upper bound). */
  countLive(start: string, end: string | undefined): number {
    if (this.chunks.length === 0) return 0;
    let n = 0;
    let ci = this.chunkFor(start);
    let i = lowerBound(this.chunks[ci], start);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci];
      if (end === undefined || c[c.length - 1] < end) {
        n += i === 0 ? this.liveCounts[ci] : countTrue(this.live[ci], i, c.length);
        continue;
      }
      // The chunk holding the end: count up to it, and stop.
      const j = lowerBound(c, end);
      return n + countTrue(this.live[ci], i, Math.max(i, j));
    }
    return n;
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

function countTrue(flags: boolean[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (flags[i]) n++;
  return n;
}
