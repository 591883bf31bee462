// The server side of one HTTP/2 connection (RFC 9113) as a pure state machine:
// bytes in through receive(), bytes out through takeOutput(), requests out to
// a handler. No sockets and no timers: the clock is injected, and the edge
// (socket.ts) moves the bytes. What a client may do that grpc-go (and so etcd)
// lets it do, this lets it do too: RST_STREAM after every finished call, new
// streams after its own GOAWAY, ':authority' values with '/' in them.
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, Flag, FRAME_HEADER_BYTES, FrameType, MAX_FRAME_LIMIT, MAX_WINDOW, SettingId, UNLIMITED_STREAMS } from './constants.js';
import { ConnectionError } from './errors.js';
import { FrameInput, type FrameSink } from './frame-input.js';
import { HeaderBlockAssembler } from './header-block.js';
import { HpackDecoder, HpackError } from './hpack-decoder.js';
import { Outbound } from './outbound.js';
import type { Output } from './output.js';
import { PingEnforcer, type PingPolicy } from './ping-policy.js';
import { Stream, type Headers, type StreamOwner } from './stream.js';
import { checkRequestPseudo } from './request-check.js';

export type { PingPolicy } from './ping-policy.js';

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

/** grpc-go's defaultServerMaxHeaderListSize. */
const DEFAULT_MAX_HEADER_LIST = 16 << 20;

const enum Phase {
  /** Before the client's SETTINGS: the first frame after the preface must be them. */
  SETTINGS,
  OPEN,
  CLOSED,
}

export class ServerConnection implements StreamOwner, FrameSink {
  private readonly send: Outbound;
  private readonly out: Output;
  private readonly decoder = new HpackDecoder(4096);
  private readonly streams = new Map<number, Stream>();
  private readonly maxStreams: number;
  private readonly streamWindow: number;
  private readonly connectionWindow: number;
  private readonly maxHeaderList: number;
  private readonly pings: PingEnforcer | undefined;
  private readonly now: () => number;

  private phase = Phase.SETTINGS;
  private readonly input = new FrameInput();
  private lastStreamId = 0;
  /** We sent GOAWAY: streams above lastStreamId are refused, and the connection ends when none is left. */
  private goingAway = false;
  /** The client sent GOAWAY (kept for inspection; grpc-go ignores it, and so do we). */
  peerGoneAway = false;

  private readonly block: HeaderBlockAssembler;

  private connRecvWindow: number;
  private connRecvUnacked = 0;

  private inReceive = false;
  private outputSignalled = false;

  constructor(
    private readonly handler: ConnectionHandler,
    opts: ConnectionOptions = {},
  ) {
    this.maxStreams = opts.maxConcurrentStreams ?? UNLIMITED_STREAMS;
    this.streamWindow = opts.streamWindow ?? 1 << 20;
    this.connectionWindow = opts.connectionWindow ?? 16 << 20;
    this.maxHeaderList = opts.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST;
    this.block = new HeaderBlockAssembler(this.maxHeaderList);
    this.pings = opts.pingPolicy && new PingEnforcer(opts.pingPolicy);
    this.now = opts.now ?? Date.now;
    if (!(this.streamWindow >= DEFAULT_WINDOW && this.streamWindow <= MAX_WINDOW)) throw new RangeError('http2: streamWindow out of range');
    if (!(this.connectionWindow >= DEFAULT_WINDOW && this.connectionWindow <= MAX_WINDOW)) throw new RangeError('http2: connectionWindow out of range');
    this.send = new Outbound(
      { localEnd: (stream) => this.localEnd(stream), signal: () => this.signalOutput() },
      opts.writeHighWaterMark ?? 64 * 1024,
      opts.outputHighWaterMark ?? 256 * 1024,
    );
    this.out = this.send.out;
    this.connRecvWindow = this.connectionWindow;
    // The server preface, as grpc-go's: the frame size, the stream limit if any, our windows.
    const settings: [number, number][] = [[SettingId.MAX_FRAME_SIZE, DEFAULT_MAX_FRAME]];
    if (this.maxStreams !== UNLIMITED_STREAMS) settings.push([SettingId.MAX_CONCURRENT_STREAMS, this.maxStreams]);
    if (this.streamWindow !== DEFAULT_WINDOW) settings.push([SettingId.INITIAL_WINDOW_SIZE, this.streamWindow]);
    this.out.settings(settings);
    if (this.connectionWindow > DEFAULT_WINDOW) this.out.windowUpdate(0, this.connectionWindow - DEFAULT_WINDOW);
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
      this.input.push(chunk, this);
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

  /** @internal FrameSink: no more frames once the connection is closed. */
  get stopped(): boolean {
    return this.phase === Phase.CLOSED;
  }

  /** @internal FrameSink: one whole frame. */
  frame(buf: Buffer, pos: number, len: number): void {
    const type = buf[pos + 3]!;
    const flags = buf[pos + 4]!;
    const id = buf.readUInt32BE(pos + 5) & 0x7fff_ffff;
    const p = pos + FRAME_HEADER_BYTES;
    if (this.phase === Phase.SETTINGS && (type !== FrameType.SETTINGS || flags & Flag.ACK)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'first frame is not SETTINGS');
    }
    if (this.block.stream !== 0 && (type !== FrameType.CONTINUATION || id !== this.block.stream)) {
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
    if (this.block.headers(buf, p, len, flags, id)) this.headerBlock(id);
  }

  private onContinuation(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (this.block.continuation(buf, p, len, flags, id)) this.headerBlock(id);
  }

  /** A complete header block: a new request, or trailers ending one. */
  private headerBlock(id: number): void {
    const { flags, selfDependent } = this.block;
    if ((id & 1) === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `client stream id ${id} is even`);
    const existing = this.streams.get(id);
    if (existing === undefined && id <= this.lastStreamId) throw new ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    const fields: string[] = [];
    try {
      this.decoder.decode(this.block.buf, this.block.start, this.block.end, fields, this.maxHeaderList);
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
    const stream = new Stream(this, id, fields, this.send.peerInitialWindow, this.streamWindow);
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
    for (let at = p; at < p + len; at += 6) {
      const setting = buf.readUInt16BE(at);
      const value = buf.readUInt32BE(at + 2);
      switch (setting) {
        case SettingId.HEADER_TABLE_SIZE:
          this.send.encoder.setPeerTableSize(value);
          break;
        case SettingId.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH not 0 or 1');
          break;
        case SettingId.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE too large');
          if (!this.send.initialWindowChanged(this.streams.values(), value)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
          break;
        case SettingId.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > MAX_FRAME_LIMIT) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.send.peerMaxFrame = value;
          break;
        default:
          break; // MAX_CONCURRENT_STREAMS limits pushes, which we never make; the rest is advisory
      }
    }
    this.out.frameHeader(0, FrameType.SETTINGS, Flag.ACK, 0);
    this.signalOutput();
    if (this.phase === Phase.SETTINGS) this.phase = Phase.OPEN;
  }

  private onPing(buf: Buffer, p: number, len: number, flags: number, id: number): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
    if (len !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING of the wrong size');
    if (flags & Flag.ACK) return;
    this.out.frameHeader(8, FrameType.PING, Flag.ACK, 0);
    this.out.copy(buf, p, p + 8);
    this.signalOutput();
    if (this.pings?.ping(this.now(), this.streams.size, this.send.sentFrames)) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too_many_pings');
  }

  private onWindowUpdate(buf: Buffer, p: number, len: number, id: number): void {
    if (len !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const inc = buf.readUInt32BE(p) & 0x7fff_ffff;
    if (id === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      if (!this.send.connectionWindowUpdate(inc)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
      return;
    }
    if (inc === 0) return this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
    if (!this.send.streamWindowUpdate(stream, inc)) this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
  }

  // ---------------------------------------------------------------- output

  /**
   * Everything queued for the socket since the last call (empty when nothing is).
   * Taking it makes room: streams waiting for room queue their next frames, to be
   * taken by the next call.
   */
  takeOutput(): Buffer[] {
    this.outputSignalled = false;
    return this.send.take();
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
    this.send.setWritable(writable);
  }

  /** Graceful shutdown: GOAWAY now, refuse newer streams, and finish when the open ones are done. */
  goAway(code: ErrorCode = ErrorCode.NO_ERROR, debug = ''): void {
    if (this.phase === Phase.CLOSED || this.goingAway) return;
    this.goingAway = true;
    this.out.goAway(this.lastStreamId, code, debug);
    this.signalOutput();
    if (this.streams.size === 0) this.finish();
  }

  /** The transport is gone: every stream ends as cancelled, nothing more is written. */
  destroy(): void {
    if (this.phase === Phase.CLOSED) return;
    this.phase = Phase.CLOSED;
    this.closeAll(ErrorCode.CANCEL);
  }

  private windowUpdate(id: number, inc: number): void {
    this.out.windowUpdate(id, inc);
    this.signalOutput();
  }

  private rstFrame(id: number, code: number): void {
    this.out.rstStream(id, code);
    this.signalOutput();
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
    this.send.headers(stream, headers, endStream);
  }

  sendData(stream: Stream, head: Uint8Array | undefined, body: Uint8Array, endStream: boolean): boolean {
    if (stream.closed || stream.localEnded) return false;
    if (!stream.headersSent) throw new Error('http2: data before response headers');
    if (endStream) stream.localEnded = true;
    return this.send.data(stream, head, body, endStream);
  }

  sendTrailers(stream: Stream, trailers: Headers): void {
    if (stream.closed || stream.localEnded) return;
    if (!stream.headersSent) throw new Error('http2: trailers before response headers');
    stream.localEnded = true;
    this.send.trailers(stream, trailers);
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

  /** Our side of a stream is complete (END_STREAM out). */
  private localEnd(stream: Stream): void {
    if (stream.closed || stream.queued > 0) return;
    if (stream.remoteEnded) return this.closeStream(stream, ErrorCode.NO_ERROR);
    // As grpc-go: a response that is complete while the client is still sending ends the exchange.
    this.resetStream(stream, ErrorCode.NO_ERROR);
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
    // Even a peer that never sent a valid preface is told why.
    this.out.goAway(this.lastStreamId, code, debug);
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
