// The server side of one HTTP/2 connection (RFC 9113) as a pure state machine:
// bytes in through receive(), bytes out through takeOutput(), requests out to
// a handler. No sockets and no timers: the clock is injected, and the edge
// (socket.ts) moves the bytes. What a client may do that grpc-go (and so etcd)
// lets it do, this lets it do too: RST_STREAM after every finished call, new
// streams after its own GOAWAY, ':authority' values with '/' in them.
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_FRAME_LIMIT,
  MAX_WINDOW,
  PREFACE,
  SettingId,
  UNLIMITED_STREAMS,
} from './constants.js';
import { HpackDecoder, HpackError } from './hpack-decoder.js';
import { HeaderBlock, HpackEncoder, maxEncodedLength } from './hpack-encoder.js';
import { COPY_MAX, Output } from './output.js';
import { Stream, type Headers, type StreamOwner } from './stream.js';
import { checkRequestPseudo } from './request-check.js';

export interface PingPolicy {
  /** Pings closer together than this, while streams are open, are strikes (grpc-go's EnforcementPolicy.MinTime). */
  minTimeMs: number;
  /** Pings with no stream open are fine at any rate (otherwise they must be 2 h apart). */
  permitWithoutStream: boolean;
}

export interface ConnectionOptions {
  /** Streams the client may have open at once; more are refused (REFUSED_STREAM), as grpc-go does. */
  maxConcurrentStreams?: number;
  /** Receive window we give each stream (SETTINGS_INITIAL_WINDOW_SIZE); at least 65535. */
  streamWindow?: number;
  /** Receive window for the whole connection; at least 65535. */
  connectionWindow?: number;
  /** Largest decoded request header list; a larger one resets its stream (FRAME_SIZE_ERROR, as grpc-go). */
  maxHeaderListSize?: number;
  /** Queued response bytes per stream past which write() asks the caller to wait. */
  writeHighWaterMark?: number;
  /** Output bytes not yet taken by the edge past which response data waits in its stream. */
  outputHighWaterMark?: number;
  /** grpc-go's ping enforcement; without it any ping rate is accepted. */
  pingPolicy?: PingPolicy;
  /** Milliseconds, monotonic enough for ping spacing. */
  now?: () => number;
}

export interface ConnectionHandler {
  /** A request's headers arrived; set stream.sink to hear its body. The fields passed request checks. */
  onStream(stream: Stream): void;
  /** Output was queued outside receive(): the edge should take and write it soon. */
  onOutput(): void;
  /** The connection is finished (GOAWAY sent and no stream left, or an error): write what is queued, then close. */
  onClose(): void;
  /** An unexpected exception while handling input (the connection was failed with INTERNAL_ERROR). */
  onError?(err: unknown): void;
}

/** grpc-go's defaults (defaultServerMaxHeaderListSize, maxPingStrikes, defaultPingTimeout). */
const DEFAULT_MAX_HEADER_LIST = 16 << 20;
const MAX_PING_STRIKES = 2;
const PING_WITHOUT_STREAM_MS = 2 * 3_600_000;
/** A header block spread over more CONTINUATION frames than this is an attack, not a request. */
const MAX_CONTINUATIONS = 4096;

class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const enum Phase {
  /** Waiting for the 24-byte client preface. */
  PREFACE,
  /** Preface seen; the first frame must be SETTINGS. */
  SETTINGS,
  OPEN,
  CLOSED,
}

export class ServerConnection implements StreamOwner {
  private readonly out = new Output();
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder();
  private readonly streams = new Map<number, Stream>();
  private readonly maxStreams: number;
  private readonly streamWindow: number;
  private readonly connectionWindow: number;
  private readonly maxHeaderList: number;
  private readonly highWater: number;
  private readonly outputHigh: number;
  private readonly pingPolicy: PingPolicy | undefined;
  private readonly now: () => number;

  private phase = Phase.PREFACE;
  /** Bytes of an incomplete preface or frame carried to the next receive(). */
  private partial: Buffer | undefined;
  private lastStreamId = 0;
  /** We sent GOAWAY: streams above lastStreamId are refused, and the connection ends when none is left. */
  private goingAway = false;
  /** The client sent GOAWAY (kept for inspection; grpc-go ignores it, and so do we). */
  peerGoneAway = false;

  // A header block being continued: its stream, HEADERS flags and bytes so far.
  private blockStream = 0;
  private blockFlags = 0;
  private blockBuf: Buffer | undefined;
  private blockLen = 0;
  private blockFrames = 0;

  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvWindow: number;
  private connRecvUnacked = 0;
  /** Streams with queued data, waiting for connection window or for the socket. */
  private waiting: Stream[] = [];
  private writable = true;

  private inReceive = false;
  private outputSignalled = false;

  private pingStrikes = 0;
  private lastPingAt = -Infinity;
  private resetPingStrikes = false;

  constructor(
    private readonly handler: ConnectionHandler,
    opts: ConnectionOptions = {},
  ) {
    this.maxStreams = opts.maxConcurrentStreams ?? UNLIMITED_STREAMS;
    this.streamWindow = opts.streamWindow ?? 1 << 20;
    this.connectionWindow = opts.connectionWindow ?? 16 << 20;
    this.maxHeaderList = opts.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST;
    this.highWater = opts.writeHighWaterMark ?? 64 * 1024;
    this.outputHigh = opts.outputHighWaterMark ?? 256 * 1024;
    this.pingPolicy = opts.pingPolicy;
    this.now = opts.now ?? Date.now;
    if (!(this.streamWindow >= DEFAULT_WINDOW && this.streamWindow <= MAX_WINDOW)) throw new RangeError('http2: streamWindow out of range');
    if (!(this.connectionWindow >= DEFAULT_WINDOW && this.connectionWindow <= MAX_WINDOW)) throw new RangeError('http2: connectionWindow out of range');
    this.decoder = new HpackDecoder(4096);
    this.connRecvWindow = this.connectionWindow;
    this.writeServerPreface();
  }

  /** Open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  get closed(): boolean {
    return this.phase === Phase.CLOSED;
  }

  // ---------------------------------------------------------------- input

  /** Feeds bytes from the client. Chunks may split or join frames anywhere. */
  receive(chunk: Buffer): void {
    if (this.phase === Phase.CLOSED) return;
    this.inReceive = true;
    try {
      this.consume(chunk);
    } catch (err) {
      if (err instanceof ConnectionError) {
        this.fail(err.code, err.message);
      } else {
        // A fault of ours or of a handler: this connection ends, the process goes on.
        this.fail(ErrorCode.INTERNAL_ERROR, 'internal error');
        this.handler.onError?.(err);
      }
    } finally {
      this.inReceive = false;
    }
  }

  private consume(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.partial !== undefined) {
      // Complete the carried-over preface or frame from the front of this chunk.
      let p = this.partial;
      const need0 = this.phase === Phase.PREFACE ? PREFACE.length : FRAME_HEADER_BYTES;
      if (p.length < need0) {
        const take = Math.min(need0 - p.length, chunk.length);
        p = Buffer.concat([p, chunk.subarray(0, take)]);
        pos = take;
        if (p.length < need0) {
          this.partial = p;
          return;
        }
      }
      if (this.phase !== Phase.PREFACE) {
        const need = FRAME_HEADER_BYTES + this.frameLength(p, 0);
        const take = Math.min(need - p.length, chunk.length - pos);
        if (take > 0) {
          p = Buffer.concat([p, chunk.subarray(pos, pos + take)]);
          pos += take;
        }
        if (p.length < need) {
          this.partial = p;
          return;
        }
      }
      this.partial = undefined;
      this.consume(p);
      if (this.phase === Phase.CLOSED) return;
      if (pos === chunk.length) return;
      buf = chunk;
    }
    if (this.phase === Phase.PREFACE) {
      const n = Math.min(PREFACE.length, buf.length - pos);
      if (buf.compare(PREFACE, 0, n, pos, pos + n) !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
      if (n < PREFACE.length) {
        this.partial = buf.subarray(pos);
        return;
      }
      pos += PREFACE.length;
      this.phase = Phase.SETTINGS;
    }
    const end = buf.length;
    while (pos < end) {
      if (end - pos < FRAME_HEADER_BYTES) {
        this.partial = buf.subarray(pos);
        return;
      }
      const len = this.frameLength(buf, pos);
      if (end - pos < FRAME_HEADER_BYTES + len) {
        this.partial = buf.subarray(pos);
        return;
      }
      this.frame(buf, pos, len);
      if (this.phase === Phase.CLOSED) return;
      pos += FRAME_HEADER_BYTES + len;
    }
  }

  /** The length of the frame at buf[pos], refused at once when over our SETTINGS_MAX_FRAME_SIZE. */
  private frameLength(buf: Buffer, pos: number): number {
    const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
    if (len > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${len} bytes`);
    return len;
  }

  private frame(buf: Buffer, pos: number, len: number): void {
    const type = buf[pos + 3]!;
    const flags = buf[pos + 4]!;
    const id = buf.readUInt32BE(pos + 5) & 0x7fff_ffff;
    const p = pos + FRAME_HEADER_BYTES;
    if (this.phase === Phase.SETTINGS && (type !== FrameType.SETTINGS || flags & Flag.ACK)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'first frame is not SETTINGS');
    }
    if (this.blockStream !== 0 && (type !== FrameType.CONTINUATION || id !== this.blockStream)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'header block interrupted');
    }
    switch (type) {
      case FrameType.DATA:
        return this.onData(buf, p, len, flags, id);
      case FrameType.HEADERS:
        return this.onHeaders(buf, p, len, flags, id);
      case FrameType.PRIORITY:
        return this.onPriority(buf, p, len, id);
      case FrameType.RST_STREAM:
        return this.onRstStream(buf, p, len, id);
      case FrameType.SETTINGS:
        return this.onSettings(buf, p, len, flags, id);
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      case FrameType.PING:
        return this.onPing(buf, p, len, flags, id);
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (len < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'short GOAWAY');
        this.peerGoneAway = true;
        return;
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(buf, p, len, id);
      case FrameType.CONTINUATION:
        return this.onContinuation(buf, p, len, flags, id);
      default:
        return; // unknown frame types are ignored (§5.5)
    }
  }

  private onData(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // The whole frame, padding included, counts against both windows (§6.9.1).
    if (len > this.connRecvWindow) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.connRecvWindow -= len;
    this.connRecvUnacked += len;
    // As grpc-go: the connection's window comes back on receipt; streams' windows bound what is buffered.
    if (this.connRecvUnacked >= this.connectionWindow / 4) {
      this.windowUpdate(0, this.connRecvUnacked);
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    let dataStart = p;
    let dataLen = len;
    if (flags & Flag.PADDED) {
      if (len < 1 || buf[p]! >= len) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds DATA');
      dataStart = p + 1;
      dataLen = len - 1 - buf[p]!;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      return; // a stream already closed or reset: its data is dropped, as grpc-go does
    }
    if (stream.remoteEnded) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
    if (len > stream.recvWindow) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.recvWindow -= len;
    // Padding is never delivered: its window comes back at once.
    const padding = len - dataLen;
    if (stream.paused) {
      stream.recvUnacked += padding;
      stream.recvHeld += dataLen;
    } else {
      stream.recvUnacked += len;
    }
    if (dataLen > 0) stream.sink.onData(buf.subarray(dataStart, dataStart + dataLen));
    if (stream.closed) return;
    if (flags & Flag.END_STREAM) return this.remoteEnd(stream);
    this.maybeStreamWindowUpdate(stream);
  }

  private maybeStreamWindowUpdate(stream: Stream): void {
    if (stream.recvUnacked >= this.streamWindow / 4 && !stream.remoteEnded) {
      this.windowUpdate(stream.id, stream.recvUnacked);
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  private onHeaders(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let start = p;
    let end = p + len;
    if (flags & Flag.PADDED) {
      if (len < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'empty padded HEADERS');
      end -= buf[p]!;
      start++;
    }
    let selfDependent = false;
    if (flags & Flag.PRIORITY) {
      if (end - start < 5) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds HEADERS');
      selfDependent = (buf.readUInt32BE(start) & 0x7fff_ffff) === id;
      start += 5;
    }
    if (end < start) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds HEADERS');
    if (flags & Flag.END_HEADERS) return this.headerBlock(id, flags, buf, start, end, selfDependent);
    this.blockStream = id;
    this.blockFlags = flags | (selfDependent ? SELF_DEPENDENT : 0);
    this.blockFrames = 0;
    this.blockLen = 0;
    this.appendBlock(buf, start, end);
  }

  private onContinuation(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (this.blockStream === 0 || id !== this.blockStream) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    if (++this.blockFrames > MAX_CONTINUATIONS) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many CONTINUATION frames');
    this.appendBlock(buf, p, p + len);
    if (!(flags & Flag.END_HEADERS)) return;
    const block = this.blockBuf!;
    const blockLen = this.blockLen;
    const hflags = this.blockFlags;
    this.blockStream = 0;
    this.blockBuf = undefined;
    this.blockLen = 0;
    this.headerBlock(id, hflags, block, 0, blockLen, (hflags & SELF_DEPENDENT) !== 0);
  }

  private appendBlock(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.blockLen + n > this.maxHeaderList) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    let acc = this.blockBuf;
    if (acc === undefined || acc.length < this.blockLen + n) {
      const grown = Buffer.allocUnsafe(Math.max(2 * (this.blockLen + n), 4096));
      if (acc !== undefined) acc.copy(grown, 0, 0, this.blockLen);
      this.blockBuf = acc = grown;
    }
    buf.copy(acc, this.blockLen, from, to);
    this.blockLen += n;
  }

  /** A complete header block: a new request, or trailers ending one. */
  private headerBlock(id: number, flags: number, block: Buffer, start: number, end: number, selfDependent: boolean): void {
    if ((id & 1) === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `client stream id ${id} is even`);
    const existing = this.streams.get(id);
    if (existing === undefined && id <= this.lastStreamId) throw new ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    const fields: string[] = [];
    try {
      this.decoder.decode(block, start, end, fields, this.maxHeaderList);
    } catch (err) {
      if (err instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message);
      throw err;
    }
    if (existing !== undefined) {
      // Trailers: they must end the request; their fields are not used.
      if (existing.remoteEnded) return this.resetStream(existing, ErrorCode.STREAM_CLOSED);
      if (!(flags & Flag.END_STREAM)) return this.resetStream(existing, ErrorCode.PROTOCOL_ERROR);
      return this.remoteEnd(existing);
    }
    this.lastStreamId = id;
    if (this.goingAway) return this.rstFrame(id, ErrorCode.REFUSED_STREAM);
    if (this.decoder.listSize > this.maxHeaderList) return this.rstFrame(id, ErrorCode.FRAME_SIZE_ERROR);
    if (selfDependent || !this.decoder.fieldsValid || !checkRequestPseudo(fields)) return this.rstFrame(id, ErrorCode.PROTOCOL_ERROR);
    if (this.streams.size >= this.maxStreams) return this.rstFrame(id, ErrorCode.REFUSED_STREAM);
    const stream = new Stream(this, id, fields, this.peerInitialWindow, this.streamWindow);
    this.streams.set(id, stream);
    if (flags & Flag.END_STREAM) stream.remoteEnded = true;
    this.handler.onStream(stream);
    if (stream.remoteEnded && !stream.closed) {
      stream.sink.onEnd();
      if (stream.localEnded && stream.queued === 0 && !stream.closed) this.closeStream(stream, ErrorCode.NO_ERROR);
    }
  }

  private remoteEnd(stream: Stream): void {
    stream.remoteEnded = true;
    stream.sink.onEnd();
    if (!stream.closed && stream.localEnded && stream.queued === 0 && stream.queuedTrailers === undefined && !stream.queuedEnd) {
      this.closeStream(stream, ErrorCode.NO_ERROR);
    }
  }

  private onPriority(buf: Buffer, p: number, len: number, id: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
    const stream = this.streams.get(id);
    if (len !== 5) {
      if (stream !== undefined) return this.resetStream(stream, ErrorCode.FRAME_SIZE_ERROR);
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY of the wrong size');
    }
    // Priorities are advisory and ignored; a stream depending on itself is still an error (§5.3.1).
    if ((buf.readUInt32BE(p) & 0x7fff_ffff) === id) {
      if (stream !== undefined) this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      else if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'stream depends on itself');
    }
  }

  private onRstStream(buf: Buffer, p: number, len: number, id: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (len !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
      return; // e.g. grpc-js 1.8's reset after every finished call: nothing left to do, and no limit on them
    }
    this.closeStream(stream, buf.readUInt32BE(p));
  }

  private onSettings(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (len !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (len % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS of the wrong size');
    let windowDelta = 0;
    for (let at = p; at < p + len; at += 6) {
      const setting = buf.readUInt16BE(at);
      const value = buf.readUInt32BE(at + 2);
      switch (setting) {
        case SettingId.HEADER_TABLE_SIZE:
          this.encoder.setPeerTableSize(value);
          break;
        case SettingId.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH not 0 or 1');
          break;
        case SettingId.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE too large');
          windowDelta += value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          break;
        case SettingId.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > MAX_FRAME_LIMIT) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrame = value;
          break;
        default:
          break; // MAX_CONCURRENT_STREAMS limits pushes, which we never make; the rest is advisory
      }
    }
    this.out.frameHeader(0, FrameType.SETTINGS, Flag.ACK, 0);
    this.signalOutput();
    if (this.phase === Phase.SETTINGS) this.phase = Phase.OPEN;
    if (windowDelta !== 0) {
      // §6.9.2: open streams' windows move by the change, possibly below zero.
      for (const stream of this.streams.values()) {
        stream.sendWindow += windowDelta;
        if (stream.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
      }
      if (windowDelta > 0) for (const stream of this.streams.values()) if (stream.queued > 0 || stream.queuedTrailers !== undefined || stream.queuedEnd) this.pump(stream);
    }
  }

  private onPing(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
    if (len !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING of the wrong size');
    if (flags & Flag.ACK) return;
    this.out.frameHeader(8, FrameType.PING, Flag.ACK, 0);
    this.out.copy(buf, p, p + 8);
    this.signalOutput();
    if (this.pingPolicy !== undefined) this.enforcePingPolicy(this.pingPolicy);
  }

  /** grpc-go's keepalive enforcement: a third too-early ping in a row closes the connection. */
  private enforcePingPolicy(policy: PingPolicy): void {
    const now = this.now();
    const last = this.lastPingAt;
    this.lastPingAt = now;
    // Sending headers or data since the last ping forgives earlier strikes.
    if (this.resetPingStrikes) {
      this.resetPingStrikes = false;
      this.pingStrikes = 0;
      return;
    }
    const minGap = this.streams.size === 0 && !policy.permitWithoutStream ? PING_WITHOUT_STREAM_MS : policy.minTimeMs;
    if (now - last < minGap) this.pingStrikes++;
    if (this.pingStrikes > MAX_PING_STRIKES) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too_many_pings');
  }

  private onWindowUpdate(buf: Buffer, p: number, len: number, id: number): void {
    if (len !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const inc = buf.readUInt32BE(p) & 0x7fff_ffff;
    if (id === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connSendWindow += inc;
      if (this.connSendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
      this.pumpWaiting();
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
      return;
    }
    if (inc === 0) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    stream.sendWindow += inc;
    if (stream.sendWindow > MAX_WINDOW) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    this.pump(stream);
  }

  // ---------------------------------------------------------------- output

  /**
   * Everything queued for the socket since the last call (empty when nothing is).
   * Taking it makes room: streams waiting for room queue their next frames, to be
   * taken by the next call.
   */
  takeOutput(): Buffer[] {
    this.outputSignalled = false;
    const segs = this.out.take();
    if (this.waiting.length > 0) this.pumpWaiting();
    return segs;
  }

  /** Bytes queued for the socket. */
  get outputLength(): number {
    return this.out.length;
  }

  /**
   * The edge says whether the socket takes more now. While it does not, response
   * data stays queued in its stream (write() then asks callers to wait).
   */
  setWritable(writable: boolean): void {
    if (this.writable === writable) return;
    this.writable = writable;
    if (writable) this.pumpWaiting();
  }

  /** Graceful shutdown: GOAWAY now, refuse newer streams, and finish when the open ones are done. */
  goAway(code: ErrorCode = ErrorCode.NO_ERROR, debug = ''): void {
    if (this.phase === Phase.CLOSED || this.goingAway) return;
    this.goingAway = true;
    this.writeGoAway(code, debug);
    this.signalOutput();
    if (this.streams.size === 0) this.finish();
  }

  /** The transport is gone: every stream ends as cancelled, nothing more is written. */
  destroy(): void {
    if (this.phase === Phase.CLOSED) return;
    this.phase = Phase.CLOSED;
    this.closeAll(ErrorCode.CANCEL);
  }

  private writeServerPreface(): void {
    const settings: [number, number][] = [[SettingId.MAX_FRAME_SIZE, DEFAULT_MAX_FRAME]];
    if (this.maxStreams !== UNLIMITED_STREAMS) settings.push([SettingId.MAX_CONCURRENT_STREAMS, this.maxStreams]);
    if (this.streamWindow !== DEFAULT_WINDOW) settings.push([SettingId.INITIAL_WINDOW_SIZE, this.streamWindow]);
    this.out.frameHeader(settings.length * 6, FrameType.SETTINGS, 0, 0);
    for (const [id, value] of settings) {
      this.out.reserve(6);
      this.out.buf.writeUInt16BE(id, this.out.pos);
      this.out.buf.writeUInt32BE(value, this.out.pos + 2);
      this.out.pos += 6;
    }
    if (this.connectionWindow > DEFAULT_WINDOW) this.windowUpdate(0, this.connectionWindow - DEFAULT_WINDOW);
  }

  private windowUpdate(id: number, inc: number): void {
    this.out.frameHeader(4, FrameType.WINDOW_UPDATE, 0, id);
    this.out.uint32(inc);
    this.signalOutput();
  }

  private rstFrame(id: number, code: number): void {
    this.out.frameHeader(4, FrameType.RST_STREAM, 0, id);
    this.out.uint32(code);
    this.signalOutput();
  }

  private writeGoAway(code: number, debug: string): void {
    const extra = Buffer.byteLength(debug);
    this.out.frameHeader(8 + extra, FrameType.GOAWAY, 0, 0);
    this.out.uint32(this.lastStreamId);
    this.out.uint32(code);
    if (extra > 0) {
      this.out.reserve(extra);
      this.out.pos += this.out.buf.write(debug, this.out.pos, 'utf8');
    }
  }

  private signalOutput(): void {
    if (this.inReceive || this.outputSignalled) return;
    this.outputSignalled = true;
    this.handler.onOutput();
  }

  // ------------------------------------------------- the streams' operations

  sendHeaders(stream: Stream, headers: Headers, endStream: boolean): void {
    if (stream.closed) return;
    if (stream.headersSent) throw new Error('http2: response headers sent twice');
    stream.headersSent = true;
    if (endStream) stream.localEnded = true;
    this.writeHeaders(stream.id, headers, endStream);
    if (endStream) this.localEnd(stream);
  }

  sendData(stream: Stream, head: Uint8Array | undefined, body: Uint8Array, endStream: boolean): boolean {
    if (stream.closed || stream.localEnded) return false;
    if (!stream.headersSent) throw new Error('http2: data before response headers');
    if (endStream) stream.localEnded = true;
    const n = (head === undefined ? 0 : head.length) + body.length;
    if (stream.queued === 0 && this.writable && n <= stream.sendWindow && n <= this.connSendWindow && n <= this.peerMaxFrame && this.out.length < this.outputHigh) {
      // The common case: the whole piece goes out now, as one frame.
      this.out.frameHeader(n, FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream.id);
      if (head !== undefined) this.out.copy(head, 0, head.length);
      if (body.length <= COPY_MAX) this.out.copy(body, 0, body.length);
      else this.out.append(toBuffer(body));
      stream.sendWindow -= n;
      this.connSendWindow -= n;
      this.resetPingStrikes = true;
      this.signalOutput();
      if (endStream) this.localEnd(stream);
      return true;
    }
    if (head !== undefined && head.length > 0) this.enqueue(stream, Buffer.from(head));
    if (body.length > 0) this.enqueue(stream, toBuffer(body));
    if (endStream) stream.queuedEnd = true;
    this.pump(stream);
    if (stream.queued < this.highWater || stream.closed) return true;
    stream.needDrain = true;
    return false;
  }

  sendTrailers(stream: Stream, trailers: Headers): void {
    if (stream.closed || stream.localEnded) return;
    if (!stream.headersSent) throw new Error('http2: trailers before response headers');
    stream.localEnded = true;
    if (stream.queued === 0) {
      this.writeHeaders(stream.id, trailers, true);
      this.localEnd(stream);
      return;
    }
    stream.queuedTrailers = trailers;
  }

  resetStream(stream: Stream, code: number): void {
    if (stream.closed) return;
    this.rstFrame(stream.id, code);
    this.closeStream(stream, code);
  }

  setPaused(stream: Stream, paused: boolean): void {
    if (stream.paused === paused) return;
    stream.paused = paused;
    if (!paused && !stream.closed) {
      stream.recvUnacked += stream.recvHeld;
      stream.recvHeld = 0;
      this.maybeStreamWindowUpdate(stream);
    }
  }

  private enqueue(stream: Stream, data: Buffer): void {
    if (stream.queue === undefined) stream.queue = [];
    stream.queue.push(data);
    stream.queued += data.length;
  }

  /** Sends as much of a stream's queue as the windows and the socket allow. */
  private pump(stream: Stream): void {
    if (stream.closed) return;
    while (stream.queued > 0) {
      const allowed = Math.min(stream.sendWindow, this.connSendWindow, this.peerMaxFrame);
      const room = this.writable && this.out.length < this.outputHigh;
      if (allowed <= 0 || !room) {
        // Stream windows reopen by WINDOW_UPDATE on the stream; the rest wait in line for window or room.
        if ((this.connSendWindow <= 0 || !room) && !stream.waiting) {
          stream.waiting = true;
          this.waiting.push(stream);
        }
        return;
      }
      const n = Math.min(allowed, stream.queued);
      const last = n === stream.queued && stream.queuedEnd && stream.queuedTrailers === undefined;
      this.out.frameHeader(n, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id);
      this.moveQueued(stream, n);
      stream.sendWindow -= n;
      this.connSendWindow -= n;
      this.resetPingStrikes = true;
      if (last) stream.queuedEnd = false;
    }
    this.signalOutput();
    if (stream.queuedTrailers !== undefined) {
      const trailers = stream.queuedTrailers;
      stream.queuedTrailers = undefined;
      this.writeHeaders(stream.id, trailers, true);
      this.localEnd(stream);
    } else if (stream.queuedEnd) {
      stream.queuedEnd = false;
      this.out.frameHeader(0, FrameType.DATA, Flag.END_STREAM, stream.id);
      this.localEnd(stream);
    } else if (stream.localEnded && !stream.closed) {
      this.localEnd(stream);
    }
    if (stream.needDrain && !stream.closed) {
      stream.needDrain = false;
      stream.sink.onWritable();
    }
  }

  /** Moves n queued bytes of a stream into the output. */
  private moveQueued(stream: Stream, n: number): void {
    const queue = stream.queue!;
    stream.queued -= n;
    while (n > 0) {
      const chunk = queue[0]!;
      const from = stream.queueOffset;
      const take = Math.min(n, chunk.length - from);
      if (take <= COPY_MAX) this.out.copy(chunk, from, from + take);
      else this.out.append(chunk.subarray(from, from + take));
      n -= take;
      if (from + take === chunk.length) {
        queue.shift();
        stream.queueOffset = 0;
      } else {
        stream.queueOffset = from + take;
      }
    }
  }

  private pumpWaiting(): void {
    while (this.waiting.length > 0 && this.writable && this.connSendWindow > 0 && this.out.length < this.outputHigh) {
      const list = this.waiting;
      this.waiting = [];
      for (const stream of list) {
        stream.waiting = false;
        this.pump(stream);
      }
    }
  }

  /** Our side of a stream is complete (END_STREAM out). */
  private localEnd(stream: Stream): void {
    if (stream.closed || stream.queued > 0) return;
    if (stream.remoteEnded) return this.closeStream(stream, ErrorCode.NO_ERROR);
    // As grpc-go: a response that is complete while the client is still sending ends the exchange.
    this.resetStream(stream, ErrorCode.NO_ERROR);
  }

  private writeHeaders(id: number, headers: Headers, endStream: boolean): void {
    const block = headers instanceof HeaderBlock ? headers : undefined;
    const max = block !== undefined ? block.maxLength : maxEncodedLength(headers as readonly string[]);
    const out = this.out;
    out.reserve(FRAME_HEADER_BYTES + max);
    const at = out.pos;
    const start = at + FRAME_HEADER_BYTES;
    const end = block !== undefined ? this.encoder.encodeBlock(block, out.buf, start) : this.encoder.encode(headers as readonly string[], out.buf, start);
    const len = end - start;
    const flags = endStream ? Flag.END_STREAM : 0;
    if (len <= this.peerMaxFrame) {
      out.frameHeader(len, FrameType.HEADERS, flags | Flag.END_HEADERS, id);
      out.pos = end;
    } else {
      // Too big for one frame: HEADERS then CONTINUATION frames.
      const bytes = Buffer.from(out.buf.subarray(start, end));
      out.pos = at;
      for (let off = 0; off < len; off += this.peerMaxFrame) {
        const n = Math.min(this.peerMaxFrame, len - off);
        const lastFrame = off + n === len;
        out.frameHeader(n, off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, (off === 0 ? flags : 0) | (lastFrame ? Flag.END_HEADERS : 0), id);
        out.copy(bytes, off, off + n);
      }
    }
    this.resetPingStrikes = true;
    this.signalOutput();
  }

  private closeStream(stream: Stream, code: number): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream.id);
    stream.queue = undefined;
    stream.queued = 0;
    stream.queuedTrailers = undefined;
    stream.sink.onClose(code);
    if (this.goingAway && this.streams.size === 0) this.finish();
  }

  private closeAll(code: number): void {
    for (const stream of [...this.streams.values()]) this.closeStream(stream, code);
  }

  /** A connection error (§5.4.1): GOAWAY with the code, every stream ends, the connection closes. */
  private fail(code: ErrorCode, debug: string): void {
    if (this.phase === Phase.CLOSED) return;
    // A peer that never sent the preface gets no GOAWAY of its own; still say why.
    this.writeGoAway(code, debug);
    this.phase = Phase.CLOSED;
    this.closeAll(code);
    this.outputSignalled = true;
    this.handler.onClose();
  }

  private finish(): void {
    if (this.phase === Phase.CLOSED) return;
    this.phase = Phase.CLOSED;
    this.outputSignalled = true;
    this.handler.onClose();
  }
}

/** Set in blockFlags for a HEADERS frame whose priority names its own stream. */
const SELF_DEPENDENT = 0x100;

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}
