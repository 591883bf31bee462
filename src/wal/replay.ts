// Rebuilds what the WAL holds from its frames in write order, applying Raft's
// log semantics: an entry at index i replaces the entry at i and drops every
// entry after it (a leader overwrote a conflicting suffix).
//
// Replay starts at a snapshot marker: the one the caller names (it must be in
// the WAL), or else the latest marker written. Entries at or below it are
// covered by the snapshot and dropped; entries above it must follow with no gap.
//
// Without a named marker the latest one is only known at the end, and after
// releaseTo() the oldest kept segment can begin with entries far above index 1,
// its covering marker written further on. So in that mode a gap is held as
// pending, the run restarts at the entry after it, and the gap is forgiven only
// if a later marker reaches the restarted run; otherwise it is reported.

import { WalCorruptError, WalSnapshotNotFoundError } from './errors.js';
import { decodeEntry, decodeHardState, decodeSnapshot, PayloadArena, RecordType } from './format.js';
import type { FrameVisitor } from './reader.js';
import type { Entry, HardState } from '../raft/types.js';

export interface WalSnapshot {
  index: number;
  term: number;
}

export interface WalReplay {
  metadata: Uint8Array;
  hardState: HardState;
  entries: Entry[];
  snapshot?: WalSnapshot;
}

export const ZERO_HARD_STATE: Readonly<HardState> = Object.freeze({ term: 0, vote: 0n, commit: 0 });

export class ReplayBuilder {
  private metadata?: Uint8Array;
  private hardState: HardState = { ...ZERO_HARD_STATE };
  /** Contiguous: entries[k].index === floor + 1 + k. */
  private entries: Entry[] = [];
  private floor: number;
  private found: boolean;
  private pendingGap?: WalCorruptError;
  private readonly arena = new PayloadArena();
  /** The newest marker written, whichever marker replay started from. */
  latestMarker?: WalSnapshot;
  file = '';

  constructor(private readonly from?: WalSnapshot) {
    this.floor = from?.index ?? 0;
    this.found = !from || from.index === 0;
  }

  readonly visit: FrameVisitor = (type, buf, start, end, offset) => {
    switch (type) {
      case RecordType.Metadata: {
        const md = buf.subarray(start, end);
        if (!this.metadata) this.metadata = new Uint8Array(md);
        else if (!md.equals(this.metadata)) throw new WalCorruptError(this.file, offset, 'metadata differs from earlier segments');
        return;
      }
      case RecordType.HardState:
        this.hardState = decodeHardState(buf, start, end);
        return;
      case RecordType.Snapshot:
        return this.marker(decodeSnapshot(buf, start, end));
      case RecordType.Entry:
        return this.entry(decodeEntry(buf, start, end, this.arena), offset);
      default:
        throw new WalCorruptError(this.file, offset, `unexpected record type ${type}`);
    }
  };

  private marker(m: WalSnapshot): void {
    if (!this.latestMarker || m.index >= this.latestMarker.index) this.latestMarker = m;
    if (this.from) {
      if (m.index === this.from.index && m.term === this.from.term) this.found = true;
      return;
    }
    if (m.index < this.floor) return;
    this.pendingGap = undefined;
    this.entries = this.entries.slice(m.index - this.floor);
    this.floor = m.index;
  }

  private entry(e: Entry, offset: number): void {
    if (e.index <= this.floor) return;
    const next = this.floor + this.entries.length + 1;
    if (e.index > next) {
      const gap = new WalCorruptError(this.file, offset, `entry ${e.index} leaves a gap after index ${next - 1}`);
      if (this.from) throw gap;
      this.pendingGap ??= gap;
      this.entries = [];
      this.floor = e.index - 1;
    }
    this.entries.length = e.index - this.floor - 1;
    this.entries.push(e);
  }

  finish(): WalReplay & { lastIndex: number } {
    if (!this.metadata) throw new WalCorruptError(this.file, 0, 'no metadata record');
    if (this.pendingGap) throw this.pendingGap;
    if (!this.found) throw new WalSnapshotNotFoundError(this.from!.index, this.from!.term);
    const snapshot = this.from ?? this.latestMarker;
    return {
      metadata: this.metadata,
      hardState: this.hardState,
      entries: this.entries,
      ...(snapshot ? { snapshot: { index: snapshot.index, term: snapshot.term } } : {}),
      lastIndex: this.floor + this.entries.length,
    };
  }
}
