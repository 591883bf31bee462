// One simulated member: the host around a RawNode. Its MemoryStorage is its disk
// (survives crashes); the RawNode and the state machine are volatile and rebuilt
// from the storage's snapshot on restart. The state machine is a hash chain over
// applied entries plus the set of removed members (which the host refuses to hear
// from, as etcd's transport does).

import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  RawNode,
  decodeConfChange,
  type ConfState,
  type Entry,
  type NodeId,
  type Ready,
} from '../../../src/raft/index.js';
import { Checker } from './checker.js';
import type { Prng } from './prng.js';

export interface RaftKnobs {
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
}

interface MachineState {
  hash: number;
  removed: NodeId[];
}

function encodeState(s: MachineState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ h: s.hash, r: s.removed.map(String) }));
}

function decodeState(b: Uint8Array): MachineState {
  if (b.length === 0) return { hash: 0, removed: [] };
  const o = JSON.parse(new TextDecoder().decode(b)) as { h: number; r: string[] };
  return { hash: o.h, removed: o.r.map((x) => BigInt(x)) };
}

export class Member {
  node: RawNode | undefined;
  appliedIndex = 0;
  hash = 0;
  confState: ConfState = { voters: [], learners: [] };
  removed = new Set<NodeId>();
  /** Applied its own removal: shut down for good. */
  stopped = false;
  /** Read requests in flight: ctx -> highest index applied anywhere when issued. */
  readonly reads = new Map<string, number>();
  readsDone = 0;
  private confChanged = false;
  private readonly raftRng: Prng;

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    rng: Prng,
    private readonly knobs: RaftKnobs,
    private readonly checker: Checker,
  ) {
    this.raftRng = rng;
    this.start();
  }

  get alive(): boolean {
    return this.node !== undefined && !this.stopped;
  }

  start(): void {
    const snap = this.storage.snapshot();
    const st = decodeState(snap.data);
    this.hash = st.hash;
    this.removed = new Set(st.removed);
    this.appliedIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
    this.reads.clear();
    this.node = new RawNode({
      id: this.id,
      storage: this.storage,
      applied: this.appliedIndex,
      electionTick: this.knobs.electionTick,
      heartbeatTick: this.knobs.heartbeatTick,
      preVote: this.knobs.preVote,
      checkQuorum: this.knobs.checkQuorum,
      maxSizePerMsg: this.knobs.maxSizePerMsg,
      maxInflightMsgs: this.knobs.maxInflightMsgs,
      random: () => this.raftRng.next(),
    });
  }

  crash(): void {
    this.node = undefined;
  }

  /** Persists a snapshot of the applied state and compacts the log, keeping `keep` entries. */
  snapshotAndCompact(keep: number): void {
    if (this.appliedIndex <= this.storage.snapshot().metadata.index) return;
    this.storage.createSnapshot(this.appliedIndex, this.confState, encodeState({ hash: this.hash, removed: [...this.removed] }));
    const ci = this.appliedIndex - keep;
    if (ci >= this.storage.firstIndex()) this.storage.compact(ci);
  }

  /** Runs one Ready cycle; returns it (its messages are to be sent: they are durable-backed). */
  handleReady(): Ready {
    const node = this.node!;
    const rd: Ready = node.ready();
    // 1. persist
    if (rd.snapshot) {
      this.storage.applySnapshot(rd.snapshot);
      const st = decodeState(rd.snapshot.data);
      this.checker.checkSnapshot(this.id, rd.snapshot.metadata.index, rd.snapshot.metadata.term, st.hash);
      this.hash = st.hash;
      this.removed = new Set(st.removed);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.confState = rd.snapshot.metadata.confState;
    }
    if (rd.entries.length > 0) {
      this.storage.append(rd.entries);
      for (const e of rd.entries) {
        let prevTerm: number | undefined;
        try {
          prevTerm = this.storage.term(e.index - 1);
        } catch {
          prevTerm = undefined;
        }
        this.checker.onPersist(e, prevTerm);
      }
    }
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    const st = node.status();
    if (rd.softState?.role === 'leader') {
      this.checker.onLeader(this.id, st.hardState.term);
      const s = this.storage;
      this.checker.checkLeaderCompleteness(this.id, st.hardState.term, s.firstIndex(), s.lastIndex(), (i) => s.term(i));
    }
    // 2. send (returned to the caller), 3. apply
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) {
      const key = Buffer.from(rs.requestCtx).toString('hex');
      const issuedAt = this.reads.get(key);
      if (issuedAt === undefined) continue; // issued before a crash: nobody is waiting
      this.checker.checkRead(this.id, rs.index, issuedAt);
      this.reads.delete(key);
      this.readsDone++;
    }
    node.advance(rd);
    // A member added by this change will be sent our latest snapshot: it must list it.
    if (this.confChanged && !this.stopped) this.snapshotAndCompact(5);
    this.confChanged = false;
    return rd;
  }

  private apply(e: Entry): void {
    if (e.index <= this.appliedIndex) return; // covered by an installed snapshot
    if (e.index !== this.appliedIndex + 1) this.checker.fail(`member ${this.id} applied ${e.index} after ${this.appliedIndex}`);
    this.hash = this.checker.onApply(this.id, e, this.hash);
    this.appliedIndex = e.index;
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    this.confState = this.node!.applyConfChange(cc);
    this.confChanged = true;
    if (cc.type === ConfChangeType.RemoveNode) {
      this.removed.add(cc.nodeId);
      if (cc.nodeId === this.id) this.stopped = true;
    }
  }
}
