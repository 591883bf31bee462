// The client listeners of a member: on each --listen-client-urls address, gRPC,
// the JSON gateway and the HTTP endpoints on one port (gRPC alone when etcd 3.6's
// --listen-client-http-urls gives HTTP its own addresses), all answered through the
// member port. The same code runs on the core thread (when it serves clients itself)
// and on every edge thread.
import { GrpcServer, type TlsListenOptions } from '../grpc/index.js';
import { registerServices } from '../api/index.js';
import type { MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { connectionGate, type TlsChecks } from '../tlsutil/gate.js';
import { httpHandler } from './http.js';
import { EtcdRelease, type ReleaseDescription } from '../version/index.js';
import { HttpListener } from './http-listener.js';
import { isUnix, listenAddress, removeSocketFile } from './listen-url.js';
import { requestStatsLogger } from './request-stats.js';

/** What a listener serves: etcd 3.6 names it so in its "serving client traffic" lines. */
export type Traffic = 'grpc' | 'http' | 'grpc+http';

export interface ClientListener {
  /** The URL as given: http(s)://host:port, or unix(s)://socket-file. */
  url: string;
  tls?: TlsListenOptions;
  /** Checks made once a TLS handshake is done (allowed hostnames, revocation). */
  checks?: TlsChecks;
  /** Default 'grpc+http'. */
  traffic?: Traffic;
  /**
   * A listening socket already open in this process (its file descriptor): edge
   * threads after the first accept on the first one's sockets, so connections
   * spread over the threads without a hand-off.
   */
  fd?: number;
}

export interface ListenerOptions {
  listeners: ClientListener[];
  maxRecvMessageBytes: number;
  maxConcurrentStreams?: number;
  /** Pings closer together get GOAWAY too_many_pings, as grpc-go enforces etcd's --grpc-keepalive-min-time. */
  keepaliveMinTimeMs?: number;
  enableGrpcGateway?: boolean;
  /** The web dashboard under /dashboard/ (see dashboard/). */
  enableDashboard?: boolean;
  /** The release the member behaves as: which RPCs and gateway routes are served. */
  release: ReleaseDescription;
  /** --max-request-bytes: RangeStream's chunk target. */
  maxRequestBytes: number;
  /** Unary calls slower than this are logged as "request stats" (--warning-unary-request-duration); default 300 ms. */
  warningUnaryRequestMs?: number;
}

export interface ServingClients {
  /** Bound URLs, ephemeral ports resolved, in the order given. */
  clientUrls: string[];
  /** The listening sockets' descriptors, in the order given. */
  fds: number[];
  /** Ends every connection; with `leaveListening` the listening sockets stay open (see GrpcServer.close). */
  close(opts?: { leaveListening?: boolean }): Promise<void>;
}

interface Closable {
  close(opts?: { leaveListening?: boolean }): Promise<void>;
}

export async function serveClients(port: MemberPort, metrics: GrpcMetrics, logger: Logger, opts: ListenerOptions): Promise<ServingClients> {
  const settings = { release: EtcdRelease.from(opts.release), maxRequestBytes: opts.maxRequestBytes };
  const servers: Closable[] = [];
  const clientUrls: string[] = [];
  const fds: number[] = [];
  const http = httpHandler(port, metrics, logger, settings, { grpcGateway: opts.enableGrpcGateway, dashboard: opts.enableDashboard, maxRecvMessageBytes: opts.maxRecvMessageBytes });
  metrics.unaryDone = requestStatsLogger(logger, opts.warningUnaryRequestMs ?? 300);
  try {
    for (const l of opts.listeners) {
      const url = new URL(l.url);
      const traffic = l.traffic ?? 'grpc+http';
      const accept = connectionGate(l.checks, logger);
      const tls = l.tls && accept ? { ...l.tls, accept } : l.tls;
      // As etcd's unix listener: a stale socket file is replaced (by whoever opens the socket).
      if (isUnix(url) && l.fd === undefined) removeSocketFile(url.host);
      const addr = { ...listenAddress(url), fd: l.fd };
      let bound: { port: number; fd: number };
      if (traffic === 'http') {
        const h = new HttpListener(http, tls);
        servers.push(h);
        bound = await h.listen(addr);
      } else {
        const grpc = new GrpcServer({
          maxRecvMessageBytes: opts.maxRecvMessageBytes,
          maxConcurrentStreams: opts.maxConcurrentStreams,
          keepaliveEnforcement: opts.keepaliveMinTimeMs === undefined ? undefined : { minTimeMs: opts.keepaliveMinTimeMs, permitWithoutStream: false },
          onInternalError: (err) => logger.warn('client connection failed on an internal error', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
          ...(traffic === 'grpc' ? { refuseHttp1: true } : { http }),
        });
        registerServices(grpc, port, metrics, logger, settings);
        servers.push(grpc);
        bound = await grpc.listen(addr, tls);
      }
      clientUrls.push(isUnix(url) ? `${url.protocol}//${url.host}` : `${url.protocol}//${url.hostname}:${bound.port}`);
      fds.push(bound.fd);
    }
  } catch (err) {
    await Promise.all(servers.map((g) => g.close()));
    throw err;
  }
  return { clientUrls, fds, close: async (o) => void (await Promise.all(servers.map((g) => g.close(o)))) };
}
