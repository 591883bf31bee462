// The sending half of one stream to a peer. The peer opens it (a GET of our
// /raft/stream/<type>/<its id>) and we answer with an endless body of messages for
// it: MsgApps on the msgappv2 stream, everything else on the message stream. Messages
// queue while a write is pending and leave together; the queue is bounded, and a full
// queue or a broken stream drops messages and tells Raft the peer is unreachable, as
// etcd's streamWriter does. An idle stream carries a link heartbeat every third of the
// peer's read timeout.
import type { ServerResponse } from 'node:http';
import type { Message, NodeId } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { encodeMessageStream, LINK_HEARTBEAT } from './msg-codec.js';
import { MsgAppV2Encoder } from './msgappv2.js';

export type StreamType = 'msgappv2' | 'message';

/** etcd's ConnReadTimeout and ConnWriteTimeout. */
export const CONN_TIMEOUT_MS = 5000;
/** etcd's streamBufSize: messages waiting for one peer's stream. */
export const STREAM_QUEUE = 4096;

export function streamTypeName(t: StreamType): string {
  return t === 'msgappv2' ? 'stream MsgApp v2' : 'stream Message';
}

export interface StreamWriterHooks {
  reportUnreachable(id: NodeId): void;
  /** The stream came up or went down (for the peer's active status). */
  onStatus(): void;
}

export class StreamWriter {
  private res?: ServerResponse;
  private encode?: (msgs: Message[]) => Buffer;
  private queue: Message[] = [];
  private flushScheduled = false;
  private blocked = false;
  private stallTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private wroteSinceBeat = false;

  constructor(
    readonly type: StreamType,
    private readonly peerId: NodeId,
    private readonly hooks: StreamWriterHooks,
    private readonly logger: Logger,
  ) {}

  get working(): boolean {
    return this.res !== undefined;
  }

  /** Takes over a peer's stream request: a new one replaces the old. */
  attach(res: ServerResponse, headers: Record<string, string>): void {
    const replaced = this.detach(false);
    this.res = res;
    const enc = this.type === 'msgappv2' ? new MsgAppV2Encoder() : undefined;
    this.encode = enc ? (msgs) => enc.encode(msgs) : encodeMessageStream;
    res.writeHead(200, headers);
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.on('close', () => {
      if (this.res === res) {
        this.detach(true);
        this.logger.warn('lost TCP streaming connection with remote peer', { 'stream-writer-type': streamTypeName(this.type), 'remote-peer-id': this.peerId.toString(16) });
      }
    });
    this.heartbeat = setInterval(() => this.beat(), Math.floor(CONN_TIMEOUT_MS / 3));
    this.heartbeat.unref();
    if (replaced) this.logger.warn('closed an existing TCP streaming connection with remote peer', { 'stream-writer-type': streamTypeName(this.type), 'remote-peer-id': this.peerId.toString(16) });
    this.logger.info('established TCP streaming connection with remote peer', { 'stream-writer-type': streamTypeName(this.type), 'remote-peer-id': this.peerId.toString(16) });
    this.hooks.onStatus();
  }

  /** False when no stream is attached: the caller picks another way. */
  send(m: Message): boolean {
    if (!this.res) return false;
    if (this.queue.length >= STREAM_QUEUE) {
      this.hooks.reportUnreachable(this.peerId);
      return true;
    }
    this.queue.push(m);
    // The transport flushes at the end of each batch of Raft's messages; this catches
    // a sender that does not.
    if (!this.flushScheduled && !this.blocked) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes what is queued now, as one write (unless the stream is backed up). */
  flush(): void {
    this.flushScheduled = false;
    const res = this.res;
    if (!res || this.blocked || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(res, this.encode!(batch));
  }

  private write(res: ServerResponse, b: Buffer): void {
    this.wroteSinceBeat = true;
    if (res.write(b)) return;
    // Back-pressure: further messages wait in the (bounded) queue; a peer that reads
    // nothing for a whole write timeout has a broken stream.
    this.blocked = true;
    this.stallTimer = setTimeout(() => {
      if (this.res !== res) return;
      this.logger.warn('stream write timed out', { 'stream-writer-type': streamTypeName(this.type), 'remote-peer-id': this.peerId.toString(16) });
      res.destroy();
    }, CONN_TIMEOUT_MS);
    res.once('drain', () => {
      clearTimeout(this.stallTimer);
      if (this.res !== res) return;
      this.blocked = false;
      this.flush();
    });
  }

  private beat(): void {
    const res = this.res;
    if (!res || this.blocked) return;
    if (this.wroteSinceBeat) {
      this.wroteSinceBeat = false;
      return;
    }
    this.write(res, this.encode!([LINK_HEARTBEAT]));
    this.wroteSinceBeat = false;
  }

  /** Drops the stream; true when one was attached. */
  private detach(report: boolean): boolean {
    const res = this.res;
    if (!res) return false;
    this.res = undefined;
    clearInterval(this.heartbeat);
    clearTimeout(this.stallTimer);
    this.blocked = false;
    if (this.queue.length && report) this.hooks.reportUnreachable(this.peerId);
    this.queue = [];
    if (!res.writableEnded) res.end();
    res.destroy();
    this.hooks.onStatus();
    return true;
  }

  close(): void {
    this.detach(false);
  }
}
