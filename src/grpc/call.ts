// One gRPC call on the server: reads request messages off an HTTP/2 stream,
// runs the handler, and writes response messages and the closing status.
import { EventEmitter } from 'node:events';
import { constants, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { MessageReader, frameMessage, type MessageSink, type ReadError } from './frame.js';
import { encodeGrpcMessage } from './status.js';
import type { BidiStream, MethodDef } from './types.js';

export interface CallLimits {
  maxRecvMessageBytes: number;
  maxSendMessageBytes: number;
}

const RESPONSE_HEADERS = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc',
  'grpc-accept-encoding': 'identity',
});
// Shared and frozen: node:http2 only reads these, and per-call copies show up in profiles.
const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true });
const OK_TRAILERS = Object.freeze({ 'grpc-status': '0' });

/** Sends a status with no messages: a single HEADERS frame that ends the stream. */
export function respondTrailersOnly(stream: ServerHttp2Stream, code: GrpcCode, message: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  try {
    stream.respond(
      { ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) },
      { endStream: true },
    );
  } catch {
    stream.destroy();
  }
}

function errorStatus(err: unknown): [GrpcCode, string] {
  if (err instanceof EtcdError) return [err.code, err.message];
  return [GrpcCode.Unknown, err instanceof Error ? err.message : String(err)];
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

const noop = () => {};
const MAX_TIMER_MS = 0x7fffffff;

// Listeners shared by every call (no closures per request): the stream carries its call.
const CALL = Symbol('grpcCall');
type CallStream = ServerHttp2Stream & { [CALL]: ServerCall };
function onStreamData(this: CallStream, chunk: Buffer) {
  this[CALL].reader.push(chunk);
}
function onStreamEnd(this: CallStream) {
  this[CALL].onRemoteEnd();
}
function onStreamClose(this: CallStream) {
  this[CALL].onClose();
}
function onStreamWantTrailers(this: CallStream) {
  this[CALL].sendTrailers();
}
function onStreamDrain(this: CallStream) {
  this[CALL].emit('drain');
}

export class ServerCall extends EventEmitter implements BidiStream<unknown, unknown>, MessageSink {
  readonly deadline?: number;
  private controller?: AbortController;
  private abortReason?: Error;
  private finished = false;
  private remoteEnded = false;
  private sentHeaders = false;
  private gotRequest = false;
  private trailers?: Readonly<Record<string, string>>;
  private timer?: NodeJS.Timeout;
  /** @internal */ readonly reader: MessageReader;
  private readonly session: Http2Session | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly def: MethodDef<unknown, unknown>,
    private readonly limits: CallLimits,
    timeoutMs: number | undefined,
    private readonly onDone?: (call: ServerCall) => void,
  ) {
    super();
    this.session = stream.session;
    this.reader = new MessageReader(limits.maxRecvMessageBytes, this);
    (stream as CallStream)[CALL] = this;
    stream.on('error', noop);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('close', onStreamClose);
    stream.on('wantTrailers', onStreamWantTrailers);
    if (def.kind !== 'unary') stream.on('drain', onStreamDrain);
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
  get metadata() {
    return this.headers;
  }
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  get peer(): string {
    const s = this.socket();
    return s ? `${s.remoteAddress}:${s.remotePort}` : '';
  }
  get authority(): string | undefined {
    return this.headers[':authority'];
  }
  get tlsPeerCertificate(): PeerCertificate | undefined {
    const s = this.socket() as TLSSocket | undefined;
    if (!s || typeof s.getPeerCertificate !== 'function') return undefined;
    const cert = s.getPeerCertificate();
    return cert && Object.keys(cert).length > 0 ? cert : undefined;
  }
  get ended(): boolean {
    return this.finished;
  }

  private socket(): Socket | undefined {
    try {
      return this.session?.socket;
    } catch {
      // The connection is gone; its socket can no longer be asked.
      return undefined;
    }
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
    if (stream.destroyed || stream.closed) {
      // The connection went away under the handler; 'close' will report the cancel.
      return false;
    }
    if (!this.sentHeaders) {
      this.sentHeaders = true;
      stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    }
    return stream.write(frameMessage(bytes));
  }

  end(err?: EtcdError | Error): void {
    if (err === undefined) this.finish(GrpcCode.OK, '');
    else this.finish(...errorStatus(err));
  }

  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }

  // ---- internals ----
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
    if (bytes.length > this.limits.maxSendMessageBytes || this.sentHeaders) {
      // Rare paths share the general writer, which refuses oversize messages.
      this.writeBytes(bytes);
      this.finish(GrpcCode.OK, '');
      return;
    }
    // The common unary path: headers, the one message and end-of-data in one go.
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    this.sentHeaders = true;
    this.trailers = OK_TRAILERS;
    stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    stream.end(frameMessage(bytes));
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

  /** @internal */ onRemoteEnd(): void {
    this.remoteEnded = true;
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
    this.cancel(new EtcdError(GrpcCode.DeadlineExceeded, 'context deadline exceeded'));
    this.finish(GrpcCode.DeadlineExceeded, 'context deadline exceeded');
  }

  /** Called by the server on shutdown: the handler is told to stop and the client gets Unavailable. */
  shutdown(): void {
    if (this.finished) return;
    this.cancel(new EtcdError(GrpcCode.Unavailable, 'transport is closing'));
    this.finish(GrpcCode.Unavailable, 'transport is closing');
  }

  /** @internal */ onClose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.finished) {
      this.finished = true;
      this.reader.stop();
      this.cancel(new EtcdError(GrpcCode.Canceled, 'context canceled'));
      this.onDone?.(this);
    }
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
    if (stream.destroyed || stream.closed) return;
    if (!this.sentHeaders) {
      this.sentHeaders = true;
      respondTrailersOnly(stream, code, message);
      if (!this.remoteEnded) setImmediate(() => this.closeIfRemoteOpen());
      return;
    }
    this.trailers = message
      ? { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) }
      : { 'grpc-status': String(code) };
    stream.end();
  }

  /** @internal */ sendTrailers(): void {
    try {
      this.stream.sendTrailers(this.trailers ?? OK_TRAILERS);
    } catch {
      this.stream.destroy();
      return;
    }
    // A reset submitted in the same tick can overtake the trailers.
    if (!this.remoteEnded) setImmediate(() => this.closeIfRemoteOpen());
  }

  /** grpc-go resets a stream the client is still sending on once the status is out. */
  private closeIfRemoteOpen(): void {
    if (!this.remoteEnded && !this.stream.closed && !this.stream.destroyed) {
      this.stream.close(constants.NGHTTP2_NO_ERROR);
    }
  }
}
