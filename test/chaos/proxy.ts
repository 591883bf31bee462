// A fault-injecting TCP proxy in front of one member's peer port. Every member dials
// that member at the same advertised URL, so the proxy tells the directed links
// apart by the rafthttp headers and keeps one fault per directed link into its member
// (sender → this member): pass, drop (the link's connections are black-holed: bytes
// read and discarded, as a partition loses packets), or delay. A POST (pipeline,
// snapshot, peer API) carries the sender's traffic to this member; a stream GET
// carries this member's traffic to the sender (rafthttp streams are pulled), so it is
// judged by the link the other way, which the sender's proxy holds: the proxies of
// one cluster know each other through `group`. A connection that lost bytes can never
// carry traffic again (its stream is torn), so healing a dropped link closes its
// connections and the sender redials.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type LinkFault = { kind: 'pass' } | { kind: 'drop' } | { kind: 'delay'; ms: number };

export const PASS: LinkFault = { kind: 'pass' };

/** Headers larger than this are not rafthttp's: such a connection is passed through unclassified. */
const MAX_HEADER_BYTES = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Traffic counters, for tests to see that faults actually bit. */
export interface ProxyStats {
  connections: number;
  forwardedBytes: number;
  droppedBytes: number;
  delayedChunks: number;
}

function headerId(head: Buffer, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}:[ \\t]*([0-9a-fA-F]+)[ \\t]*\\r\\n`, 'i').exec(head.toString('latin1'));
  return m ? BigInt('0x' + m[1]!).toString(16) : undefined;
}

/** The member ID a peer request names as its sender (hex, as rafthttp writes it), or undefined. */
export function senderOf(head: Buffer): string | undefined {
  return headerId(head, 'x-server-from');
}

/** For a stream GET, the member it is addressed to (x-raft-to): the one whose traffic it carries. */
export function streamTargetOf(head: Buffer): string | undefined {
  return head.toString('latin1').startsWith('GET /raft/stream/') ? headerId(head, 'x-raft-to') : undefined;
}

/** Bytes in one direction of a connection, released in order, each no earlier than its due time. */
class Lane {
  /** A null chunk is the end of the stream: the destination is ended after what came before. */
  private queue: Array<{ at: number; chunk: Buffer | null }> = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly dst: Socket, private readonly stats: ProxyStats) {}

  push(chunk: Buffer | null, delayMs: number): void {
    const now = performance.now();
    const last = this.queue.at(-1)?.at ?? 0;
    this.queue.push({ at: Math.max(now + delayMs, last), chunk });
    if (delayMs > 0 && chunk) this.stats.delayedChunks++;
    this.pump();
  }

  private pump(): void {
    if (this.timer) return;
    while (this.queue.length) {
      const head = this.queue[0]!;
      const wait = head.at - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (this.dst.destroyed) continue;
      if (head.chunk === null) {
        this.dst.end();
      } else {
        this.stats.forwardedBytes += head.chunk.length;
        this.dst.write(head.chunk);
      }
    }
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}

class Conn {
  dropped = false;
  private readonly toUp: Lane;
  private readonly toDown: Lane;

  constructor(
    readonly from: string | undefined,
    /** Set for a stream GET: its payload goes from this member to `from`. */
    readonly streamOf: string | undefined,
    readonly down: Socket,
    readonly up: Socket,
    private readonly proxy: PeerProxy,
  ) {
    this.toUp = new Lane(up, proxy.stats);
    this.toDown = new Lane(down, proxy.stats);
  }

  /** The fault of the link this connection's traffic travels. */
  fault(): LinkFault {
    return this.streamOf === undefined ? this.proxy.faultOf(this.from) : this.proxy.outboundFault(this.streamOf, this.from);
  }

  private delayMs(): number | 'drop' {
    const fault = this.fault();
    if (this.dropped || fault.kind === 'drop') return 'drop';
    return fault.kind === 'delay' ? fault.ms : 0;
  }

  /** Moves one chunk across, under the link's current fault. */
  forward(chunk: Buffer, toUpstream: boolean): void {
    const d = this.delayMs();
    if (d === 'drop') {
      this.dropped = true;
      this.proxy.stats.droppedBytes += chunk.length;
      return;
    }
    (toUpstream ? this.toUp : this.toDown).push(chunk, d);
  }

  /** One side ended: the other is ended after the bytes still on their way to it. */
  ended(fromUpstream: boolean): void {
    const d = this.delayMs();
    if (d === 'drop') return this.destroy();
    (fromUpstream ? this.toDown : this.toUp).push(null, d);
  }

  destroy(): void {
    this.toUp.clear();
    this.toDown.clear();
    this.down.destroy();
    this.up.destroy();
    this.proxy.forget(this);
  }
}

export class PeerProxy {
  readonly stats: ProxyStats = { connections: 0, forwardedBytes: 0, droppedBytes: 0, delayedChunks: 0 };
  private server?: Server;
  private readonly faults = new Map<string, LinkFault>();
  private readonly conns = new Set<Conn>();
  private readonly pending = new Set<Socket>();
  private closed = false;
  /** The proxies of one cluster by the ID of the member each stands in front of. */
  group?: Map<string, PeerProxy>;

  /** @param targetPort the member's real peer port, on 127.0.0.1 */
  constructor(readonly listenPort: number, readonly targetPort: number) {}

  listen(): Promise<void> {
    // Half-open sockets: an end is forwarded in order, after the bytes still delayed before it.
    const server = createServer({ allowHalfOpen: true }, (s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
  }

  /** The fault on the link from sender `from` (a member ID in hex); unclassified connections always pass. */
  faultOf(from: string | undefined): LinkFault {
    return from === undefined ? PASS : (this.faults.get(from) ?? PASS);
  }

  /** The fault on the link from `member` (whose stream GET passes here) to `to`, as `to`'s proxy holds it. */
  outboundFault(member: string, to: string | undefined): LinkFault {
    if (to === undefined) return PASS;
    return this.group?.get(to)?.faultOf(member) ?? PASS;
  }

  /** Sets the fault on the link from `from` (member ID, hex) to this proxy's member. */
  setFault(from: string, fault: LinkFault): void {
    assertFault(fault);
    const id = BigInt('0x' + from).toString(16);
    if (fault.kind === 'pass') this.faults.delete(id);
    else this.faults.set(id, fault);
    this.refresh();
    // The streams `from` serves to our member pass through `from`'s proxy.
    this.group?.get(id)?.refresh();
  }

  /** Applies the current faults to open connections: dropped links black-hole, healed ones close torn connections. */
  refresh(): void {
    for (const c of [...this.conns]) {
      const f = c.fault();
      if (f.kind === 'drop') c.dropped = true;
      else if (c.dropped) c.destroy(); // torn: the sender redials onto the healed link
    }
  }

  /** Every link into this member passes again. */
  heal(): void {
    for (const from of [...this.faults.keys()]) this.setFault(from, PASS);
  }

  /** Connections currently open through the proxy. */
  get openConnections(): number {
    return this.conns.size + this.pending.size;
  }

  forget(c: Conn): void {
    this.conns.delete(c);
  }

  private accept(down: Socket): void {
    if (this.closed) {
      down.destroy();
      return;
    }
    this.stats.connections++;
    this.pending.add(down);
    down.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.indexOf(HEADER_END) < 0 && head.length < MAX_HEADER_BYTES) return;
      down.off('data', onData);
      down.pause();
      this.pending.delete(down);
      this.splice(down, head, senderOf(head), streamTargetOf(head));
    };
    down.on('data', onData);
    down.on('error', () => down.destroy());
    down.once('close', () => this.pending.delete(down));
  }

  private splice(down: Socket, head: Buffer, from: string | undefined, streamOf: string | undefined): void {
    if (this.closed || down.destroyed) {
      down.destroy();
      return;
    }
    const up = connect({ port: this.targetPort, host: '127.0.0.1', allowHalfOpen: true });
    up.setNoDelay(true);
    const c = new Conn(from, streamOf, down, up, this);
    this.conns.add(c);
    c.forward(head, true);
    down.on('data', (b: Buffer) => c.forward(b, true));
    up.on('data', (b: Buffer) => c.forward(b, false));
    // Either side ending ends the connection: half-open streams would only confuse the sender.
    down.on('end', () => c.ended(false));
    up.on('end', () => c.ended(true));
    for (const s of [down, up]) {
      s.on('error', () => c.destroy());
      // Both sides closed (or one reset): the connection is gone.
      s.once('close', () => {
        if (down.destroyed && up.destroyed) c.destroy();
      });
    }
    down.resume();
  }

  /**
   * Stands in for a crashed member: the port stops listening, so peers dialing it are
   * refused as they would be by a dead process, and open connections are torn.
   */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.conns]) c.destroy();
    for (const sock of [...this.pending]) sock.destroy();
    this.pending.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again after refuse(). */
  async admit(): Promise<void> {
    if (this.closed || this.server) return;
    await this.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.conns]) c.destroy();
    for (const s of [...this.pending]) s.destroy();
    this.pending.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function assertFault(f: LinkFault): void {
  if (f.kind === 'delay' && !(Number.isFinite(f.ms) && f.ms >= 0 && f.ms <= 60_000)) {
    throw new Error(`link delay must be within [0, 60000] ms: ${f.ms}`);
  }
}
