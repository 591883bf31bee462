// The outgoing half of the link to one peer: a long-lived HTTP POST whose body is a
// stream of message frames. Messages queue while a write is pending and leave together
// (batching); the queue is bounded, and a full queue or a broken stream drops messages
// and tells Raft the peer is unreachable, as etcd's rafthttp does.
import { type ClientRequest, Agent } from 'node:http';
import type { Message, NodeId } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { encodeFrames } from './frame.js';
import { HDR_CLUSTER_ID, HDR_FROM, HDR_TO, PATH_STREAM } from './paths.js';
import { peerAgent, peerRequest, type PeerTls } from './tls.js';

export interface PeerHooks {
  reportUnreachable(id: NodeId): void;
  clusterId(): bigint;
  /** A peer answered 410: this member was removed from the cluster. */
  removedSelf(): void;
  /** A connect was refused: no process listens at the peer's URL. */
  refused?(id: NodeId): void;
}

const RECONNECT_MS = 100;

export class Peer {
  private queue: Message[] = [];
  private req?: ClientRequest;
  private writable = false;
  private connecting = false;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private urlIndex = 0;
  private warnedDown = false;
  private readonly agent: Agent;

  constructor(
    readonly id: NodeId,
    public urls: string[],
    private readonly self: NodeId,
    private readonly hooks: PeerHooks,
    private readonly logger: Logger,
    private readonly maxQueue: number,
    private readonly tls?: PeerTls,
  ) {
    this.agent = peerAgent(tls) ?? new Agent({ keepAlive: false });
  }

  /** When the current stream came up (epoch ms); 0 while there is none. */
  activeSince = 0;

  get active(): boolean {
    return this.writable;
  }

  send(m: Message): void {
    if (this.closed) return;
    if (!this.writable) {
      // A dead link: Raft retries on its own schedule, stale messages would only mislead.
      this.hooks.reportUnreachable(this.id);
      this.connect();
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.hooks.reportUnreachable(this.id);
      return;
    }
    this.queue.push(m);
    if (this.queue.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const req = this.req;
    if (!req || !this.writable || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (!req.write(encodeFrames(batch))) {
      // Back-pressure: hold further messages in the (bounded) queue until the socket drains.
      this.writable = false;
      req.once('drain', () => {
        if (this.req !== req) return;
        this.writable = true;
        this.flush();
      });
    }
  }

  connect(): void {
    if (this.closed || this.connecting || this.req || this.reconnectTimer) return;
    this.connecting = true;
    const url = new URL(PATH_STREAM, this.urls[this.urlIndex % this.urls.length]);
    let req: ClientRequest;
    try {
      req = peerRequest(url, {
      method: 'POST',
      agent: this.agent,
      headers: {
        'content-type': 'application/octet-stream',
        [HDR_CLUSTER_ID]: this.hooks.clusterId().toString(16),
        [HDR_FROM]: this.self.toString(16),
        [HDR_TO]: this.id.toString(16),
      },
      }, this.tls);
    } catch (err) {
      this.connecting = false;
      if (this.warnedDown) return;
      this.warnedDown = true;
      this.logger.error('cannot dial peer', { 'remote-peer-id': this.id.toString(16), error: String(err) });
      return;
    }
    this.req = req;
    req.setNoDelay(true);
    // Over TLS the link is up only once the handshake succeeds, not at the TCP connect.
    const upEvent = url.protocol === 'https:' || url.protocol === 'unixs:' ? 'secureConnect' : 'connect';
    req.on('socket', (s) => s.once(upEvent, () => {
      if (this.req !== req) return;
      this.connecting = false;
      this.writable = true;
      this.activeSince = Date.now();
      if (this.warnedDown) this.logger.info('peer became active', { 'remote-peer-id': this.id.toString(16) });
      this.warnedDown = false;
      this.flush();
    }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 1024) body += c; });
      res.on('end', () => {
        if (res.statusCode === 412 || res.statusCode === 410) {
          this.logger.error('peer rejected the stream', { 'remote-peer-id': this.id.toString(16), status: res.statusCode, error: body.trim() });
        }
        if (res.statusCode === 410) this.hooks.removedSelf();
        this.broken(req);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && this.req === req) this.hooks.refused?.(this.id);
      this.broken(req);
    });
    req.on('close', () => this.broken(req));
    req.flushHeaders();
  }

  private broken(req: ClientRequest): void {
    if (this.req !== req) return;
    req.destroy();
    this.req = undefined;
    this.writable = false;
    this.activeSince = 0;
    this.connecting = false;
    if (this.queue.length) this.hooks.reportUnreachable(this.id);
    this.queue = [];
    if (!this.warnedDown) this.logger.warn('peer became inactive', { 'remote-peer-id': this.id.toString(16) });
    this.warnedDown = true;
    this.urlIndex++;
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, RECONNECT_MS);
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.req?.destroy();
    this.req = undefined;
    this.writable = false;
    this.queue = [];
    this.agent.destroy();
  }
}
