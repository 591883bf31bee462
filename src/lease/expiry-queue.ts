// Leases ordered by when the leader should next look at them: a binary min-heap
// with one entry per lease, updated in place (etcd's LeaseExpiredNotifier).

interface Item {
  id: bigint;
  time: number;
}

export class ExpiryQueue {
  private heap: Item[] = [];
  private readonly pos = new Map<bigint, number>();

  get size(): number {
    return this.heap.length;
  }

  /** The earliest entry, if any. */
  peek(): Readonly<Item> | undefined {
    return this.heap[0];
  }

  /** Adds the lease or moves it to its new time. */
  registerOrUpdate(id: bigint, time: number): void {
    const i = this.pos.get(id);
    if (i === undefined) {
      this.heap.push({ id, time });
      this.pos.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const old = this.heap[i]!.time;
    this.heap[i]!.time = time;
    if (time < old) this.up(i);
    else this.down(i);
  }

  remove(id: bigint): void {
    const i = this.pos.get(id);
    if (i === undefined) return;
    const last = this.heap.length - 1;
    this.swap(i, last);
    this.heap.pop();
    this.pos.delete(id);
    if (i < this.heap.length) {
      this.up(i);
      this.down(i);
    }
  }

  clear(): void {
    this.heap = [];
    this.pos.clear();
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.heap[p]!.time <= this.heap[i]!.time) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.heap[l]!.time < this.heap[m]!.time) m = l;
      if (r < n && this.heap[r]!.time < this.heap[m]!.time) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const h = this.heap;
    [h[a], h[b]] = [h[b]!, h[a]!];
    this.pos.set(h[a]!.id, a);
    this.pos.set(h[b]!.id, b);
  }
}
