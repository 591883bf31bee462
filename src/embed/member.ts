// One etcd-ts member with its client listeners: the server, the gRPC services and
// the HTTP endpoints on each --listen-client-urls address. Used by the etcd-ts
// binary and by the in-process embedded mode alike.
import { EtcdServer, GRPC_OVERHEAD_BYTES } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';
import { serveClients, type ClientListener, type ListenerOptions } from '../edge/listeners.js';
import { bootEdgeThreads, type EdgeThreads } from '../edge/threads.js';
import { ServerPort } from '../server/port.js';
import { removeSnapshotLeftovers } from '../bolt/backend-snapshot.js';
import { Metrics } from '../metrics/index.js';
import type { Logger } from '../pkg/logger.js';
import { hex } from '../server/ids.js';
import { ETCD_TS_VERSION } from '../server/version.js';
import { EtcdRelease } from '../version/index.js';
import { clientTlsOptions, type ClientTlsConfig } from './tls.js';
import { DASHBOARD_PATH } from '../dashboard/paths.js';

export interface MemberOptions extends ServerOptions {
  listenClientUrls: URL[];
  advertiseClientUrls: URL[];
  maxConcurrentStreams?: number;
  /** For https:// client URLs. */
  clientTls?: ClientTlsConfig;
  /** etcd's --enable-grpc-gateway: the JSON gateway under /v3/ (default on). */
  enableGrpcGateway?: boolean;
  /** etcd-ts's web dashboard under /dashboard/ (default off; needs the gateway). */
  enableDashboard?: boolean;
  /**
   * Threads serving client connections beside the core thread; 0 (the default):
   * the core thread serves them itself.
   */
  edgeThreads?: number;
}

export interface RunningMember {
  server: EtcdServer;
  /** Client URLs actually bound (ephemeral ports resolved). */
  clientUrls: string[];
  close(): Promise<void>;
}

/** The client side of a member: served on the core thread, or by edge threads. */
interface ClientSide {
  clientUrls: string[];
  /** Ends client connections (before the server stops). */
  drain(): Promise<void>;
  /** Releases what is left (after the server stopped). */
  release(): Promise<void>;
}

export async function startMember(opts: MemberOptions, logger: Logger): Promise<RunningMember> {
  logger.info('starting etcd-ts', { 'etcd-version': (opts.release ?? EtcdRelease.default()).version, 'etcd-ts-version': ETCD_TS_VERSION, 'node-version': process.version, 'data-dir': opts.dataDir, name: opts.name });
  const metrics = new Metrics();
  const stale = removeSnapshotLeftovers(opts.dataDir);
  if (stale.length) logger.warn('removed unfinished snapshot files', { files: stale });
  // Edge threads load their modules while the server opens its storage.
  const edgeThreads = opts.edgeThreads ?? 0;
  const booting = edgeThreads > 0 ? bootEdgeThreads(edgeThreads) : undefined;
  let server: EtcdServer;
  try {
    server = await EtcdServer.start(opts, logger, metrics);
  } catch (err) {
    await booting?.terminate();
    throw err;
  }
  logger.info('starting etcd server', { 'local-member-id': hex(server.id), 'cluster-id': hex(server.clusterId) });

  let threads: EdgeThreads | undefined;
  const memberPort = new ServerPort(server, metrics, async () => (threads ? threads.metrics() : []));
  let clients: ClientSide;
  try {
    const listen = listenerOptions(opts);
    if (booting) {
      const t = (threads = await booting.serve(memberPort, listen, logger));
      clients = { clientUrls: t.clientUrls, drain: () => t.drain(), release: () => t.terminate() };
      logger.info('serving clients on edge threads', { 'edge-threads': edgeThreads });
    } else {
      const serving = await serveClients(memberPort, metrics, logger, listen);
      clients = { clientUrls: serving.clientUrls, drain: () => serving.close(), release: async () => {} };
    }
  } catch (err) {
    await booting?.terminate();
    await server.stop();
    throw err;
  }
  const clientUrls = clients.clientUrls;

  await server.ready;
  const advertised = opts.advertiseClientUrls.length ? opts.advertiseClientUrls.map((u) => u.href.replace(/\/$/, '')) : clientUrls;
  await server.publish(advertised);
  logger.info('published local member to cluster through raft', { 'local-member-id': hex(server.id), 'cluster-id': hex(server.clusterId), 'client-urls': advertised });
  for (const u of clientUrls) logger.info('ready to serve client requests');
  for (const u of clientUrls) {
    if (u.startsWith('https:')) logger.info('serving client traffic securely', { address: u });
    else logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: u });
  }
  if (opts.enableDashboard) for (const u of clientUrls) logger.info('serving the dashboard', { url: `${u}${DASHBOARD_PATH}` });

  let closed = false;
  return {
    server,
    clientUrls,
    async close() {
      if (closed) return;
      closed = true;
      await clients.drain();
      await server.stop();
      await clients.release();
    },
  };
}

/** What every client listener needs: the URLs with their TLS settings, and the limits. */
function listenerOptions(opts: MemberOptions): ListenerOptions {
  const hosts = opts.listenClientUrls.map((u) => u.hostname.replace(/^\[|\]$/g, ''));
  const listeners: ClientListener[] = opts.listenClientUrls.map((url) => {
    if (url.protocol === 'unixs:') throw new Error(`TLS unix sockets are not available yet: ${url.href}`);
    const tls = url.protocol === 'https:' ? clientTlsOptions(url, opts.clientTls ?? {}, opts.dataDir, hosts) : undefined;
    return { url: url.href, tls };
  });
  return {
    listeners,
    maxRecvMessageBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    maxConcurrentStreams: opts.maxConcurrentStreams,
    enableGrpcGateway: opts.enableGrpcGateway,
    enableDashboard: opts.enableDashboard,
    release: (opts.release ?? EtcdRelease.default()).describe(),
    maxRequestBytes: opts.maxRequestBytes,
  };
}
