// A deterministic Raft cluster simulation: one seed fixes the cluster size, the
// fault rates and every event. Each step delivers due messages, ticks every live
// member and runs Ready cycles until quiet, with random faults and operations in
// between; the Checker verifies safety after every Ready. At the end everything
// heals and the cluster must elect a leader and commit a proposal in bounded time.

import { ConfChangeType, MemoryStorage, MessageType, ProposalDroppedError, type NodeId, type Ready } from '../../../src/raft/index.js';
import { Checker } from './checker.js';
import { Member, type RaftKnobs } from './member.js';
import { NO_FAULTS, Network } from './network.js';
import { Prng } from './prng.js';

export interface SimOptions {
  seed: number;
  steps: number;
  /** 1, 3 or 5; derived from the seed when absent. */
  members?: number;
}

export interface SimResult {
  seed: number;
  members: number;
  steps: number;
  ok: boolean;
  error?: string;
  failedAtStep?: number;
  stats: { leaders: number; applied: number; messages: number; crashes: number; confChanges: number; transfers: number; reads: number; snapshots: number; livenessSteps: number };
}

const EMPTY = new Uint8Array(0);
const LIVENESS_BUDGET = 400;
const MAX_EXTRA_MEMBERS = 3;

export class Simulation {
  readonly rng: Prng;
  readonly checker = new Checker(2);
  readonly members = new Map<NodeId, Member>();
  readonly net: Network;
  readonly knobs: RaftKnobs;
  readonly size: number;
  now = 0;
  private nextId: NodeId;
  private proposals = 0;
  private readSeq = 0;
  private crashedAt = new Map<NodeId, number>();
  private healAt = -1;
  private readonly snapshotEvery: number;
  /** Per-seed event mix: some seeds are calm, some crash leaders constantly. */
  private readonly crashRate: number;
  private readonly partitionRate: number;
  /** Longest a crashed member stays down (1: crash-reboot, old messages still in flight). */
  private readonly downtime: number;
  /** Chance of crashing right after a Ready was persisted and sent: just after voting or acknowledging. */
  private crashAfterReady: number;
  /** Chance of crashing right after granting a vote: is the vote durable? */
  private crashAfterVote: number;
  /**
   * Chance of cutting a member off right after a critical Ready (won an election, moved
   * its commit): what it just sent is lost in flight. This breeds competing uncommitted
   * entries across terms, the raw material of the paper's Figure 8.
   */
  private isolateAfterCritical: number;
  readonly stats = { leaders: 0, applied: 0, messages: 0, crashes: 0, confChanges: 0, transfers: 0, reads: 0, snapshots: 0, livenessSteps: 0 };

  constructor(readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.size = opts.members ?? [1, 3, 5][opts.seed % 3]!;
    this.knobs = {
      electionTick: 10,
      heartbeatTick: 1,
      preVote: this.rng.chance(0.5),
      checkQuorum: this.rng.chance(0.5),
      maxSizePerMsg: this.rng.pick([1, 64, 1024, 1 << 20]),
      maxInflightMsgs: this.rng.pick([1, 4, 256]),
    };
    this.snapshotEvery = 3 + this.rng.int(30);
    this.crashRate = this.rng.pick([0.04, 0.08, 0.15]);
    this.partitionRate = this.rng.pick([0.02, 0.04, 0.08]);
    this.downtime = this.rng.pick([1, 4, 30]);
    this.crashAfterReady = this.size > 1 ? this.rng.pick([0, 0.003, 0.01]) : 0;
    this.crashAfterVote = this.size > 1 ? this.rng.pick([0, 0.1, 0.3]) : 0;
    this.isolateAfterCritical = this.size > 1 ? this.rng.pick([0, 0.1, 0.3]) : 0;
    this.net = new Network(this.rng.fork(), {
      drop: this.rng.pick([0, 0.02, 0.1, 0.3]),
      duplicate: this.rng.pick([0, 0.05, 0.2]),
      maxDelay: this.rng.pick([0, 1, 3, 8]),
    });
    const ids: NodeId[] = [];
    for (let i = 1; i <= this.size; i++) ids.push(BigInt(i));
    this.nextId = BigInt(this.size + 1);
    for (const id of ids) this.members.set(id, new Member(id, MemoryStorage.bootstrap(ids), this.rng.fork(), this.knobs, this.checker));
  }

  private live(): Member[] {
    return [...this.members.values()].filter((m) => m.alive);
  }

  private leader(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.live()) {
      const s = m.node!.status();
      if (s.softState.role === 'leader' && (!best || s.hardState.term > best.node!.status().hardState.term)) best = m;
    }
    return best;
  }

  /** Ready cycles until no live member has work (bounded: a livelock is a bug). */
  private settle(): void {
    for (let round = 0; round < 1000; round++) {
      let busy = false;
      for (const m of this.members.values()) {
        if (!m.alive || !m.node!.hasReady()) continue;
        busy = true;
        const rd = m.handleReady();
        for (const msg of rd.messages) {
          // Like a real transport, report a snapshot that never left.
          if (!this.net.send(this.now, msg) && msg.snapshot && m.alive) m.node!.reportSnapshot(msg.to, false);
        }
        const critical = isCritical(rd);
        const voted = rd.messages.some((x) => x.type === MessageType.VoteResp && !x.reject);
        const pCrash = voted ? Math.max(this.crashAfterVote, this.crashAfterReady * 10) : critical ? this.crashAfterReady * 10 : this.crashAfterReady;
        if (m.alive && this.rng.chance(pCrash)) this.crash(m);
        if (critical && this.rng.chance(this.isolateAfterCritical)) {
          this.net.isolate(m.id);
          this.healAt = Math.max(this.healAt, this.now + 1 + this.rng.int(15));
        }
        this.stats.messages++;
      }
      if (!busy) return;
    }
    throw new Error('Ready cycles did not settle');
  }

  private deliver(): void {
    for (const d of this.net.due(this.now)) {
      const sender = this.members.get(d.from);
      let to = this.members.get(d.to);
      if (!to && d.m && d.to >= BigInt(this.size + 1) && d.to < this.nextId) {
        // The operator starts a member the cluster just added.
        to = new Member(d.to, new MemoryStorage(), this.rng.fork(), this.knobs, this.checker);
        this.members.set(d.to, to);
      }
      const ok = d.m !== undefined && to !== undefined && to.alive && !to.removed.has(d.from);
      if (ok) to!.node!.step(d.m!);
      if (d.isSnap && sender?.alive) sender.node!.reportSnapshot(d.to, ok);
      else if (!ok && sender?.alive && this.rng.chance(0.1)) sender.node!.reportUnreachable(d.to);
    }
  }

  private crash(m: Member): void {
    m.crash();
    this.crashedAt.set(m.id, this.now);
    this.stats.crashes++;
  }

  private propose(m: Member): void {
    try {
      m.node!.propose(new TextEncoder().encode(`p${this.proposals++}`));
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
  }

  private randomEvent(): void {
    const live = this.live();
    if (live.length === 0) return;
    let r = this.rng.next();
    if (this.size > 1 && r < this.crashRate) {
      // Leaders are the interesting ones to lose: half the crashes target one.
      const m = (this.rng.chance(0.5) ? this.leader() : undefined) ?? this.rng.pick(live);
      this.crash(m);
      return;
    }
    r = this.rng.next();
    if (this.size > 1 && r < this.partitionRate) {
      if (this.net.isPartitioned()) return;
      const assign = new Map<NodeId, number>();
      const groups = 2 + this.rng.int(2);
      for (const id of this.members.keys()) assign.set(id, this.rng.int(groups));
      this.net.partition(assign);
      this.healAt = this.now + 5 + this.rng.int(40);
      return;
    }
    r = this.rng.next();
    if (r < 0.3) {
      const m = this.rng.pick(live);
      for (let i = this.rng.int(4); i >= 0; i--) this.propose(m);
    } else if (r < 0.36) {
      const m = this.rng.pick(live);
      const ctx = new TextEncoder().encode(`r${this.readSeq++}`);
      m.reads.set(Buffer.from(ctx).toString('hex'), this.checker.lastApplied());
      m.node!.readIndex(ctx);
      this.stats.reads++;
    } else if (r < 0.48) {
      this.confChange();
    } else if (r < 0.51 && this.size > 1) {
      const l = this.leader();
      if (!l) return;
      const voters = l.node!.status().config.voters.filter((v) => v !== l.id);
      if (voters.length === 0) return;
      l.node!.transferLeader(this.rng.pick(voters));
      this.stats.transfers++;
    } else if (r < 0.55) {
      const m = this.rng.pick(live);
      m.snapshotAndCompact(this.rng.int(4));
      this.stats.snapshots++;
    }
  }

  private confChange(): void {
    const l = this.leader();
    if (!l) return;
    const { voters, learners } = l.node!.status().config;
    const choices: (() => void)[] = [];
    if (this.nextId <= BigInt(this.size + MAX_EXTRA_MEMBERS)) {
      choices.push(() => {
        const id = this.nextId;
        this.nextId += 1n;
        l.node!.proposeConfChange({ id: 0n, type: ConfChangeType.AddLearnerNode, nodeId: id, context: EMPTY });
      });
    }
    if (learners.length > 0) {
      const id = this.rng.pick(learners);
      choices.push(() => l.node!.proposeConfChange({ id: 0n, type: ConfChangeType.AddNode, nodeId: id, context: EMPTY }));
      choices.push(() => l.node!.proposeConfChange({ id: 0n, type: ConfChangeType.RemoveNode, nodeId: id, context: EMPTY }));
    }
    if (voters.length > 2) {
      const id = this.rng.pick(voters);
      choices.push(() => l.node!.proposeConfChange({ id: 0n, type: ConfChangeType.RemoveNode, nodeId: id, context: EMPTY }));
    }
    if (choices.length === 0) return;
    try {
      this.rng.pick(choices)();
      this.stats.confChanges++;
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
  }

  private autoSnapshot(): void {
    for (const m of this.live()) {
      if (m.appliedIndex - m.storage.snapshot().metadata.index >= this.snapshotEvery) m.snapshotAndCompact(this.rng.int(4));
    }
  }

  private restartDue(force: boolean): void {
    for (const [id, at] of this.crashedAt) {
      if (force || this.now - at >= 1 + this.rng.int(this.downtime)) {
        this.members.get(id)!.start();
        this.crashedAt.delete(id);
      }
    }
  }

  private tickAll(): void {
    for (const m of this.members.values()) if (m.alive) m.node!.tick();
  }

  step(): void {
    this.now++;
    if (this.healAt === this.now) this.net.heal();
    this.restartDue(false);
    if (this.rng.chance(0.5)) this.randomEvent();
    this.settle();
    this.deliver();
    this.settle();
    this.tickAll();
    this.settle();
    this.autoSnapshot();
  }

  /** After healing everything, a leader must emerge and commit a new proposal. */
  liveness(): void {
    this.net.heal();
    this.net.faults = NO_FAULTS;
    this.crashAfterReady = 0;
    this.crashAfterVote = 0;
    this.isolateAfterCritical = 0;
    this.restartDue(true);
    const marker = new TextEncoder().encode(`final-${this.opts.seed}`);
    let proposedBy: Member | undefined;
    for (let i = 0; i < LIVENESS_BUDGET; i++) {
      this.stats.livenessSteps = i + 1;
      this.now++;
      this.settle();
      this.deliver();
      this.settle();
      this.tickAll();
      this.settle();
      this.autoSnapshot();
      const l = this.leader();
      if (!l) continue;
      if (proposedBy !== l) {
        try {
          l.node!.propose(marker);
          proposedBy = l;
        } catch (e) {
          if (!(e instanceof ProposalDroppedError)) throw e;
        }
        continue;
      }
      const { voters } = l.node!.status().config;
      const markerKey = `0:${Buffer.from(marker).toString('hex')}`;
      const idx = this.checker.history.findIndex((h) => h.endsWith(markerKey));
      if (idx < 0) continue;
      const at = idx + this.checker.base;
      const caughtUp = voters.filter((v) => (this.members.get(v)?.appliedIndex ?? 0) >= at).length;
      if (caughtUp >= Math.floor(voters.length / 2) + 1) return;
    }
    throw new Error(`liveness: no leader committed a proposal within ${LIVENESS_BUDGET} steps after healing`);
  }

  run(): SimResult {
    let step = 0;
    try {
      for (; step < this.opts.steps; step++) this.step();
      this.liveness();
      return this.result(true);
    } catch (e) {
      const r = this.result(false);
      r.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      if (process.env.SIM_STACK && e instanceof Error) r.error += `\n${e.stack}`;
      r.failedAtStep = step;
      return r;
    }
  }

  private result(ok: boolean): SimResult {
    this.stats.applied = this.checker.lastApplied();
    this.stats.leaders = this.checker.leaderTerms();
    return { seed: this.opts.seed, members: this.size, steps: this.opts.steps, ok, stats: { ...this.stats } };
  }
}

/** Ready cycles after which a crash is most likely to expose a bug: a vote granted, leadership won, a leader's commit moved. */
function isCritical(rd: Ready): boolean {
  if (rd.softState?.role === 'leader') return true;
  if (rd.hardState && rd.softState === undefined && rd.committedEntries.length > 0) return true;
  return rd.messages.some((m) => (m.type === MessageType.VoteResp || m.type === MessageType.AppResp) && !m.reject);
}

export function runSeed(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

export function replayCommand(r: SimResult): string {
  return `node dist/test/raft/sim-cli.js --seed ${r.seed} --steps ${r.steps} --members ${r.members}`;
}
