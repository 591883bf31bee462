// A hand-driven cluster for unit tests: every member persists to a MemoryStorage
// and applies committed entries (conf changes included) on each Ready; messages are
// delivered only when the test says so, optionally through a filter.

import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  RawNode,
  decodeConfChange,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
} from '../../src/raft/index.js';
import { mulberry32 } from '../helpers/rng.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Deterministic [0,1) source for tests; the seed is scrambled so nearby seeds diverge. */
export const seeded = (seed: number): (() => number) => mulberry32((seed * 0x9e3779b9) >>> 0);

export type Knobs = Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export class TestMember {
  node: RawNode;
  applied: Entry[] = [];
  readStates: ReadState[] = [];
  outbox: Message[] = [];
  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    readonly knobs: Knobs,
  ) {
    this.node = this.boot();
  }

  boot(): RawNode {
    return new RawNode({ id: this.id, storage: this.storage, electionTick: 10, heartbeatTick: 1, random: seeded(Number(this.id) * 7919), ...this.knobs });
  }

  /** Simulates a crash and restart: only the storage survives. */
  restart(): void {
    this.node = this.boot();
    this.applied = [];
    this.outbox = [];
  }

  /** One Ready cycle, in host order; returns false when there was nothing to do. */
  cycle(): boolean {
    if (!this.node.hasReady()) return false;
    const rd = this.node.ready();
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    this.outbox.push(...rd.messages);
    for (const e of rd.committedEntries) {
      this.applied.push(e);
      if (e.type === EntryType.ConfChange) this.node.applyConfChange(decodeConfChange(e.data));
    }
    this.readStates.push(...rd.readStates);
    this.node.advance(rd);
    return true;
  }

  appliedData(): string[] {
    return this.applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0).map((e) => dec(e.data));
  }

  role(): string {
    return this.node.status().softState.role;
  }
}

export class TestCluster {
  readonly members = new Map<NodeId, TestMember>();
  /** Return true to drop a message. */
  drop: (m: Message) => boolean = () => false;
  readonly delivered: Message[] = [];

  constructor(ids: NodeId[], knobs: Knobs = {}, learners: NodeId[] = []) {
    for (const id of [...ids, ...learners]) {
      const storage = new MemoryStorage({ voters: ids, learners });
      this.members.set(id, new TestMember(id, storage, knobs));
    }
  }

  m(id: NodeId): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** Ready cycles and deliveries until nothing moves (bounded). */
  settle(maxRounds = 200): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const m of this.members.values()) if (m.cycle()) busy = true;
      for (const m of this.members.values()) {
        const out = m.outbox;
        m.outbox = [];
        for (const msg of out) {
          busy = true;
          if (this.drop(msg)) continue;
          const to = this.members.get(msg.to);
          if (!to) continue;
          this.delivered.push(msg);
          to.node.step(msg);
        }
      }
      if (!busy) return;
    }
    throw new Error('cluster did not settle');
  }

  tick(n = 1, ids?: NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const m of this.members.values()) if (!ids || ids.includes(m.id)) m.node.tick();
      this.settle();
    }
  }

  elect(id: NodeId): void {
    this.m(id).node.campaign();
    this.settle();
    if (this.m(id).role() !== 'leader') throw new Error(`${id} did not become leader (${this.m(id).role()})`);
  }

  leaders(): NodeId[] {
    return [...this.members.values()].filter((m) => m.role() === 'leader').map((m) => m.id);
  }

  isolate(id: NodeId): void {
    this.drop = (m) => m.from === id || m.to === id;
  }

  heal(): void {
    this.drop = () => false;
  }
}

export { ConfChangeType, EntryType, MemoryStorage, RawNode };
