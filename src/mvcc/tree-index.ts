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
    this.getOrCreate(key).put(main, sub);
  }

  tombstone(key: Uint8Array, main: number, sub: number): void {
    const ki = this.byKey.get(bytesToKey(key));
    if (ki === undefined) throw new Error('mvcc: tombstone on an unknown key');
    ki.tombstone(main, sub);
  }

  getOrCreate(key: Uint8Array): KeyIndex {
    const k = bytesToKey(key);
    let ki = this.byKey.get(k);
    if (ki === undefined) {
      ki = new KeyIndex(k);
      this.byKey.set(k, ki);
      this.ordered.insert(k);
    }
    return ki;
  }

  /** Forgets a key whose whole history was undone (a rolled-back write txn created it). */
  dropIfEmpty(ki: KeyIndex): void {
    if (!ki.isEmpty || this.byKey.get(ki.name) !== ki) return;
    this.byKey.delete(ki.name);
    this.ordered.delete(ki.name);
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
    this.ordered = SortedKeys.fromSorted(keys);
  }
}
