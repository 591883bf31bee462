// Pending ReadIndex requests on the leader. A request records the commit index when
// it arrived; once a quorum acknowledges a heartbeat carrying its context, that
// request and every earlier one are confirmed (the leader was still leader then).

import type { Message, NodeId } from './types.js';
import { bytesKey } from './util.js';

export type ReadOnlyOption = 'safe' | 'lease-based';

interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  addRequest(index: number, m: Message): void {
    const key = bytesKey(m.entries[0]!.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  recvAck(from: NodeId, context: Uint8Array): Set<NodeId> | undefined {
    const rs = this.pending.get(bytesKey(context));
    if (!rs) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Removes and returns the request with `context` and all queued before it. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(context);
    const i = this.queue.indexOf(key);
    if (i < 0) return [];
    const done = this.queue.slice(0, i + 1);
    this.queue = this.queue.slice(i + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1]!)!.req.entries[0]!.data;
  }
}
