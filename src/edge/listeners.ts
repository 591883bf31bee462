// The client listeners of a member: on each --listen-client-urls address, gRPC,
// the JSON gateway and the HTTP endpoints on one port, all answered through the
// member port. The same code runs on the core thread (when it serves clients
// itself) and on every edge thread.
import { GrpcServer, type TlsListenOptions } from '../grpc/index.js';
import { registerServices } from '../api/index.js';
import type { MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { httpHandler } from './http.js';
import { EtcdRelease, type ReleaseDescription } from '../version/index.js';

export interface ClientListener {
  /** The URL as given: http(s)://host:port. */
  url: string;
  tls?: TlsListenOptions;
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
  enableGrpcGateway?: boolean;
  /** The web dashboard under /dashboard/ (see dashboard/). */
  enableDashboard?: boolean;
  /** The release the member behaves as: which RPCs and gateway routes are served. */
  release: ReleaseDescription;
  /** --max-request-bytes: RangeStream's chunk target. */
  maxRequestBytes: number;
}

export interface ServingClients {
  /** Bound URLs, ephemeral ports resolved, in the order given. */
  clientUrls: string[];
  /** The listening sockets' descriptors, in the order given. */
  fds: number[];
  /** Ends every connection; with `leaveListening` the listening sockets stay open (see GrpcServer.close). */
  close(opts?: { leaveListening?: boolean }): Promise<void>;
}

export async function serveClients(port: MemberPort, metrics: GrpcMetrics, logger: Logger, opts: ListenerOptions): Promise<ServingClients> {
  const settings = { release: EtcdRelease.from(opts.release), maxRequestBytes: opts.maxRequestBytes };
  const servers: GrpcServer[] = [];
  const clientUrls: string[] = [];
  const fds: number[] = [];
  try {
    for (const l of opts.listeners) {
      const url = new URL(l.url);
      const grpc = new GrpcServer({
        maxRecvMessageBytes: opts.maxRecvMessageBytes,
        maxConcurrentStreams: opts.maxConcurrentStreams,
        http: httpHandler(port, metrics, logger, settings, { grpcGateway: opts.enableGrpcGateway, dashboard: opts.enableDashboard }),
      });
      registerServices(grpc, port, metrics, logger, settings);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const bound = await grpc.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 2379), fd: l.fd }, l.tls);
      servers.push(grpc);
      clientUrls.push(`${url.protocol}//${url.hostname}:${bound.port}`);
      fds.push(bound.fd);
    }
  } catch (err) {
    await Promise.all(servers.map((g) => g.close()));
    throw err;
  }
  return { clientUrls, fds, close: async (o) => void (await Promise.all(servers.map((g) => g.close(o)))) };
}
