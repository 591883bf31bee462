// The durable log as Raft reads it, and an in-memory implementation the host (or a
// test) writes to after each Ready. Index 0 of `ents` is a dummy standing for the
// snapshot: it carries the snapshot's index and term so term(snapshotIndex) works.

import { CompactedError, SnapOutOfDateError, UnavailableError, invariant } from './errors.js';
import { NONE, type ConfState, type Entry, type HardState, type NodeId, type Snapshot } from './types.js';
import { EMPTY_BYTES, cloneConfState, limitSize, newEntry } from './util.js';

export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxSize bytes but at least one. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Throws ErrCompacted below the first available index, ErrUnavailable past the last. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: NONE, commit: 0 };
  private snap: Snapshot;
  private ents: Entry[];

  /** `confState` seeds the configuration of the empty log (a bootstrapped member). */
  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.snap = { metadata: { index: 0, term: 0, confState: cloneConfState(confState) }, data: EMPTY_BYTES };
    this.ents = [newEntry(0, 0)];
  }

  /**
   * A founding member's storage: a snapshot at index 1 (term 1) whose configuration
   * is the initial voters, with `data` as the initial state. Members that join later
   * start empty and learn the configuration from the leader's snapshot.
   */
  static bootstrap(voters: NodeId[], data: Uint8Array = EMPTY_BYTES): MemoryStorage {
    invariant(voters.length > 0, 'bootstrap needs at least one voter');
    const s = new MemoryStorage();
    s.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters: [...voters], learners: [] } }, data });
    s.setHardState({ term: 1, vote: NONE, commit: 1 });
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError();
    if (hi > this.lastIndex() + 1) throw new Error(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    if (this.ents.length === 1) throw new UnavailableError();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(index: number): number {
    const offset = this.ents[0]!.index;
    if (index < offset) throw new CompactedError();
    if (index - offset >= this.ents.length) throw new UnavailableError();
    return this.ents[index - offset]!.term;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) throw new SnapOutOfDateError();
    this.snap = snap;
    this.ents = [newEntry(snap.metadata.term, snap.metadata.index)];
  }

  /** Records a snapshot of the state machine at `index` (which must be applied, hence in the log). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw new SnapOutOfDateError();
    invariant(index <= this.lastIndex(), `snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    const offset = this.ents[0]!.index;
    this.snap = { metadata: { index, term: this.ents[index - offset]!.term, confState: cloneConfState(confState) }, data };
    return this.snap;
  }

  /** Discards entries up to and including `index`; the caller must not need them any more. */
  compact(index: number): void {
    const offset = this.ents[0]!.index;
    if (index <= offset) throw new CompactedError();
    invariant(index <= this.lastIndex(), `compact ${index} is out of bound lastindex(${this.lastIndex()})`);
    const i = index - offset;
    const rest = this.ents.slice(i + 1);
    rest.unshift(newEntry(this.ents[i]!.term, index));
    this.ents = rest;
  }

  /** Appends entries, replacing any existing suffix they conflict with. */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // already compacted away
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const offset = entries[0]!.index - this.ents[0]!.index;
    if (this.ents.length > offset) {
      this.ents.length = offset;
      for (const e of entries) this.ents.push(e);
    } else if (this.ents.length === offset) {
      for (const e of entries) this.ents.push(e);
    } else {
      throw new Error(`missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`);
    }
  }
}
