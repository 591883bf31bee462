// One gRPC call on the server: reads request messages off an HTTP/2 stream,
// runs the handler, and writes response messages and the closing status.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { HeaderBlock, type Stream, type StreamSink } from '../http2/index.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { HEADER_BYTES, MessageReader, type MessageSink, type ReadError } from './frame.js';
import { encodeGrpcMessage } from './status.js';
import type { BidiStream, Metadata, MethodDef } from './types.js';

export interface CallLimits {
  maxRecvMessageBytes: number;
  maxSendMessageBytes: number;
}

const RESPONSE_FIELDS = [':status', '200', 'content-type', 'application/grpc', 'grpc-accept-encoding', 'identity'];
// Encoded once per connection and then copied: the same bytes end almost every call.
const RESPONSE_HEADERS = new HeaderBlock(RESPONSE_FIELDS);
const OK_TRAILERS = new HeaderBlock(['grpc-status', '0']);

/** Sends a status with no messages: a single HEADERS frame that ends the stream. */
export function respondTrailersOnly(stream: Stream, code: GrpcCode, message: string): void {
  if (stream.closed || stream.headersSent) return;
  stream.respond([...RESPONSE_FIELDS, 'grpc-status', String(code), 'grpc-message', encodeGrpcMessage(message)], true);
}

function errorStatus(err: unknown): [GrpcCode, string] {
  if (err instanceof EtcdError) return [err.code, err.message];
  return [GrpcCode.Unknown, err instanceof Error ? err.message : String(err)];
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

const MAX_TIMER_MS = 0x7fffffff;
/** A message's 5-byte gRPC prefix, filled per message; the HTTP/2 layer copies it at once. */
const PREFIX = Buffer.alloc(HEADER_BYTES);

function prefix(length: number): Buffer {
  PREFIX.writeUInt32BE(length, 1);
  return PREFIX;
}

/** Request fields as gRPC metadata: lower-case names, repeated names as arrays. */
function toMetadata(fields: readonly string[]): Metadata {
  const md: Metadata = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const prev = md[name];
    if (prev === undefined) md[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else md[name] = [prev, value];
  }
  return md;
}

// Why a call ended early, shared by every call: a client that cancels (every
// clientv3 KeepAliveOnce ends its stream so) should not cost a stack capture.
const CANCELED = new EtcdError(GrpcCode.Canceled, 'context canceled');
const DEADLINE_EXCEEDED = new EtcdError(GrpcCode.DeadlineExceeded, 'context deadline exceeded');
const TRANSPORT_CLOSING = new EtcdError(GrpcCode.Unavailable, 'transport is closing');

export class ServerCall extends EventEmitter implements BidiStream<unknown, unknown>, MessageSink, StreamSink {
  readonly deadline?: number;
  private controller?: AbortController;
  private abortReason?: Error;
  private finished = false;
  /** The request ended while paused: reported on resume. */
  private endHeld = false;
  private gotRequest = false;
  private paused = false;
  private held: Buffer[] | undefined;
  private md: Metadata | undefined;
  private timer?: NodeJS.Timeout;
  private readonly reader: MessageReader;

  constructor(
    private readonly stream: Stream,
    private readonly socket: Socket,
    private readonly def: MethodDef<unknown, unknown>,
    private readonly limits: CallLimits,
    timeoutMs: number | undefined,
    private readonly onDone?: (call: ServerCall) => void,
  ) {
    super();
    this.reader = new MessageReader(limits.maxRecvMessageBytes, this);
    stream.sink = this;
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      // Past ~24.8 days Node would fire the timer at once; such a deadline never comes in practice.
      if (timeoutMs <= MAX_TIMER_MS) this.timer = setTimeout(() => this.expire(), timeoutMs);
    }
  }

  /** Runs handlers that start before any request message (client streams and bidi). */
  start(): void {
    const def = this.def;
    if (def.kind === 'bidi') {
      try {
        const r = def.handler(this);
        if (isThenable(r)) r.then(undefined, (err) => this.end(err as Error));
      } catch (err) {
        this.end(err as Error);
      }
    } else if (def.kind === 'clientStream') {
      this.settle(() => def.handler(this));
    }
  }

  // ---- CallContext ----
  get metadata(): Metadata {
    return (this.md ??= toMetadata(this.stream.fields));
  }
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get peer(): string {
    const s = this.socket;
    // A socket already gone has no address left to give.
    return s.remoteAddress === undefined ? '' : `${s.remoteAddress}:${s.remotePort}`;
  }
  get authority(): string | undefined {
    return this.stream.field(':authority');
  }
  get tlsPeerCertificate(): PeerCertificate | undefined {
    const s = this.socket as TLSSocket;
    if (typeof s.getPeerCertificate !== 'function') return undefined;
    const cert = s.getPeerCertificate();
    return cert && Object.keys(cert).length > 0 ? cert : undefined;
  }
  get ended(): boolean {
    return this.finished;
  }

  // ---- streams ----
  write(msg: unknown): boolean {
    if (this.finished) return false;
    return this.writeBytes(this.def.encode(msg));
  }

  private writeBytes(bytes: Uint8Array): boolean {
    if (bytes.length > this.limits.maxSendMessageBytes) {
      // grpc-go words it with a "grpc: " prefix for unary responses only.
      const prefix = this.def.kind === 'unary' || this.def.kind === 'clientStream' ? 'grpc: ' : '';
      this.finish(
        GrpcCode.ResourceExhausted,
        `${prefix}trying to send message larger than max (${bytes.length} vs. ${this.limits.maxSendMessageBytes})`,
      );
      return false;
    }
    const stream = this.stream;
    // The connection went away under the handler; onClose reports the cancel.
    if (stream.closed) return false;
    if (!stream.headersSent) stream.respond(RESPONSE_HEADERS);
    return stream.write(bytes, false, prefix(bytes.length));
  }

  end(err?: EtcdError | Error): void {
    if (err === undefined) this.finish(GrpcCode.OK, '');
    else this.finish(...errorStatus(err));
  }

  pause(): void {
    this.paused = true;
    this.stream.pause();
  }
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.stream.resume();
    const held = this.held;
    this.held = undefined;
    if (held) for (const chunk of held) this.reader.push(chunk);
    if (this.endHeld) {
      this.endHeld = false;
      this.onRemoteEnd();
    }
  }

  // ---- StreamSink ----
  /** @internal */ onData(chunk: Buffer): void {
    if (this.paused) (this.held ??= []).push(chunk);
    else this.reader.push(chunk);
  }
  /** @internal */ onEnd(): void {
    if (this.paused) this.endHeld = true;
    else this.onRemoteEnd();
  }
  /** @internal */ onWritable(): void {
    this.emit('drain');
  }
  /** @internal */ onClose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.finished) {
      this.finished = true;
      this.reader.stop();
      this.cancel(CANCELED);
      this.onDone?.(this);
    }
  }

  // ---- MessageSink ----
  /** @internal */ onMessage(msg: Buffer, compressed: boolean): void {
    if (this.finished) return;
    if (compressed) {
      this.reader.stop();
      this.finish(GrpcCode.Internal, 'grpc: compressed flag set with identity or empty encoding');
      return;
    }
    let req: unknown;
    try {
      req = this.def.decode(msg);
    } catch (err) {
      this.reader.stop();
      this.finish(GrpcCode.Internal, `grpc: error unmarshalling request: ${(err as Error).message}`);
      return;
    }
    const def = this.def;
    switch (def.kind) {
      case 'unary':
        if (this.gotRequest) return;
        this.gotRequest = true;
        this.settle(() => def.handler(req, this));
        return;
      case 'serverStream':
        if (this.gotRequest) return;
        this.gotRequest = true;
        try {
          const r = def.handler(req, this);
          if (isThenable(r)) r.then(() => this.end(), (err) => this.end(err as Error));
        } catch (err) {
          this.end(err as Error);
        }
        return;
      default:
        this.emit('data', req);
    }
  }

  /** @internal */ onReadError(e: ReadError): void {
    if (e.kind === 'tooLarge') {
      this.finish(
        GrpcCode.ResourceExhausted,
        `grpc: received message larger than max (${e.length} vs. ${this.limits.maxRecvMessageBytes})`,
      );
    } else {
      this.finish(GrpcCode.Internal, `grpc: received unexpected payload format ${e.flag}`);
    }
  }

  // ---- internals ----
  /** Runs a handler whose result (value or promise) is the single response. */
  private settle(run: () => unknown): void {
    let r: unknown;
    try {
      r = run();
    } catch (err) {
      this.end(err as Error);
      return;
    }
    if (isThenable(r)) r.then((res) => this.respondOnce(res), (err) => this.end(err as Error));
    else this.respondOnce(r);
  }

  private respondOnce(res: unknown): void {
    if (this.finished) return;
    let bytes: Uint8Array;
    try {
      bytes = this.def.encode(res);
    } catch (err) {
      this.finish(GrpcCode.Internal, `grpc: error while marshaling: ${(err as Error).message}`);
      return;
    }
    const stream = this.stream;
    if (bytes.length > this.limits.maxSendMessageBytes || stream.headersSent) {
      // Rare paths share the general writer, which refuses oversize messages.
      this.writeBytes(bytes);
      this.finish(GrpcCode.OK, '');
      return;
    }
    // The common unary path: headers, the one message and the OK trailers in one go.
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (stream.closed) return;
    stream.respond(RESPONSE_HEADERS);
    stream.write(bytes, false, prefix(bytes.length));
    stream.end(OK_TRAILERS);
  }

  private onRemoteEnd(): void {
    if (this.finished) return;
    // grpc-go turns these read errors into Unknown with Go's io error texts.
    if (this.reader.buffered > 0) {
      this.finish(GrpcCode.Unknown, 'unexpected EOF');
      return;
    }
    if (this.def.kind === 'unary' || this.def.kind === 'serverStream') {
      if (!this.gotRequest) this.finish(GrpcCode.Unknown, 'EOF');
      return;
    }
    this.emit('end');
  }

  private expire(): void {
    this.timer = undefined;
    if (this.finished) return;
    this.cancel(DEADLINE_EXCEEDED);
    this.finish(GrpcCode.DeadlineExceeded, 'context deadline exceeded');
  }

  /** Called by the server on shutdown: the handler is told to stop and the client gets Unavailable. */
  shutdown(): void {
    if (this.finished) return;
    this.cancel(TRANSPORT_CLOSING);
    this.finish(GrpcCode.Unavailable, 'transport is closing');
  }

  private cancel(reason: Error): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
    if (this.listenerCount('cancel') > 0) this.emit('cancel');
  }

  private finish(code: GrpcCode, message: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onDone?.(this);
    const stream = this.stream;
    if (stream.closed) return;
    if (!stream.headersSent) return respondTrailersOnly(stream, code, message);
    // The status goes out after any messages still queued; a stream the client is still sending on is then reset, as grpc-go does.
    if (code === GrpcCode.OK) stream.end(OK_TRAILERS);
    else stream.end(message ? ['grpc-status', String(code), 'grpc-message', encodeGrpcMessage(message)] : ['grpc-status', String(code)]);
  }
}
