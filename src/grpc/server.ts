// A lean gRPC server on etcd-ts's own HTTP/2 (src/http2), sharing its port with
// plain HTTP/1.1 (node:http) and non-gRPC HTTP/2 requests (health, version,
// metrics, the JSON gateway).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { Http2Session, type ConnectionOptions, type SessionHandler, type Stream } from '../http2/index.js';
import { GrpcCode } from '../rpctypes/errors.js';
import { ServerCall, respondTrailersOnly, type CallLimits } from './call.js';
import { HttpExchange, type Http2Request } from './http-adapter.js';
import { sniff } from './mux.js';
import { grpcTimeoutError, parseGrpcTimeout } from './status.js';
import type { MethodDef } from './types.js';

/** A request on the client port that is not gRPC: HTTP/1.1 (node:http) or HTTP/2 (http-adapter.ts). */
export type HttpRequest = IncomingMessage | Http2Request;
/**
 * What the handlers use of a response; node:http's ServerResponse and Http2Response
 * both have it (and setHeader/writeHead in ServerResponse's shape).
 */
export interface HttpResponse {
  statusCode: number;
  readonly headersSent: boolean;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
}
export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

export interface GrpcServerOptions {
  maxRecvMessageBytes: number;
  /** Default: unlimited (2^31-1), as grpc-go. */
  maxSendMessageBytes?: number;
  /** Serves every request that is not gRPC. Without it such requests get 404 (HTTP/1) or 415 (h2). */
  http?: HttpHandler;
  /** Streams per HTTP/2 connection; more are refused (REFUSED_STREAM). Default 2^32-1, etcd's --max-concurrent-streams default. */
  maxConcurrentStreams?: number;
  /** grpc-go's keepalive enforcement (etcd: --grpc-keepalive-min-time, no pings without streams). Default: any ping rate. */
  keepaliveEnforcement?: { minTimeMs: number; permitWithoutStream: boolean };
  /** How long close() waits for in-flight calls before cutting connections. Default 5000 ms. */
  closeTimeoutMs?: number;
  /** A connection that sends nothing recognisable within this time is dropped. Default 10000 ms. */
  sniffTimeoutMs?: number;
  /** Close HTTP/1.x connections unanswered, as a gRPC-only port (etcd 3.6 with --listen-client-http-urls) does. */
  refuseHttp1?: boolean;
  /** Hears an unexpected exception that failed one HTTP/2 connection (it got GOAWAY INTERNAL_ERROR). */
  onInternalError?: (err: unknown) => void;
}

export type TlsListenOptions = tls.SecureContextOptions & {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  /** Checks a connection once its handshake is done; false closes it before any byte is served. */
  accept?: (socket: tls.TLSSocket) => boolean;
};

/** Where to listen: a TCP address or a unix socket's path, or (fd) a socket this process already listens on. */
export type ListenAddress = URL | { host: string; port: number; fd?: number } | { path: string; fd?: number };

/** Per-stream receive window: large so one stream can fill a fast link. */
const STREAM_WINDOW = 1 << 20;
/** Per-connection receive window shared by all its streams. */
const CONNECTION_WINDOW = 16 << 20;

interface Route {
  def: MethodDef<unknown, unknown>;
}

function isGrpcContentType(ct: string | undefined): boolean {
  if (!ct || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return ct.length === 16 || next === 0x2b /* + */ || next === 0x3b /* ; */;
}

/** The listening socket's file descriptor (Node keeps it on the server's handle on Unix). */
function listenerFd(server: net.Server): number {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('grpc: the listening socket has no file descriptor');
  return fd;
}

export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly services = new Map<string, Set<string>>();
  private readonly limits: CallLimits;
  private readonly h1: http.Server;
  /** HTTP/1 connections and their requests not yet answered. */
  private readonly h1Conns = new Map<Socket, number>();
  private readonly sessions = new Set<Http2Session>();
  private readonly sockets = new Set<Socket>();
  private readonly streamingCalls = new Set<ServerCall>();
  private readonly connOptions: ConnectionOptions;
  private readonly sessionHandler: SessionHandler;
  private listener?: net.Server;
  private closing = false;

  constructor(private readonly opts: GrpcServerOptions) {
    if (!(opts.maxRecvMessageBytes > 0)) throw new Error('grpc: maxRecvMessageBytes must be positive');
    this.limits = {
      maxRecvMessageBytes: opts.maxRecvMessageBytes,
      maxSendMessageBytes: opts.maxSendMessageBytes ?? 0x7fffffff,
    };
    this.connOptions = {
      maxConcurrentStreams: opts.maxConcurrentStreams,
      streamWindow: STREAM_WINDOW,
      connectionWindow: CONNECTION_WINDOW,
      pingPolicy: opts.keepaliveEnforcement,
    };
    this.sessionHandler = {
      onStream: (stream, session) => this.onStream(stream, session.socket as Socket),
      onClose: (session) => this.sessions.delete(session),
      onError: (err) => opts.onInternalError?.(err),
    };
    this.h1 = http.createServer((req, res) => {
      const socket = req.socket as Socket;
      this.h1Conns.set(socket, (this.h1Conns.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const left = (this.h1Conns.get(socket) ?? 1) - 1;
        if (!this.h1Conns.has(socket)) return;
        this.h1Conns.set(socket, left);
        // Closing: a connection ends with its last answer instead of idling on.
        if (this.closing && left === 0) socket.end();
      });
      this.serveHttp(req, res);
    });
    this.h1.on('clientError', (_err, socket) => socket.destroy());
    // Keep-alive HTTP/1 connections must not hold close() hostage.
    this.h1.keepAliveTimeout = 5000;
  }

  addService(fullName: string, methods: Record<string, MethodDef<any, any>>): void {
    let names = this.services.get(fullName);
    if (!names) this.services.set(fullName, (names = new Set()));
    for (const [method, def] of Object.entries(methods)) {
      const path = `/${fullName}/${method}`;
      if (this.routes.has(path)) throw new Error(`grpc: method ${path} registered twice`);
      this.routes.set(path, { def });
      names.add(method);
    }
  }

  /**
   * Starts serving; with `tls` the port speaks TLS and picks the protocol by ALPN.
   * With `fd`, it accepts on that already-listening socket of this process instead
   * of opening one (threads sharing one port); `fd` in the answer is the socket's.
   */
  listen(url: ListenAddress, tlsOpts?: TlsListenOptions): Promise<{ port: number; fd: number }> {
    if (this.listener) return Promise.reject(new Error('grpc: server already listening'));
    const sniffMs = this.opts.sniffTimeoutMs ?? 10_000;
    const dispatch = (proto: 'h2' | 'http1', socket: Socket, head?: Buffer) => {
      if (this.closing) return void socket.destroy();
      if (proto === 'http1' && this.opts.refuseHttp1) return void socket.destroy();
      if (proto === 'h2') {
        const session = new Http2Session(socket, this.sessionHandler, this.connOptions, head);
        if (!socket.destroyed) this.sessions.add(session);
      } else {
        if (head) socket.unshift(head);
        this.h1Conns.set(socket, 0);
        socket.once('close', () => this.h1Conns.delete(socket));
        this.h1.emit('connection', socket);
        // The sniffer paused the socket; the HTTP/1 parser reads it through 'data' events.
        socket.resume();
      }
    };
    let server: net.Server;
    if (tlsOpts) {
      const { accept, ...secure } = tlsOpts;
      server = tls.createServer({ ...secure, ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
        if (accept && !accept(socket)) return void socket.destroy();
        if (socket.alpnProtocol === 'h2') dispatch('h2', socket);
        else if (socket.alpnProtocol === 'http/1.1') dispatch('http1', socket);
        else sniff(socket, sniffMs, dispatch);
      });
      server.on('tlsClientError', () => {});
      server.on('connection', (socket: Socket) => {
        this.track(socket);
        socket.setNoDelay(true);
      });
    } else {
      server = net.createServer((socket) => {
        this.track(socket);
        socket.setNoDelay(true);
        sniff(socket, sniffMs, dispatch);
      });
    }
    this.listener = server;
    const fd = url instanceof URL ? undefined : url.fd;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.removeListener('error', reject);
        server.on('error', () => {});
        const addr = server.address();
        resolve({ port: typeof addr === 'object' && addr !== null ? addr.port : 0, fd: listenerFd(server) });
      };
      if (fd !== undefined) server.listen({ fd }, listening);
      else if ('path' in url) server.listen(url.path, listening);
      else if (url instanceof URL) server.listen(Number(url.port || (url.protocol === 'https:' ? 443 : 80)), url.hostname.replace(/^\[(.*)\]$/, '$1'), listening);
      else server.listen(url.port, url.host, listening);
    });
  }

  /**
   * Stops accepting, sends GOAWAY, ends streaming calls, then cuts what is left
   * after the timeout. With `leaveListening`, the listening socket stays open (new
   * connections are dropped): threads sharing one socket close it only once none
   * of them serves.
   */
  async close(opts: { leaveListening?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const listener = this.listener;
    const closed = listener && !opts.leaveListening ? new Promise<void>((r) => listener.close(() => r())) : Promise.resolve();
    for (const call of [...this.streamingCalls]) call.shutdown();
    for (const s of [...this.sessions]) s.goAway();
    // The HTTP/1 server never listens itself, so its closeIdleConnections() does not
    // know these connections: an idle keep-alive one is ended here, as Go's Shutdown
    // closes idle connections, instead of holding close() until the client lets go.
    for (const [socket, busy] of this.h1Conns) if (busy === 0) socket.end();
    const until = Date.now() + (this.opts.closeTimeoutMs ?? 5000);
    await new Promise<void>((resolve) => {
      const check = () => {
        for (const s of this.sockets) if (s.destroyed) this.sockets.delete(s);
        if (this.sockets.size === 0 || Date.now() >= until) return resolve();
        setTimeout(check, 20);
      };
      check();
    });
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private onStream(stream: Stream, socket: Socket): void {
    if (!isGrpcContentType(stream.field('content-type'))) return this.serveH2Http(stream, socket);
    const path = stream.field(':path') ?? '';
    const route = this.routes.get(path);
    if (route === undefined) {
      const [code, text] = this.unroutable(path);
      return respondTrailersOnly(stream, code, text);
    }
    const encoding = stream.field('grpc-encoding');
    if (encoding !== undefined && encoding !== 'identity') {
      return respondTrailersOnly(stream, GrpcCode.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`);
    }
    const rawTimeout = stream.field('grpc-timeout');
    const timeoutMs = rawTimeout === undefined ? undefined : parseGrpcTimeout(rawTimeout);
    if (rawTimeout !== undefined && timeoutMs === undefined) {
      return respondTrailersOnly(stream, GrpcCode.Internal, `transport: malformed time-out: ${grpcTimeoutError(rawTimeout)}`);
    }
    const kind = route.def.kind;
    const streaming = kind !== 'unary';
    const call = new ServerCall(stream, socket, route.def, this.limits, timeoutMs, streaming ? (c) => this.streamingCalls.delete(c) : undefined);
    if (streaming) this.streamingCalls.add(call);
    if (kind === 'bidi' || kind === 'clientStream') call.start();
  }

  /** grpc-go's status for a path it cannot route (it does answer a malformed one with ResourceExhausted). */
  private unroutable(path: string): [GrpcCode, string] {
    const sm = path.startsWith('/') ? path.slice(1) : path;
    const pos = sm.lastIndexOf('/');
    if (pos === -1) return [GrpcCode.ResourceExhausted, `malformed method name: ${JSON.stringify(path)}`];
    const service = sm.slice(0, pos);
    const method = sm.slice(pos + 1);
    if (this.services.has(service)) return [GrpcCode.Unimplemented, `unknown method ${method} for service ${service}`];
    return [GrpcCode.Unimplemented, `unknown service ${service}`];
  }

  private serveH2Http(stream: Stream, socket: Socket): void {
    const handler = this.opts.http;
    // An HTTP request needs its method and path (RFC 9113 §8.3.1).
    if (stream.field(':method') === undefined || stream.field(':path') === undefined) return stream.reset(1 /* PROTOCOL_ERROR */);
    if (!handler) return stream.respond([':status', '415'], true);
    const { req, res } = new HttpExchange(stream, socket);
    try {
      handler(req, res);
    } catch {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    }
  }

  private serveHttp(req: IncomingMessage, res: ServerResponse): void {
    const handler = this.opts.http;
    if (!handler) {
      res.statusCode = 404;
      res.end('404 page not found\n');
      return;
    }
    try {
      handler(req, res);
    } catch {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    }
  }
}
