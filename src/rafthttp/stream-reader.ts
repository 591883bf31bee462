// The receiving half of one stream from a peer: we GET the peer's
// /raft/stream/<type>/<our id> and read its messages for us from the endless response,
// redialing at most every 100 ms while it is down (etcd's streamReader). A peer that
// refuses us says why: 410 (we were removed), 404 (it doesn't know us yet), 412
// (another cluster, or a version it can't work with).
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Message, NodeId } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { isLinkHeartbeat, MessageStreamDecoder } from './msg-codec.js';
import { MsgAppV2Decoder } from './msgappv2.js';
import { StreamBuffer } from './stream-buffer.js';
import { CONN_TIMEOUT_MS, streamTypeName, type StreamType } from './stream-writer.js';
import { PATH_STREAM_MESSAGE, PATH_STREAM_MSGAPP, HDR_TO } from './paths.js';
import { refusalError, senderHeaders, type PeerSender } from './compat.js';
import { peerRequest } from './tls.js';
import type { UrlPicker } from './url-picker.js';

/** etcd's DialRetryFrequency. */
export const REDIAL_MS = 100;

export interface StreamReaderDeps extends PeerSender {
  /** A message for Raft. */
  deliver(m: Message): void;
  onStatus(): void;
  /** The peer says this member was removed from the cluster. */
  onRemoved(): void;
  /** Nothing listens at the peer's address. */
  onRefused(): void;
}

export class StreamReader {
  private req?: ClientRequest;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastDial = 0;
  private connected = false;
  private warned = false;

  constructor(
    readonly type: StreamType,
    private readonly peerId: NodeId,
    private readonly picker: UrlPicker,
    private readonly deps: StreamReaderDeps,
    private readonly logger: Logger,
  ) {}

  get working(): boolean {
    return this.connected;
  }

  start(): void {
    this.dial();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = Math.max(0, this.lastDial + REDIAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dial();
    }, wait);
  }

  private dial(): void {
    if (this.stopped || this.req) return;
    this.lastDial = Date.now();
    const base = this.picker.pick();
    const path = `${this.type === 'msgappv2' ? PATH_STREAM_MSGAPP : PATH_STREAM_MESSAGE}/${this.deps.localId.toString(16)}`;
    let req: ClientRequest;
    try {
      req = peerRequest(new URL(path, base), {
        method: 'GET',
        agent: this.deps.agent,
        headers: { ...senderHeaders(this.deps.localId, this.deps.clusterId(), this.deps.advertiseUrls, this.deps.serverVersion), [HDR_TO]: this.peerId.toString(16) },
      }, this.deps.tls);
    } catch (err) {
      this.fail(base, `cannot dial: ${String(err)}`);
      return;
    }
    this.req = req;
    req.setNoDelay(true);
    req.on('socket', (s) => {
      // Over TLS the allowed names are checked in the handshake (tls.ts's dial options).
      s.setTimeout(CONN_TIMEOUT_MS, () => req.destroy(new Error('read timeout')));
    });
    req.on('response', (res) => this.response(req, base, res));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (this.req !== req) return;
      if (err.code === 'ECONNREFUSED') this.deps.onRefused();
      this.fail(base, err.message);
    });
    req.end();
  }

  private response(req: ClientRequest, base: string, res: IncomingMessage): void {
    if (this.req !== req) return void res.destroy();
    if (res.statusCode !== 200) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on('error', () => undefined);
      res.on('end', () => {
        if (this.req !== req) return;
        let reason: string;
        if (res.statusCode === 410) {
          reason = 'the member has been permanently removed from the cluster';
          this.deps.onRemoved();
        } else if (res.statusCode === 404) {
          reason = `peer ${this.peerId.toString(16)} failed to find local node ${this.deps.localId.toString(16)}`;
        } else if (res.statusCode === 412) {
          reason = refusalError(body).message;
        } else {
          reason = `unhandled http status ${res.statusCode}`;
        }
        this.fail(base, reason);
      });
      return;
    }
    this.connected = true;
    if (this.warned) this.logger.info('established TCP streaming connection with remote peer', { 'stream-reader-type': streamTypeName(this.type), 'remote-peer-id': this.peerId.toString(16) });
    this.warned = false;
    this.deps.onStatus();
    const sb = new StreamBuffer();
    const dec = this.type === 'msgappv2' ? new MsgAppV2Decoder(this.deps.localId, this.peerId) : new MessageStreamDecoder();
    res.on('data', (chunk: Buffer) => {
      if (this.req !== req) return;
      sb.push(chunk);
      try {
        for (let m = dec.decode(sb); m !== undefined; m = dec.decode(sb)) {
          if (!isLinkHeartbeat(m)) this.deps.deliver(m);
        }
      } catch (err) {
        req.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    res.on('error', () => undefined);
    res.on('close', () => {
      if (this.req !== req) return;
      this.fail(base, 'stream closed');
    });
  }

  private fail(base: string, reason: string): void {
    const wasConnected = this.connected;
    this.req?.destroy();
    this.req = undefined;
    this.connected = false;
    this.picker.unreachable(base);
    if (wasConnected || !this.warned) {
      this.logger.warn(wasConnected ? 'lost TCP streaming connection with remote peer' : 'failed to dial remote peer', {
        'stream-reader-type': streamTypeName(this.type),
        'remote-peer-id': this.peerId.toString(16),
        error: reason,
      });
      this.warned = true;
    }
    if (wasConnected) this.deps.onStatus();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const req = this.req;
    this.req = undefined;
    this.connected = false;
    req?.destroy();
  }
}
