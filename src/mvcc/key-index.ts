// The revision history of one key, as generations: a generation runs from the put
// that created the key to the tombstone that deleted it. The last generation is the
// live one (empty when the key is currently deleted).

/** Shared by every empty generation; never written to. */
const EMPTY_REVS: number[] = Object.freeze([]) as unknown as number[];

export class Generation {
  /** Number of puts in this generation (the key's version at its latest put). */
  ver = 0;
  // Allocated on first add as one-element literals: a push onto [] reserves room for 17.
  mains: number[] = EMPTY_REVS;
  subs: number[] = EMPTY_REVS;
  createdMain = 0;
  createdSub = 0;

  get isEmpty(): boolean {
    return this.mains.length === 0;
  }

  add(main: number, sub: number): void {
    if (this.mains.length === 0) {
      this.createdMain = main;
      this.createdSub = sub;
      this.mains = [main];
      this.subs = [sub];
      return;
    }
    this.mains.push(main);
    this.subs.push(sub);
  }

  /** Takes back the latest add(): the generation's state before it. */
  removeLast(main: number, sub: number): void {
    const n = this.mains.length - 1;
    if (n < 0 || this.mains[n] !== main || this.subs[n] !== sub) throw new Error(`mvcc: undo of ${main}.${sub}, which is not the generation's latest revision`);
    this.ver--;
    if (n === 0) {
      this.mains = EMPTY_REVS;
      this.subs = EMPTY_REVS;
      this.createdMain = 0;
      this.createdSub = 0;
      return;
    }
    this.mains.pop();
    this.subs.pop();
  }

  /** Index of the last revision with main <= atRev, or -1. */
  lastAtOrBelow(atRev: number): number {
    let lo = 0;
    let hi = this.mains.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.mains[mid] <= atRev) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

export interface IndexedRev {
  main: number;
  sub: number;
  createdMain: number;
  version: number;
}

export class KeyIndex {
  modifiedMain = 0;
  modifiedSub = 0;
  generations: Generation[] = [new Generation()];

  /** The key as a latin1 string: one compact string per key instead of a buffer each. */
  constructor(readonly name: string) {}

  get key(): Uint8Array {
    return Buffer.from(this.name, 'latin1');
  }

  put(main: number, sub: number): void {
    if (main < this.modifiedMain || (main === this.modifiedMain && sub <= this.modifiedSub)) {
      throw new Error(`mvcc: put revision ${main}.${sub} not after ${this.modifiedMain}.${this.modifiedSub}`);
    }
    const g = this.generations[this.generations.length - 1];
    g.add(main, sub);
    g.ver++;
    this.modifiedMain = main;
    this.modifiedSub = sub;
  }

  /** Rebuilds a live generation from a stored KeyValue whose history before it is compacted away. */
  restore(createdMain: number, main: number, sub: number, version: number): void {
    const g = this.generations[this.generations.length - 1];
    if (!g.isEmpty) throw new Error('mvcc: restore into a non-empty generation');
    g.add(main, sub);
    g.createdMain = createdMain;
    g.createdSub = 0;
    g.ver = version;
    this.modifiedMain = main;
    this.modifiedSub = sub;
  }

  /**
   * Rebuilds a key whose only stored revision is its tombstone: a compaction at exactly
   * that revision kept it (etcd 3.5.18+), so watchers from there still see the delete.
   */
  restoreTombstone(main: number, sub: number): void {
    if (!this.isEmpty) throw new Error('mvcc: tombstone restore into a key with history');
    const g = this.generations[0];
    g.add(main, sub);
    g.createdMain = 0;
    g.createdSub = 0;
    g.ver = 1;
    this.modifiedMain = main;
    this.modifiedSub = sub;
    this.generations.push(new Generation());
  }

  tombstone(main: number, sub: number): void {
    if (this.generations[this.generations.length - 1].isEmpty) throw new Error('mvcc: tombstone on a deleted key');
    this.put(main, sub);
    this.generations.push(new Generation());
  }

  get isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0].isEmpty;
  }

  /**
   * Takes back the latest put(main, sub) or tombstone(main, sub) of a write txn that
   * is being rolled back; undone in reverse order, the key's history is as before.
   */
  undo(main: number, sub: number, tombstone: boolean): void {
    if (tombstone) {
      const open = this.generations.pop();
      if (open === undefined || !open.isEmpty || this.generations.length === 0) throw new Error('mvcc: undo of a tombstone the key does not end with');
    }
    this.generations[this.generations.length - 1].removeLast(main, sub);
    // The latest revision left anywhere in the history is the key's last modification.
    this.modifiedMain = 0;
    this.modifiedSub = 0;
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const g = this.generations[i];
      if (g.isEmpty) continue;
      this.modifiedMain = g.mains[g.mains.length - 1];
      this.modifiedSub = g.subs[g.subs.length - 1];
      break;
    }
  }

  /** Whether the key exists at the latest revision it has seen (its last generation is open). */
  get isLive(): boolean {
    return !this.generations[this.generations.length - 1].isEmpty;
  }

  /** The put visible at atRev, or undefined if the key does not exist then. */
  get(atRev: number): IndexedRev | undefined {
    const gens = this.generations;
    const last = gens.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = gens[i];
      if (g.isEmpty) continue;
      if (i !== last && g.mains[g.mains.length - 1] <= atRev) return undefined; // deleted by then
      if (g.mains[0] <= atRev) {
        const n = g.lastAtOrBelow(atRev);
        return { main: g.mains[n], sub: g.subs[n], createdMain: g.createdMain, version: g.ver - (g.mains.length - n - 1) };
      }
    }
    return undefined;
  }

  /**
   * Drops history not needed to read at atRev or later: everything below the latest
   * revision at or below atRev. A tombstone at exactly atRev stays (etcd 3.4.36, 3.5.18,
   * 3.6): a watch from the compaction revision still gets that delete. Each dropped
   * revision is reported so it can be removed from the backend too.
   */
  compact(atRev: number, dropped: (main: number, sub: number, tombstone: boolean) => void): void {
    const [genIdx, revIdx] = this.findCompaction(atRev);
    // Whole generations that ended below atRev; each ended with a tombstone.
    for (let i = 0; i < genIdx; i++) {
      const g = this.generations[i];
      for (let j = 0; j < g.mains.length; j++) dropped(g.mains[j], g.subs[j], j === g.mains.length - 1);
    }
    const g = this.generations[genIdx];
    if (!g.isEmpty && revIdx > 0) {
      // Never the generation's tombstone: that is at or above atRev.
      for (let j = 0; j < revIdx; j++) dropped(g.mains[j], g.subs[j], false);
      g.mains.splice(0, revIdx);
      g.subs.splice(0, revIdx);
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
  }

  /** Adds to keep what compact(atRev) would keep, without changing the index. */
  keep(atRev: number, keep: Set<string>): void {
    const g = this.keptGeneration(atRev);
    if (g !== undefined) keep.add(revKey(g.gen.mains[g.at], g.gen.subs[g.at]));
  }

  /** Whether keep(atRev) would hold this revision (one key's answer, without building the set). */
  keeps(atRev: number, main: number, sub: number): boolean {
    const g = this.keptGeneration(atRev);
    return g !== undefined && g.gen.mains[g.at] === main && g.gen.subs[g.at] === sub;
  }

  /**
   * Where the revision HashKV counts for a compaction at atRev sits, if any. A tombstone
   * at atRev is not counted though compact() keeps it: etcd keeps hashes equal to those
   * of releases that dropped it.
   */
  private keptGeneration(atRev: number): { gen: Generation; at: number } | undefined {
    const [genIdx, revIdx] = this.findCompaction(atRev);
    const g = this.generations[genIdx];
    if (g.isEmpty || revIdx < 0) return undefined;
    if (revIdx === g.mains.length - 1 && genIdx !== this.generations.length - 1) return undefined;
    return { gen: g, at: revIdx };
  }

  /** The first generation compaction keeps, and the index in it of the latest revision at or below atRev (-1: none). */
  private findCompaction(atRev: number): [number, number] {
    let gi = 0;
    // Skip generations whose tombstone is below atRev: they are entirely history.
    while (gi < this.generations.length - 1) {
      const g = this.generations[gi];
      if (g.mains[g.mains.length - 1] >= atRev) break;
      gi++;
    }
    const g = this.generations[gi];
    return [gi, g.lastAtOrBelow(atRev)];
  }
}

/** Set key for a revision in keep-sets. */
export function revKey(main: number, sub: number): string {
  return `${main}_${sub}`;
}
