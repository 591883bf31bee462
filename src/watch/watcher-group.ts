// The synced watchers, found by event key: single-key watchers through a map,
// range watchers by scanning (ranges are few next to single keys in practice).
import type { Watcher } from './watcher.js';

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    if (w.isRange) {
      if (this.ranges.has(w)) return;
      this.ranges.add(w);
    } else {
      let set = this.byKey.get(w.keyStr);
      if (set === undefined) this.byKey.set(w.keyStr, (set = new Set()));
      if (set.has(w)) return;
      set.add(w);
    }
    this.count++;
  }

  delete(w: Watcher): boolean {
    let removed: boolean;
    if (w.isRange) removed = this.ranges.delete(w);
    else {
      const set = this.byKey.get(w.keyStr);
      removed = set?.delete(w) ?? false;
      if (set !== undefined && set.size === 0) this.byKey.delete(w.keyStr);
    }
    if (removed) this.count--;
    return removed;
  }

  forEach(fn: (w: Watcher) => void): void {
    for (const set of this.byKey.values()) for (const w of set) fn(w);
    for (const w of this.ranges) fn(w);
  }

  /** Calls fn for every watcher whose range holds key. */
  forEachMatch(key: Uint8Array, keyStr: string, fn: (w: Watcher) => void): void {
    const set = this.byKey.get(keyStr);
    if (set !== undefined) for (const w of set) fn(w);
    for (const w of this.ranges) if (w.contains(key)) fn(w);
  }
}
