// The host's handle on Raft. The host drives it in a loop:
//   tick() on a timer; step() for each peer message; propose()/readIndex() for clients;
//   if hasReady(): rd = ready(); persist rd.hardState, rd.snapshot and rd.entries
//   (fsync when rd.mustSync); then send rd.messages; then apply rd.committedEntries
//   (calling applyConfChange for conf-change entries); then advance(rd).
// Persisting before sending is what makes votes and acknowledgements durable before
// anyone can rely on them. ready() must not be called again before advance().

import { encodeConfChange } from './codec.js';
import { ProposalDroppedError, StepLocalMessageError, invariant } from './errors.js';
import type { ProgressState } from './progress.js';
import { Raft, type RaftConfig } from './raft.js';
import {
  EntryType,
  MessageType,
  NONE,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
} from './types.js';
import { isLocalMessage, isResponseMessage, newEntry, newMessage } from './util.js';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
}

export interface RaftStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  /** Only on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
  leadTransferee: NodeId;
  config: ConfState;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private readyOut = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.step(newMessage(MessageType.Hup, NONE, { from: this.raft.id }));
  }

  /** Throws ProposalDroppedError when it can't be accepted (no leader, transfer, too large). */
  propose(data: Uint8Array): void {
    this.raft.step(newMessage(MessageType.Prop, NONE, { from: this.raft.id, entries: [newEntry(0, 0, data)] }));
  }

  /**
   * Proposes several entries in one MsgProp: a follower forwards them to the leader as
   * one message, which takes them all or none. Throws ProposalDroppedError as propose().
   */
  proposeBatch(data: readonly Uint8Array[]): void {
    if (data.length === 0) return;
    this.raft.step(newMessage(MessageType.Prop, NONE, { from: this.raft.id, entries: data.map((d) => newEntry(0, 0, d)) }));
  }

  proposeConfChange(cc: ConfChange): void {
    const e = newEntry(0, 0, encodeConfChange(cc), EntryType.ConfChange);
    this.raft.step(newMessage(MessageType.Prop, NONE, { from: this.raft.id, entries: [e] }));
  }

  /** The host applied a conf-change entry; returns the resulting configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** A message from a peer. Responses from members no longer in the configuration are ignored. */
  step(m: Message): void {
    if (isLocalMessage(m.type)) throw new StepLocalMessageError();
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) return;
    try {
      this.raft.step(m);
    } catch (e) {
      // A forwarded proposal the leader can't take is simply lost; the proposer retries.
      if (m.type === MessageType.Prop && e instanceof ProposalDroppedError) return;
      throw e;
    }
  }

  /** Linearizable read: a ReadState with this ctx appears in a later Ready. */
  readIndex(requestCtx: Uint8Array): void {
    this.raft.step(newMessage(MessageType.ReadIndex, NONE, { entries: [newEntry(0, 0, requestCtx)] }));
  }

  transferLeader(transferee: NodeId): void {
    this.raft.step(newMessage(MessageType.TransferLeader, NONE, { from: transferee }));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage(MessageType.Unreachable, NONE, { from: id }));
  }

  /** Nothing listens at the peer's address: see Raft.peerDown. */
  reportDown(id: NodeId): void {
    this.raft.peerDown(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage(MessageType.SnapStatus, NONE, { from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    r.flushAppends();
    const ss = r.softState();
    if (ss.lead !== this.prevSoft.lead || ss.role !== this.prevSoft.role) return true;
    const hs = r.hardState();
    if (hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit) return true;
    return (
      r.log.hasPendingSnapshot() ||
      r.log.unstable.entries.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextEnts()
    );
  }

  ready(): Ready {
    invariant(!this.readyOut, 'ready() called again before advance()');
    const r = this.raft;
    r.flushAppends();
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.log.unstableEntries(),
      committedEntries: r.log.nextEnts(),
      messages: r.msgs,
      mustSync: false,
    };
    r.readStates = [];
    r.msgs = [];
    const ss = r.softState();
    if (ss.lead !== this.prevSoft.lead || ss.role !== this.prevSoft.role) {
      rd.softState = ss;
      this.prevSoft = ss;
    }
    const hs = r.hardState();
    if (hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit) {
      rd.hardState = hs;
      rd.mustSync = hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote;
      this.prevHard = hs;
    }
    if (r.log.unstable.snapshot) rd.snapshot = r.log.unstable.snapshot;
    if (rd.entries.length > 0) rd.mustSync = true;
    this.readyOut = true;
    return rd;
  }

  advance(rd: Ready): void {
    invariant(this.readyOut, 'advance() without ready()');
    this.readyOut = false;
    const r = this.raft;
    if (rd.snapshot) r.onSnapshotPersisted(rd.snapshot.metadata.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.onPersisted(last.index, last.term);
    }
    if (rd.committedEntries.length > 0) {
      r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.index, rd.committedEntries);
    }
  }

  status(): RaftStatus {
    const r = this.raft;
    const s: RaftStatus = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      leadTransferee: r.leadTransferee,
      config: r.trk.confState(),
    };
    if (r.role === 'leader') {
      s.progress = new Map();
      for (const [id, pr] of r.trk.progress) s.progress.set(id, { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner });
    }
    return s;
  }
}


