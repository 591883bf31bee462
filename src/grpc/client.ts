// A lean gRPC client on node:http2: raw message bytes in and out, no codec.
// Used by the benchmark load generator and by etcdctl-ts.
import { EventEmitter } from 'node:events';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type ConnectionOptions } from 'node:tls';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { MessageReader, frameMessage, type MessageSink, type ReadError } from './frame.js';
import { decodeGrpcMessage, formatGrpcTimeout } from './status.js';

export interface GrpcClientOptions {
  /** HTTP/2 connections to spread calls over, round robin. Default 1. */
  connections?: number;
  /** For https targets: CA, client certificate, servername. */
  tls?: ConnectionOptions;
  /** Largest response message accepted. Default 2^31-1. */
  maxRecvMessageBytes?: number;
}

export type ClientMetadata = Record<string, string | string[]>;

/** Why a connection failed, so calls on it can say more than "transport is closing". */
const sessionErrors = new WeakMap<ClientHttp2Session, Error>();

const STREAM_WINDOW = 1 << 20;
const SESSION_WINDOW = 16 << 20;

/** Maps a non-200 HTTP status to a gRPC code, as the gRPC HTTP mapping says. */
function httpStatusCode(status: number): GrpcCode {
  switch (status) {
    case 400:
      return GrpcCode.Internal;
    case 401:
      return GrpcCode.Unauthenticated;
    case 403:
      return GrpcCode.PermissionDenied;
    case 404:
      return GrpcCode.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.Unavailable;
    default:
      return GrpcCode.Unknown;
  }
}

type UnaryCallback = (err: EtcdError | undefined, res?: Uint8Array) => void;

// Listeners shared by every call (no closures per request): the stream carries its call.
const CALL = Symbol('grpcClientCall');
type CallStream = ClientHttp2Stream & { [CALL]: ClientCall };
function onStreamError(this: CallStream, err: Error) {
  this[CALL].streamError = err;
}
function onStreamResponse(this: CallStream, headers: IncomingHttpHeaders) {
  this[CALL].onHeaders(headers);
}
function onStreamData(this: CallStream, chunk: Buffer) {
  this[CALL].reader.push(chunk);
}
function onStreamTrailers(this: CallStream, trailers: IncomingHttpHeaders) {
  this[CALL].onTrailers(trailers);
}
function onStreamDrain(this: CallStream) {
  this[CALL].emit('drain');
}
function onStreamClose(this: CallStream) {
  this[CALL].onClose();
}

/**
 * One call from the client side. Events: 'data' (Uint8Array message), 'end'
 * (status OK), 'error' (EtcdError with the status), 'drain'. Async-iterable over
 * its messages; iteration throws the call's error.
 */
export class ClientCall extends EventEmitter implements AsyncIterable<Uint8Array>, MessageSink {
  /** Response headers, once received. */
  headers?: IncomingHttpHeaders;
  /** Trailers (or trailers-only headers), once received. */
  trailers?: IncomingHttpHeaders;
  private done = false;
  private failure?: EtcdError;
  /** @internal */ streamError?: Error;
  private timer?: NodeJS.Timeout;
  /** @internal */ readonly reader: MessageReader;
  /** The single response of a unary call. */
  private response?: Uint8Array;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly maxRecv: number,
    timeoutMs: number | undefined,
    private readonly session?: ClientHttp2Session,
    /** Set for unary calls: gets the outcome instead of 'data'/'end'/'error' events. */
    private readonly unaryDone?: UnaryCallback,
  ) {
    super();
    this.reader = new MessageReader(maxRecv, this);
    (stream as CallStream)[CALL] = this;
    stream.on('error', onStreamError);
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('trailers', onStreamTrailers);
    if (!unaryDone) stream.on('drain', onStreamDrain);
    stream.on('close', onStreamClose);
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.fail(GrpcCode.DeadlineExceeded, 'context deadline exceeded'), timeoutMs);
    }
  }

  /** @internal */ onMessage(msg: Buffer, compressed: boolean): void {
    if (compressed) this.fail(GrpcCode.Internal, 'grpc: compressed flag set with identity or empty encoding');
    else if (!this.unaryDone) this.emit('data', msg);
    else if (this.response === undefined) this.response = msg;
  }

  /** @internal */ onReadError(e: ReadError): void {
    if (e.kind === 'tooLarge') {
      this.fail(GrpcCode.ResourceExhausted, `grpc: received message larger than max (${e.length} vs. ${this.maxRecv})`);
    } else {
      this.fail(GrpcCode.Internal, `grpc: received unexpected payload format ${e.flag}`);
    }
  }

  write(msg: Uint8Array): boolean {
    if (this.done) return false;
    return this.stream.write(frameMessage(msg));
  }

  /** Half-closes: no more requests. */
  end(): void {
    if (!this.stream.writableEnded) this.stream.end();
  }

  /** Abandons the call (RST_STREAM CANCEL); the call fails with Canceled. */
  cancel(): void {
    this.fail(GrpcCode.Canceled, 'context canceled');
  }

  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const queue: Uint8Array[] = [];
    let error: Error | undefined = this.failure;
    let finished = this.done;
    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    this.on('data', (m: Uint8Array) => {
      queue.push(m);
      poke();
    });
    this.once('end', () => {
      finished = true;
      poke();
    });
    this.once('error', (e: Error) => {
      error = e;
      finished = true;
      poke();
    });
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (error) throw error;
      if (finished) return;
      await new Promise<void>((r) => (wake = r));
    }
  }

  /** @internal */ onHeaders(headers: IncomingHttpHeaders): void {
    this.headers = headers;
    const status = Number(headers[':status']);
    if (status !== 200) {
      this.fail(httpStatusCode(status), `unexpected HTTP status code received from server: ${status}`);
      return;
    }
    if (headers['grpc-status'] !== undefined) this.onTrailers(headers);
  }

  /** @internal */ onTrailers(trailers: IncomingHttpHeaders): void {
    if (this.done) return;
    this.trailers = trailers;
    const raw = trailers['grpc-status'];
    const code = raw === undefined ? GrpcCode.Internal : Number(raw);
    const message = raw === undefined ? 'server closed the stream without sending trailers' : decodeGrpcMessage(String(trailers['grpc-message'] ?? ''));
    if (code === GrpcCode.OK) {
      this.settle();
      if (!this.unaryDone) this.emit('end');
      else if (this.response !== undefined) this.unaryDone(undefined, this.response);
      else this.unaryDone(new EtcdError(GrpcCode.Internal, 'grpc: server returned no response message'));
    } else {
      this.fail(code, message);
    }
  }

  /** @internal */ onClose(): void {
    if (this.done) return;
    const rst = this.stream.rstCode;
    // A session torn down under the stream (the server died, the socket broke) also
    // leaves CANCEL as the stream's code; that is a lost connection, not a cancel.
    const sessionGone = this.session !== undefined && (this.session.destroyed || this.session.closed);
    if (rst === http2.constants.NGHTTP2_REFUSED_STREAM) this.fail(GrpcCode.Unavailable, 'stream refused by server');
    else if (rst === http2.constants.NGHTTP2_CANCEL && !sessionGone) this.fail(GrpcCode.Canceled, 'stream cancelled by server');
    else {
      const cause = this.streamError ?? (this.session && sessionErrors.get(this.session));
      this.fail(GrpcCode.Unavailable, cause ? `connection error: ${cause.message}` : 'transport is closing');
    }
  }

  private settle(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fail(code: GrpcCode, message: string): void {
    if (this.done) return;
    this.settle();
    this.reader.stop();
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    const err = new EtcdError(code, message);
    this.failure = err;
    if (this.unaryDone) this.unaryDone(err);
    else if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

export class GrpcClient {
  private readonly sessions: (ClientHttp2Session | undefined)[];
  private next = 0;
  private readonly maxRecv: number;
  private closed = false;

  constructor(
    private readonly target: string,
    private readonly opts: GrpcClientOptions = {},
  ) {
    const n = opts.connections ?? 1;
    if (!(n >= 1)) throw new Error('grpc: connections must be at least 1');
    this.sessions = new Array(n).fill(undefined);
    this.maxRecv = opts.maxRecvMessageBytes ?? 0x7fffffff;
  }

  /** One request, one response; rejects with EtcdError on a non-OK status. */
  unary(path: string, req: Uint8Array, metadata?: ClientMetadata, timeoutMs?: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let call: ClientCall;
      try {
        call = this.start(path, metadata, timeoutMs, (err, res) => (err ? reject(err) : resolve(res!)));
      } catch (err) {
        return reject(err);
      }
      call.write(req);
      call.end();
    });
  }

  /** Sends one request and half-closes; responses arrive as the call's 'data' or by iterating it. */
  serverStream(path: string, req: Uint8Array, metadata?: ClientMetadata, timeoutMs?: number): ClientCall {
    const call = this.start(path, metadata, timeoutMs);
    call.write(req);
    call.end();
    return call;
  }

  /** Opens a bidirectional stream; write() requests, end() to half-close. */
  bidi(path: string, metadata?: ClientMetadata, timeoutMs?: number): ClientCall {
    return this.start(path, metadata, timeoutMs);
  }

  /** Closes every connection; calls in flight fail with Unavailable. */
  close(): void {
    this.closed = true;
    for (const s of this.sessions) s?.destroy();
    this.sessions.fill(undefined);
  }

  private start(
    path: string,
    metadata: ClientMetadata | undefined,
    timeoutMs: number | undefined,
    unaryDone?: UnaryCallback,
  ): ClientCall {
    if (this.closed) throw new EtcdError(GrpcCode.Canceled, 'grpc: the client connection is closing');
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...metadata,
    };
    if (timeoutMs !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(timeoutMs);
    const session = this.session();
    return new ClientCall(session.request(headers), this.maxRecv, timeoutMs, session, unaryDone);
  }

  private session(): ClientHttp2Session {
    const i = this.next;
    this.next = (i + 1) % this.sessions.length;
    const s = this.sessions[i];
    if (s && !s.closed && !s.destroyed) return s;
    const fresh = http2.connect(this.target, {
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      peerMaxConcurrentStreams: 1000,
      maxSessionMemory: 256,
      createConnection: (url: URL) => this.connectSocket(url),
    });
    fresh.on('error', (err: Error) => sessionErrors.set(fresh, err));
    fresh.on('connect', () => {
      try {
        fresh.setLocalWindowSize(SESSION_WINDOW);
      } catch {
        // Already torn down; the calls on it fail on their own.
      }
    });
    fresh.on('close', () => {
      if (this.sessions[i] === fresh) this.sessions[i] = undefined;
    });
    this.sessions[i] = fresh;
    return fresh;
  }

  /** TCP without Nagle (small requests must not wait for a delayed ACK), TLS with ALPN h2 for https. */
  private connectSocket(url: URL): Duplex {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    const socket = net.connect({ host, port, noDelay: true });
    if (!secure) return socket;
    return tls.connect({
      host,
      servername: net.isIP(host) ? undefined : host,
      ...this.opts.tls,
      socket,
      ALPNProtocols: ['h2'],
    });
  }
}
