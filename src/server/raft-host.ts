// The I/O edge around the pure Raft core: it owns the clock (ticks), the durable
// log (WAL) and the peer transport, and runs etcd's Ready loop:
//   persist hard state + entries (fsync) → send messages → apply committed → advance
// (a leader's appends leave before its fsync: see run()). While one fsync is in
// flight, new proposals pile up in the host's queue and enter Raft together in the
// next turn: that is the group commit.
import { RawNode, MemoryStorage, ProposalDroppedError, decodeConfChange, type ConfChange } from '../raft/index.js';
import { EntryType, type ConfState, type HardState, type Entry, type Message, type NodeId, type SoftState, type Snapshot } from '../raft/types.js';
import type { Wal } from '../wal/index.js';
import { Errors } from '../rpctypes/errors.js';
import type { Logger } from '../pkg/logger.js';
import { failpointsOn, failpoint, failpointAsync } from '../pkg/failpoint.js';

export interface RaftHostHooks {
  /** Committed normal entries, in log order; must be applied synchronously. */
  applyEntries(entries: Entry[]): void;
  /**
   * A committed membership change, after Raft applied it to its configuration; when
   * validateConfChange refused it, Raft's configuration is unchanged and `rejected` says why.
   */
  onConfChange(cc: ConfChange, confState: ConfState, index: number, rejected?: unknown): void;
  /** Checks a committed membership change before Raft applies it; an error makes it a no-op. */
  validateConfChange?(cc: ConfChange, index: number): unknown;
  onSoftState?(s: SoftState): void;
  /** Called after each apply round with the new applied index. */
  onApplied?(appliedIndex: number): void;
  /** A snapshot from the leader replaced the log: the state machine must be replaced too. */
  onSnapshot?(snapshot: Snapshot): void | Promise<void>;
}

export interface Transport {
  send(messages: Message[]): void;
}

interface PendingRead {
  ctx: Uint8Array;
  resolvers: Array<{ resolve: (index: number) => void; reject: (e: unknown) => void }>;
  readIndex?: number;
  sentAt: number;
}

/**
 * A ReadIndex request or its answer can be lost (a dropped peer message, a leader
 * that changed in between); like etcd 3.5, ask again with the same context rather
 * than wait for the request timeout — the first answer for that context wins.
 */
const READ_INDEX_RETRY_MS = 500;

export class RaftHost {
  appliedIndex: number;
  term = 0;
  lead: NodeId = 0n;
  confState: ConfState;
  private running = false;
  private scheduled = false;
  private stopped = false;
  private ticker?: NodeJS.Timeout;
  private readBatch: PendingRead['resolvers'] = [];
  private readsInFlight = new Map<string, PendingRead>();
  private readsAwaitingApply: PendingRead[] = [];
  private readSeq = 0n;
  /** Proposals since the last loop turn: they enter Raft together, as one MsgProp. */
  private proposals: Uint8Array[] = [];
  private proposalDropped: Array<(err: unknown) => void> = [];
  /** The last hard state Raft produced, and the last one written to the WAL. */
  private lastHs: HardState = { term: 0, vote: 0n, commit: 0 };
  private persistedHs: HardState = this.lastHs;
  private loopDone: Promise<void> = Promise.resolve();
  private fatal?: (e: unknown) => void;

  constructor(
    readonly id: NodeId,
    readonly node: RawNode,
    readonly storage: MemoryStorage,
    private readonly wal: Wal,
    private readonly hooks: RaftHostHooks,
    private readonly logger: Logger,
    private readonly transport: Transport = { send() {} },
    opts: { appliedIndex: number; confState: ConfState; onFatal?: (e: unknown) => void },
  ) {
    this.appliedIndex = opts.appliedIndex;
    this.lastHs = this.persistedHs = storage.initialState().hardState;
    this.confState = opts.confState;
    this.fatal = opts.onFatal;
  }

  start(tickMs: number): void {
    this.ticker = setInterval(() => {
      this.node.tick();
      this.retryStaleReads();
      this.kick();
    }, tickMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    await this.loopDone;
    for (const f of this.proposalDropped) f(Errors.Stopped);
    this.proposals = [];
    this.proposalDropped = [];
    for (const r of [...this.readBatch]) r.reject(Errors.Stopped);
    this.readBatch = [];
    for (const p of [...this.readsInFlight.values(), ...this.readsAwaitingApply]) for (const r of p.resolvers) r.reject(Errors.Stopped);
    this.readsInFlight.clear();
    this.readsAwaitingApply = [];
    for (const w of this.applyWaiters) w.resolve();
    this.applyWaiters = [];
  }

  private downLoggedTerm = -1;

  get isLeader(): boolean {
    return this.lead === this.id && this.lead !== 0n;
  }

  /**
   * Queues a proposal for the next loop turn, where all queued ones enter Raft as one
   * message (a follower forwards them to the leader in one frame). Throws
   * ProposalDroppedError at once when there is no leader; a drop found later (a leader
   * transfer, too many uncommitted entries) is reported through onDropped.
   */
  propose(data: Uint8Array, onDropped: (err: unknown) => void): void {
    if (this.stopped) throw Errors.Stopped;
    if (this.lead === 0n) throw new ProposalDroppedError('no leader');
    this.proposals.push(data);
    this.proposalDropped.push(onDropped);
    this.kick();
  }

  private flushProposals(): void {
    if (this.proposals.length === 0) return;
    const data = this.proposals;
    const dropped = this.proposalDropped;
    this.proposals = [];
    this.proposalDropped = [];
    try {
      this.node.proposeBatch(data);
    } catch (err) {
      for (const f of dropped) f(err);
    }
  }

  proposeConfChange(cc: ConfChange): void {
    if (this.stopped) throw Errors.Stopped;
    this.node.proposeConfChange(cc);
    this.kick();
  }

  step(m: Message): void {
    if (this.stopped) return;
    this.node.step(m);
    this.kick();
  }

  reportUnreachable(id: NodeId): void {
    if (this.stopped) return;
    this.node.reportUnreachable(id);
    this.kick();
  }

  reportDown(id: NodeId): void {
    if (this.stopped) return;
    // Once per term: the transport keeps redialing (and being refused) until a new leader.
    if (id === this.lead && !this.isLeader && this.downLoggedTerm !== this.term) {
      this.downLoggedTerm = this.term;
      this.logger.warn('leader refused the connection; not waiting out its lease before electing a new one', { 'leader-id': id.toString(16), term: this.term });
    }
    this.node.reportDown(id);
    this.kick();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.stopped) return;
    this.node.reportSnapshot(id, ok);
    this.kick();
  }

  transferLeader(transferee: NodeId): void {
    if (this.stopped) return;
    this.node.transferLeader(transferee);
    this.kick();
  }

  /**
   * Resolves with an index such that a read served once `appliedIndex` reaches it is
   * linearizable. Concurrent callers share one ReadIndex round, as etcd batches them.
   */
  readIndex(): Promise<number> {
    if (this.stopped) return Promise.reject(Errors.Stopped);
    return new Promise((resolve, reject) => {
      this.readBatch.push({ resolve, reject });
      this.kick();
    });
  }

  /** Pending read-index requests fail when leadership is lost before they complete. */
  private failReads(err: unknown): void {
    for (const p of this.readsInFlight.values()) for (const r of p.resolvers) r.reject(err);
    this.readsInFlight.clear();
  }

  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running) return;
      this.loopDone = this.run();
    });
  }

  private retryStaleReads(): void {
    const now = Date.now();
    for (const p of this.readsInFlight.values()) {
      if (now - p.sentAt < READ_INDEX_RETRY_MS) continue;
      p.sentAt = now;
      this.node.readIndex(p.ctx);
    }
  }

  private startReadRound(): void {
    if (this.readBatch.length === 0) return;
    this.readSeq += 1n;
    // The leader keys pending reads by context across all members: make it unique
    // cluster-wide with this member's ID, or two followers' reads would collide.
    const ctx = new Uint8Array(16);
    const view = new DataView(ctx.buffer);
    view.setBigUint64(0, BigInt.asUintN(64, this.id));
    view.setBigUint64(8, this.readSeq);
    const pending: PendingRead = { ctx, resolvers: this.readBatch, sentAt: Date.now() };
    this.readBatch = [];
    this.readsInFlight.set(Buffer.from(ctx).toString('hex'), pending);
    this.node.readIndex(ctx);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      this.flushProposals();
      this.startReadRound();
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        if (rd.softState) {
          const lostLeader = rd.softState.lead !== this.lead;
          this.lead = rd.softState.lead;
          if (lostLeader && this.readsInFlight.size) this.failReads(Errors.LeaderChanged);
          this.hooks.onSoftState?.(rd.softState);
        }
        if (rd.hardState) this.term = rd.hardState.term;
        if (rd.snapshot && rd.snapshot.metadata.index > 0) {
          if (failpointsOn) await failpointAsync('raftBeforeSaveSnap');
          await this.wal.saveSnapshot({ index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term });
          if (failpointsOn) await failpointAsync('raftAfterSaveSnap');
          this.storage.applySnapshot(rd.snapshot);
          this.appliedIndex = rd.snapshot.metadata.index;
          this.confState = rd.snapshot.metadata.confState;
          // Nothing else is applied until the state machine holds the snapshot.
          if (failpointsOn) await failpointAsync('raftBeforeApplySnap');
          await this.hooks.onSnapshot?.(rd.snapshot);
          if (failpointsOn) await failpointAsync('raftAfterApplySnap');
        }
        // A hard state that only moved the commit index need not be written now: the
        // commit index is recoverable, and skipping it saves a disk round trip per batch.
        // It rides along with the next write.
        const voteOrTermChanged = !!rd.hardState && (rd.hardState.term !== this.persistedHs.term || rd.hardState.vote !== this.persistedHs.vote);
        const mustWrite = rd.entries.length > 0 || voteOrTermChanged;
        if (rd.hardState) this.lastHs = rd.hardState;
        // A leader's appends may leave before its own write: it counts its own copy only
        // once persisted (Raft's onPersisted at advance), so the followers' writes overlap
        // its fsync instead of following it. Not when this Ready moved the term or vote:
        // those must be durable before anyone hears of them.
        const sendEarly = rd.messages.length > 0 && this.lead === this.id && !voteOrTermChanged;
        if (sendEarly && failpointsOn) failpoint('raftBeforeLeaderSend');
        if (sendEarly) this.transport.send(rd.messages);
        if (mustWrite && failpointsOn) failpoint('raftBeforeSave');
        const hsToWrite = mustWrite && this.lastHs !== this.persistedHs ? this.lastHs : undefined;
        // With nothing committed to apply meanwhile, the write is done here rather than on
        // the thread pool: the core would only wait for it, and the round trip there and
        // back is most of a single client's write latency beyond the sync itself.
        const inline = rd.committedEntries.length === 0;
        const saving = mustWrite ? this.wal.save(hsToWrite, rd.entries, rd.mustSync, inline) : undefined;
        if (rd.hardState) this.storage.setHardState(rd.hardState);
        if (rd.entries.length) this.storage.append(rd.entries);
        for (const rs of rd.readStates) {
          const key = Buffer.from(rs.requestCtx).toString('hex');
          const pending = this.readsInFlight.get(key);
          if (!pending) continue;
          this.readsInFlight.delete(key);
          pending.readIndex = rs.index;
          this.readsAwaitingApply.push(pending);
        }
        // Committed entries are already durable: apply them while this batch's fsync runs.
        if (rd.committedEntries.length && failpointsOn) failpoint('raftBeforeApply');
        if (rd.committedEntries.length) this.applyCommitted(rd.committedEntries);
        this.releaseReads();
        if (saving) {
          await saving;
          if (hsToWrite) this.persistedHs = hsToWrite;
          if (failpointsOn) await failpointAsync('raftAfterSave');
        }
        // Messages may depend on the term, vote and entries just made durable.
        if (rd.messages.length && !sendEarly && failpointsOn) failpoint(this.lead === this.id ? 'raftBeforeLeaderSend' : 'raftBeforeFollowerSend');
        if (rd.messages.length && !sendEarly) this.transport.send(rd.messages);
        if (failpointsOn) failpoint('raftBeforeAdvance');
        this.node.advance(rd);
        this.flushProposals();
        this.startReadRound();
      }
    } catch (err) {
      this.logger.error('raft loop failed', { error: err instanceof Error ? err.stack : String(err) });
      this.fatal?.(err);
    } finally {
      this.running = false;
    }
    if (!this.stopped && (this.node.hasReady() || this.readBatch.length || this.proposals.length)) this.kick();
  }

  private applyCommitted(entries: Entry[]): void {
    let batch: Entry[] = [];
    for (const e of entries) {
      if (e.index <= this.appliedIndex) continue;
      if (e.type === EntryType.ConfChangeV2) {
        // etcd 3.4 never proposes one either; applying it halfway would fork the configuration.
        throw new Error(`entry ${e.index} is a ConfChangeV2, which etcd 3.4 and etcd-ts do not apply`);
      }
      if (e.type === EntryType.ConfChange) {
        if (batch.length) this.hooks.applyEntries(batch);
        batch = [];
        const cc = decodeConfChange(e.data);
        const rejected = this.hooks.validateConfChange?.(cc, e.index);
        if (rejected === undefined) this.confState = this.node.applyConfChange(cc);
        this.hooks.onConfChange(cc, this.confState, e.index, rejected);
      } else {
        batch.push(e);
      }
      this.appliedIndex = e.index;
    }
    if (batch.length) this.hooks.applyEntries(batch);
    this.hooks.onApplied?.(this.appliedIndex);
    this.releaseApplyWaiters();
  }

  private applyWaiters: Array<{ index: number; resolve: () => void }> = [];

  /** Resolves once everything committed now is applied (etcd's ApplyWait). */
  waitApplied(): Promise<void> {
    const index = this.node.status().hardState.commit;
    if (index <= this.appliedIndex || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.applyWaiters.push({ index, resolve }));
  }

  private releaseApplyWaiters(): void {
    if (this.applyWaiters.length === 0) return;
    const still = [];
    for (const w of this.applyWaiters) {
      if (w.index <= this.appliedIndex) w.resolve();
      else still.push(w);
    }
    this.applyWaiters = still;
  }

  private releaseReads(): void {
    if (!this.readsAwaitingApply.length) return;
    const still: PendingRead[] = [];
    for (const p of this.readsAwaitingApply) {
      if ((p.readIndex ?? 0) <= this.appliedIndex) for (const r of p.resolvers) r.resolve(p.readIndex!);
      else still.push(p);
    }
    this.readsAwaitingApply = still;
  }
}
