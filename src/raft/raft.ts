// The Raft state machine. Pure and deterministic: no clocks, timers, I/O or global
// randomness; time is tick(), randomness is the injected `random`, and every output
// is a message in `msgs`, an entry in the log or a read state, drained by RawNode.

import { ProposalDroppedError, invariant } from './errors.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { ReadOnly, type ReadOnlyOption } from './readonly.js';
import type { RaftStorage } from './storage.js';
import { ProgressTracker } from './tracker.js';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  NONE,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftRole,
  type ReadState,
  type Snapshot,
  type SoftState,
} from './types.js';
import { EMPTY_BYTES, bytesKey, entrySize, newEntry, newMessage, voteResponseType } from './util.js';

export interface RaftConfig {
  id: NodeId;
  electionTick: number;
  heartbeatTick: number;
  storage: RaftStorage;
  applied?: number;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  maxUncommittedEntriesSize?: number;
  checkQuorum?: boolean;
  preVote?: boolean;
  random: () => number;
  readOnlyOption?: ReadOnlyOption;
}

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** Marks a vote request as part of a leader transfer, which overrides the leader lease. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');
const CAMPAIGN_TRANSFER_KEY = bytesKey(CAMPAIGN_TRANSFER);

const DEFAULT_MAX_SIZE_PER_MSG = 1024 * 1024;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: RaftRole = 'follower';
  readonly log: RaftLog;
  trk: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf change (or the leader's first entry) that must apply before another. */
  pendingConfIndex = 0;
  private uncommittedSize = 0;
  private readOnly: ReadOnly;
  private pendingReadIndexMessages: Message[] = [];
  /** Proposals since the last flush: followers get one MsgApp for the whole batch. */
  private appendPending = false;

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly random: () => number;
  private readonly readOnlyOption: ReadOnlyOption;

  constructor(c: RaftConfig) {
    invariant(c.id !== NONE, 'cannot use none as id');
    invariant(c.heartbeatTick > 0, 'heartbeat tick must be greater than 0');
    invariant(c.electionTick > c.heartbeatTick, 'election tick must be greater than heartbeat tick');
    invariant(typeof c.random === 'function', 'random source is required');
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.maxMsgSize = c.maxSizePerMsg ?? DEFAULT_MAX_SIZE_PER_MSG;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ?? Infinity;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.random = c.random;
    this.readOnlyOption = c.readOnlyOption ?? 'safe';
    this.readOnly = new ReadOnly(this.readOnlyOption);
    this.log = new RaftLog(c.storage, Math.max(this.maxMsgSize, DEFAULT_MAX_SIZE_PER_MSG));
    this.trk = new ProgressTracker(c.maxInflightMsgs ?? 256);

    const { hardState, confState } = c.storage.initialState();
    this.restoreConfig(confState);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      invariant(
        hardState.commit >= this.log.committed && hardState.commit <= this.log.lastIndex(),
        `state.commit ${hardState.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
      );
      this.log.commitTo(hardState.commit);
      this.term = hardState.term;
      this.vote = hardState.vote;
    }
    if (c.applied && c.applied > 0) this.log.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
  }

  // ---- state observed by RawNode ----

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  isLearner(): boolean {
    return this.trk.learners.has(this.id);
  }

  /** Can campaign: a voter, and not in the middle of installing a snapshot. */
  promotable(): boolean {
    return this.trk.voters.has(this.id) && !this.log.hasPendingSnapshot();
  }

  // ---- sending ----

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === MessageType.Vote || t === MessageType.VoteResp || t === MessageType.PreVote || t === MessageType.PreVoteResp) {
      // Vote messages carry the term being voted in, which for pre-votes is not ours.
      invariant(m.term !== 0, `term should be set when sending ${MessageType[t]}`);
    } else {
      invariant(m.term === 0, `term should not be set when sending ${MessageType[t]} (was ${m.term})`);
      // Forwarded proposals and read requests are term-less: the leader treats them as local.
      if (t !== MessageType.Prop && t !== MessageType.ReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends what `to` is missing; false when nothing was sent (paused, or up to date and !sendIfEmpty). */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    let term: number;
    let ents: Entry[];
    try {
      term = this.log.term(pr.next - 1);
      ents = this.log.entries(pr.next, this.maxMsgSize);
    } catch {
      return this.sendSnapshot(to, pr);
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(newMessage(MessageType.App, to, { index: pr.next - 1, logTerm: term, entries: ents, commit: this.log.committed }));
    if (ents.length > 0) {
      if (pr.state === 'replicate') {
        const last = ents[ents.length - 1]!.index;
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === 'probe') {
        pr.probeSent = true;
      }
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A snapshot is expensive: only for followers known to be alive.
    if (!pr.recentActive) return false;
    const snap = this.log.snapshot();
    invariant(snap.metadata.index !== 0, 'need non-empty snapshot');
    pr.becomeSnapshot(snap.metadata.index);
    this.send(newMessage(MessageType.Snap, to, { snapshot: snap }));
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    // Never tell a follower to commit past what it is known to have: its log beyond
    // match may still diverge from ours.
    const pr = this.trk.progress.get(to)!;
    const m = newMessage(MessageType.Heartbeat, to, { commit: Math.min(pr.match, this.log.committed) });
    if (ctx !== undefined) m.context = ctx;
    this.send(m);
  }

  bcastAppend(): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx = this.readOnly.lastPendingRequestCtx()): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  /** Sends the batch of entries proposed since the last call (RawNode calls this before a Ready). */
  flushAppends(): void {
    if (!this.appendPending) return;
    this.appendPending = false;
    if (this.role !== 'leader') return;
    for (const [id, pr] of this.trk.progress) {
      if (id === this.id) continue;
      this.sendAppend(id);
      // A batch larger than one message fills the follower's window right away.
      for (let i = 0; pr.state === 'replicate' && i < pr.inflights.size && this.maybeSendAppend(id, false); i++);
    }
  }

  // ---- commit ----

  private maybeCommit(): boolean {
    return this.log.maybeCommit(this.trk.committed(), this.term);
  }

  /** The host made entries durable up to (index, term); the leader counts its own copy now. */
  onPersisted(index: number, term: number): void {
    if (!this.log.stableTo(index, term)) return;
    if (this.role !== 'leader') return;
    const pr = this.trk.progress.get(this.id);
    if (pr && pr.maybeUpdate(this.log.persistedIndex()) && this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  /** The host persisted the snapshot, and its state is now the applied state. */
  onSnapshotPersisted(index: number): void {
    this.log.stableSnapTo(index);
    if (index > this.log.applied) this.log.appliedTo(index);
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const next = this.log.lastIndex() + 1;
    for (const [id, pr] of this.trk.progress) {
      const fresh = new Progress(next, this.trk.maxInflight, pr.isLearner);
      if (id === this.id) fresh.match = this.log.persistedIndex();
      this.trk.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnlyOption);
    this.pendingReadIndexMessages = [];
    this.appendPending = false;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.random();
    invariant(r >= 0 && r < 1, `random() returned ${r}, outside [0,1)`);
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition [leader -> pre-candidate]');
    // Neither term nor vote change: a pre-election must not disturb anyone.
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    invariant(this.role !== 'follower', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.trk.progress.get(this.id);
    if (self) self.becomeReplicate();
    // §5.4.2: a leader learns what is committed only by committing an entry of its own term.
    const ok = this.appendEntries([newEntry(0, 0)]);
    invariant(ok, 'empty entry was dropped');
    // No conf change until that entry applies: the one-at-a-time rule is only safe
    // once the leader has committed in its term (single-server change fix).
    this.pendingConfIndex = this.log.lastIndex();
  }

  private appendEntries(es: Entry[]): boolean {
    let li = this.log.lastIndex();
    let size = 0;
    for (const e of es) {
      e.term = this.term;
      e.index = ++li;
      size += e.data.length;
    }
    // An empty batch (e.g. the leader's first entry) is always accepted so it can't deadlock.
    if (this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > this.maxUncommittedSize) return false;
    this.uncommittedSize += size;
    this.log.append(es);
    return true;
  }

  private reduceUncommittedSize(ents: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let s = 0;
    for (const e of ents) s += e.data.length;
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  /** The host applied entries up to `index`. */
  appliedTo(index: number, ents: Entry[]): void {
    this.log.appliedTo(index);
    if (this.role === 'leader') this.reduceUncommittedSize(ents);
  }

  /**
   * The transport found nothing listening at a peer's address (connection refused).
   * When that peer is our leader its process is gone, and sitting out the lease only
   * delays the election: the follower leaves the lease now (so it grants votes) and
   * campaigns when its randomized timeout runs out, which still spreads the
   * candidates apart. Liveness only: a live leader's next message resets the timer.
   */
  peerDown(id: NodeId): void {
    if (this.role !== 'follower' || id === NONE || this.lead !== id) return;
    this.electionElapsed = Math.max(this.electionElapsed, this.electionTimeout);
  }

  // ---- ticks ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage(MessageType.Hup, NONE, { from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage(MessageType.CheckQuorum, NONE, { from: this.id }));
      // A transfer that didn't finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage(MessageType.Beat, NONE, { from: this.id }));
    }
  }

  // ---- elections ----

  private hup(t: CampaignType): void {
    if (this.role === 'leader') return;
    if (!this.promotable()) return;
    // A committed but unapplied conf change may remove us or change the quorum: wait.
    if (this.log.committed > this.log.applied) {
      const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
      const ents = lo <= this.log.committed ? this.log.slice(lo, this.log.committed + 1, Infinity) : [];
      if (ents.some((e) => e.type === EntryType.ConfChange)) return;
    }
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteType: MessageType;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1; // the term we'd campaign in; ours is unchanged
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    // Our own vote: the hardState carrying it is persisted before the requests leave.
    this.trk.recordVote(this.id, true);
    if (this.trk.voteResult() === 'won') {
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.voters) {
      if (id === this.id) continue;
      const m = newMessage(voteType, id, { term, index: this.log.lastIndex(), logTerm: this.log.lastTerm() });
      if (t === 'transfer') m.context = CAMPAIGN_TRANSFER;
      this.send(m);
    }
  }

  // ---- step ----

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = m.context !== undefined && bytesKey(m.context) === CAMPAIGN_TRANSFER_KEY;
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Leader lease: we heard from a leader recently, so a candidate is most likely
        // a partitioned or removed member; don't let it depose a healthy leader.
        if (!force && inLease) return;
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The granted term is the one we're about to campaign in.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (e.g. after a partition healed) would otherwise never hear
        // our term; with checkQuorum/preVote we never raised it by disrupting anyone.
        this.send(newMessage(MessageType.AppResp, m.from));
      } else if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
        // Tell a stale candidate our term. It may be the only member able to win (it
        // holds entries we lack) while we campaign in a configuration it can't see.
        this.send(newMessage(voteResponseType(m.type), m.from, { term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? 'pre-election' : 'election');
        return;
      case MessageType.Vote:
      case MessageType.PreVote: {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.PreVote && m.term > this.term);
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          this.send(newMessage(voteResponseType(m.type), m.from, { term: m.term }));
          if (m.type === MessageType.Vote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(newMessage(voteResponseType(m.type), m.from, { term: this.term, reject: true }));
        }
        return;
      }
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive(this.id)) {
          this.becomeFollower(this.term, NONE);
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case MessageType.Prop:
        this.leaderPropose(m);
        return;
      case MessageType.ReadIndex:
        if (this.trk.isSingleton()) {
          this.respondToReadIndex(m, this.log.committed);
          return;
        }
        // Until an entry of our term commits we don't know the true commit index.
        if (this.log.termOrZero(this.log.committed) !== this.term) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.sendReadIndexResponse(m);
        return;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        if (m.reject) {
          const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
          if (pr.maybeDecrTo(m.index, hint)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        {
          const oldPaused = pr.isPaused();
          if (!pr.maybeUpdate(m.index)) return;
          if (pr.state === 'probe') {
            pr.becomeReplicate();
          } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
            pr.becomeProbe();
            pr.becomeReplicate();
          } else if (pr.state === 'replicate') {
            pr.inflights.freeLE(m.index);
          }
          if (this.maybeCommit()) {
            this.releasePendingReadIndexMessages();
            this.bcastAppend();
          } else if (oldPaused) {
            this.sendAppend(m.from);
          }
          // Keep the pipeline full while the window allows.
          for (let i = 0; i < pr.inflights.size && this.maybeSendAppend(m.from, false); i++);
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
        }
        return;
      case MessageType.HeartbeatResp: {
        pr.recentActive = true;
        pr.probeSent = false;
        // A lost MsgApp would otherwise keep a full window blocked forever.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (this.readOnly.option !== 'safe' || m.context === undefined || m.context.length === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks || !this.trk.hasQuorum(acks)) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case MessageType.SnapStatus:
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing: the follower may still be applying.
        pr.probeSent = true;
        return;
      case MessageType.Unreachable:
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case MessageType.TransferLeader: {
        if (pr.isLearner) return;
        const transferee = m.from;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return;
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return;
        // The transfer must finish within one election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return;
      }
    }
  }

  private leaderPropose(m: Message): void {
    invariant(m.entries.length > 0, 'stepped empty MsgProp');
    if (!this.trk.progress.has(this.id)) throw new ProposalDroppedError('leader is not a member');
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError('leader transfer in progress');
    for (const e of m.entries) {
      if (e.type !== EntryType.ConfChange) continue;
      if (this.pendingConfIndex > this.log.applied) {
        throw new ProposalDroppedError('a conf change is already pending (or the leader has not committed in its term)');
      }
    }
    if (!this.appendEntries(m.entries)) throw new ProposalDroppedError('too many uncommitted entries');
    for (const e of m.entries) if (e.type === EntryType.ConfChange) this.pendingConfIndex = e.index;
    this.appendPending = true;
  }

  private sendReadIndexResponse(m: Message): void {
    if (this.readOnly.option === 'safe') {
      const ctx = m.entries[0]!.data;
      this.readOnly.addRequest(this.log.committed, m);
      this.readOnly.recvAck(this.id, ctx);
      this.bcastHeartbeat(ctx);
    } else {
      this.respondToReadIndex(m, this.log.committed);
    }
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (this.log.termOrZero(this.log.committed) !== this.term) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendReadIndexResponse(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.entries[0]!.data });
      return;
    }
    this.send(newMessage(MessageType.ReadIndexResp, req.from, { index, entries: req.entries }));
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(newMessage(MessageType.TimeoutNow, to));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private stepCandidate(m: Message): void {
    const myVoteResp = this.role === 'pre-candidate' ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        throw new ProposalDroppedError('no leader');
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResp: {
        this.trk.recordVote(m.from, !m.reject);
        const res = this.trk.voteResult();
        if (res === 'won') {
          if (this.role === 'pre-candidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return;
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.TimeoutNow:
        // The leader chose us: campaign now, past pre-vote and any lease.
        this.hup('transfer');
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) return;
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.ReadIndexResp:
        if (m.entries.length !== 1) return;
        this.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(newMessage(MessageType.AppResp, m.from, { index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      this.send(newMessage(MessageType.AppResp, m.from, { index: lastNew }));
      return;
    }
    // Tell the leader where our log might match so it can skip a whole term at once.
    let hintIndex = Math.min(m.index, this.log.lastIndex());
    hintIndex = this.log.findConflictByTerm(hintIndex, m.logTerm);
    const hintTerm = this.log.termOrZero(hintIndex);
    this.send(newMessage(MessageType.AppResp, m.from, { index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm }));
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    const resp = newMessage(MessageType.HeartbeatResp, m.from);
    if (m.context !== undefined) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s && this.restore(s)) {
      this.send(newMessage(MessageType.AppResp, m.from, { index: this.log.lastIndex() }));
    } else {
      this.send(newMessage(MessageType.AppResp, m.from, { index: this.log.committed }));
    }
  }

  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.role !== 'follower') {
      // Defensive: only a follower installs snapshots.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = s.metadata.confState;
    if (!cs.voters.includes(this.id) && !cs.learners.includes(this.id)) return false;
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the snapshot's last entry: just fast-forward the commit.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.restoreConfig(cs);
    return true;
  }

  private restoreConfig(cs: ConfState): void {
    this.trk = new ProgressTracker(this.trk.maxInflight);
    const next = this.log.lastIndex() + 1;
    for (const id of cs.voters) {
      this.trk.voters.add(id);
      this.trk.progress.set(id, new Progress(next, this.trk.maxInflight, false));
    }
    for (const id of cs.learners) {
      invariant(!this.trk.voters.has(id), `${id} is both voter and learner`);
      this.trk.learners.add(id);
      this.trk.progress.set(id, new Progress(next, this.trk.maxInflight, true));
    }
    const self = this.trk.progress.get(this.id);
    if (self) self.match = this.log.persistedIndex();
  }

  // ---- membership ----

  applyConfChange(cc: ConfChange): ConfState {
    const id = cc.nodeId;
    const next = this.log.lastIndex() + 1;
    switch (cc.type) {
      case ConfChangeType.AddNode: {
        const pr = this.trk.progress.get(id);
        if (pr) {
          // Promotion keeps the learner's replication progress.
          pr.isLearner = false;
          this.trk.learners.delete(id);
        } else {
          const fresh = new Progress(next, this.trk.maxInflight, false);
          fresh.recentActive = true;
          this.trk.progress.set(id, fresh);
        }
        this.trk.voters.add(id);
        break;
      }
      case ConfChangeType.AddLearnerNode: {
        // Demoting a voter with a single change is not supported: leave voters alone.
        if (this.trk.voters.has(id) || this.trk.learners.has(id)) break;
        const fresh = new Progress(next, this.trk.maxInflight, true);
        fresh.recentActive = true;
        this.trk.progress.set(id, fresh);
        this.trk.learners.add(id);
        break;
      }
      case ConfChangeType.RemoveNode:
        this.trk.voters.delete(id);
        this.trk.learners.delete(id);
        this.trk.progress.delete(id);
        if (this.leadTransferee === id) this.abortLeaderTransfer();
        break;
      case ConfChangeType.UpdateNode:
        break;
    }
    if (this.role === 'leader') {
      if (!this.trk.voters.has(this.id)) {
        // Removed (or no longer a voter): stop leading so the rest can elect a leader.
        this.becomeFollower(this.term, NONE);
      } else if (this.maybeCommit()) {
        // The quorum may have shrunk.
        this.bcastAppend();
      } else {
        for (const pid of this.trk.progress.keys()) if (pid !== this.id) this.maybeSendAppend(pid, false);
      }
    }
    return this.trk.confState();
  }
}
