// A simulated network between members. Messages travel encoded (the real codec), so
// a receiver can never share objects with the sender. Faults: drop, duplicate,
// delay (hence reordering) and partitions of any shape, all drawn from the PRNG.

import { decodeMessage, encodeMessage, type Message, type NodeId } from '../../../src/raft/index.js';
import type { Prng } from './prng.js';

interface InFlight {
  at: number;
  seq: number;
  from: NodeId;
  to: NodeId;
  bytes: Uint8Array;
  isSnap: boolean;
}

export interface Faults {
  drop: number;
  duplicate: number;
  maxDelay: number;
}

export const NO_FAULTS: Faults = { drop: 0, duplicate: 0, maxDelay: 0 };

export class Network {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Member -> partition group; members in different groups can't talk. Empty: healed. */
  private groups = new Map<NodeId, number>();
  faults: Faults;
  sent = 0;
  delivered = 0;

  constructor(
    private readonly rng: Prng,
    faults: Faults,
  ) {
    this.faults = faults;
  }

  /** False when the message was lost on the way out. */
  send(now: number, m: Message): boolean {
    this.sent++;
    if (this.rng.chance(this.faults.drop)) return false;
    const bytes = encodeMessage(m);
    const copies = this.rng.chance(this.faults.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = now + this.rng.int(this.faults.maxDelay + 1);
      this.queue.push({ at, seq: this.seq++, from: m.from, to: m.to, bytes, isSnap: m.snapshot !== undefined });
    }
    return true;
  }

  connected(a: NodeId, b: NodeId): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  partition(assign: Map<NodeId, number>): void {
    this.groups = assign;
  }

  /** Cuts `id` off from everyone, on top of any partition already in place. */
  isolate(id: NodeId): void {
    const groups = new Map(this.groups);
    groups.set(id, 1000 + groups.size + Math.max(0, ...groups.values()));
    this.groups = groups;
  }

  heal(): void {
    this.groups = new Map();
  }

  isPartitioned(): boolean {
    return this.groups.size > 0;
  }

  /** Messages due by `now`, in delivery order; those crossing a partition are lost. */
  due(now: number): { from: NodeId; to: NodeId; m: Message | undefined; isSnap: boolean }[] {
    const ready = this.queue.filter((f) => f.at <= now);
    if (ready.length === 0) return [];
    this.queue = this.queue.filter((f) => f.at > now);
    ready.sort((x, y) => x.at - y.at || x.seq - y.seq);
    return ready.map((f) => {
      const ok = this.connected(f.from, f.to);
      if (ok) this.delivered++;
      return { from: f.from, to: f.to, m: ok ? decodeMessage(f.bytes) : undefined, isSnap: f.isSnap };
    });
  }

  pending(): number {
    return this.queue.length;
  }
}
