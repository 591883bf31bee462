// The in-memory key index: every key's revision history, ordered by key so that
// range and prefix reads cost O(log n + k).
import { bytesToKey } from '../backend/bytes.js';
import { KeyIndex, type IndexedRev } from './key-index.js';
import { SortedKeys } from './sorted-keys.js';

export interface RangeEnd {
  /** latin1 end key; undefined = unbounded. */
  end: string | undefined;
  /** A single-key read. */
  single: boolean;
}

/** etcd's range_end convention: empty = the key alone, "\0" = every key >= key. */
export function parseRangeEnd(end: Uint8Array | undefined): RangeEnd {
  if (end === undefined || end.byteLength === 0) return { end: undefined, single: true };
  if (end.byteLength === 1 && end[0] === 0) return { end: undefined, single: false };
  return { end: bytesToKey(end), single: false };
}

export class TreeIndex {
  private byKey = new Map<string, KeyIndex>();
  private ordered = new SortedKeys();

  get size(): number {
    return this.byKey.size;
  }

  keyIndex(key: Uint8Array): KeyIndex | undefined {
    return this.byKey.get(bytesToKey(key));
  }

  get(key: Uint8Array, atRev: number): IndexedRev | undefined {
    return this.byKey.get(bytesToKey(key))?.get(atRev);
  }

  put(key: Uint8Array, main: number, sub: number): void {
    const k = bytesToKey(key);
    const ki = this.byKey.get(k);
    if (ki !== undefined) return this.putAt(ki, main, sub);
    const created = new KeyIndex(k);
    created.put(main, sub);
    this.byKey.set(k, created);
    this.ordered.insert(k, true);
  }

  /** A put to a key already in the index (found by keyIndex()); a deleted key comes back to life. */
  putAt(ki: KeyIndex, main: number, sub: number): void {
    const wasLive = ki.isLive;
    ki.put(main, sub);
    if (!wasLive) this.ordered.setLive(ki.name, true);
  }

  tombstone(key: Uint8Array, main: number, sub: number): void {
    const ki = this.byKey.get(bytesToKey(key));
    if (ki === undefined) throw new Error('mvcc: tombstone on an unknown key');
    this.tombstoneAt(ki, main, sub);
  }

  tombstoneAt(ki: KeyIndex, main: number, sub: number): void {
    ki.tombstone(main, sub);
    this.ordered.setLive(ki.name, false);
  }

  /**
   * Number of keys in [key, end) that exist at the latest revision the index holds:
   * a sum over chunks of the ordered keys, not a visit of each key. Only valid for a
   * read at that revision; older revisions must visit.
   */
  countLatest(key: Uint8Array, end: Uint8Array | undefined): number {
    const re = parseRangeEnd(end);
    if (re.single) return this.byKey.get(bytesToKey(key))?.isLive ? 1 : 0;
    const start = bytesToKey(key);
    if (re.end !== undefined && re.end <= start) return 0;
    return this.ordered.countLive(start, re.end);
  }

  /**
   * Takes back one change of a write txn being rolled back (see KeyIndex.undo): the
   * key's liveness follows, and a key whose whole history was undone (the txn created
   * it) is forgotten.
   */
  undoAt(ki: KeyIndex, main: number, sub: number, tombstone: boolean): void {
    ki.undo(main, sub, tombstone);
    if (this.byKey.get(ki.name) !== ki) throw new Error('mvcc: undo on a key index not in the index');
    if (ki.isEmpty) {
      this.byKey.delete(ki.name);
      this.ordered.delete(ki.name);
      return;
    }
    this.ordered.setLive(ki.name, ki.isLive);
  }

  /** Visits the key indexes in [key, end) ascending; the visitor returns false to stop. */
  visit(key: Uint8Array, end: Uint8Array | undefined, fn: (ki: KeyIndex) => boolean): void {
    const re = parseRangeEnd(end);
    if (re.single) {
      const ki = this.byKey.get(bytesToKey(key));
      if (ki !== undefined) fn(ki);
      return;
    }
    const start = bytesToKey(key);
    if (re.end !== undefined && re.end <= start) return;
    for (const k of this.ordered.range(start, re.end)) {
      if (!fn(this.byKey.get(k)!)) return;
    }
  }

  /** Compacts every key's history to atRev, reporting each revision dropped. */
  compact(atRev: number, dropped: (main: number, sub: number, tombstone: boolean) => void): void {
    const emptied: string[] = [];
    for (const [k, ki] of this.byKey) {
      ki.compact(atRev, dropped);
      if (ki.isEmpty) emptied.push(k);
    }
    for (const k of emptied) {
      this.byKey.delete(k);
      this.ordered.delete(k);
    }
  }

  /** The key index under a latin1 key name. */
  byName(name: string): KeyIndex | undefined {
    return this.byKey.get(name);
  }

  /** Whether keep(atRev) would hold anything, stopping at the first key that keeps a revision. */
  keepsAny(atRev: number): boolean {
    const probe = new Set<string>();
    for (const ki of this.byKey.values()) {
      ki.keep(atRev, probe);
      if (probe.size > 0) return true;
    }
    return false;
  }

  keep(atRev: number): Set<string> {
    const keep = new Set<string>();
    for (const ki of this.byKey.values()) ki.keep(atRev, keep);
    return keep;
  }

  /** Takes over key indexes built in bulk (restore), keyed by latin1 key. */
  load(entries: Map<string, KeyIndex>): void {
    const keys: string[] = [];
    for (const [k, ki] of entries) {
      if (ki.isEmpty) entries.delete(k);
      else keys.push(k);
    }
    keys.sort();
    this.byKey = entries;
    this.ordered = SortedKeys.fromSorted(
      keys,
      keys.map((k) => entries.get(k)!.isLive),
    );
  }
}
