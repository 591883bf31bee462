// One etcd-ts member with its client listeners: the server, the gRPC services and
// the HTTP endpoints on each --listen-client-urls address (and HTTP alone on each
// --listen-client-http-urls address, as etcd 3.6). Used by the etcd-ts binary and by
// the in-process embedded mode alike.
import { EtcdServer, GRPC_OVERHEAD_BYTES } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';
import { serveClients, type ClientListener, type ListenerOptions, type Traffic } from '../edge/listeners.js';
import { bootEdgeThreads, type EdgeThreads } from '../edge/threads.js';
import { ServerPort } from '../server/port.js';
import { removeSnapshotLeftovers } from '../bolt/backend-snapshot.js';
import { Metrics } from '../metrics/index.js';
import type { Logger } from '../pkg/logger.js';
import { hex } from '../server/ids.js';
import { ETCD_TS_VERSION } from '../server/version.js';
import { EtcdRelease } from '../version/index.js';
import { clientTlsChecks, clientTlsOptions, type ClientTlsConfig } from './tls.js';
import { DASHBOARD_PATH } from '../dashboard/paths.js';
import { isSecure, isUnix, removeSocketFile } from '../edge/listen-url.js';
import { FEATURE_GATES, featureEnabled, type FeatureGateName, type FeatureGates } from '../config/feature-gates.js';
import { takeOverEtcdDataDir } from '../datadir/takeover.js';

export interface MemberOptions extends ServerOptions {
  listenClientUrls: URL[];
  /** HTTP-only client listeners (etcd 3.6's --listen-client-http-urls); when given, listenClientUrls serve gRPC only. */
  listenClientHttpUrls?: URL[];
  advertiseClientUrls: URL[];
  maxConcurrentStreams?: number;
  /** etcd's --grpc-keepalive-min-time: clients pinging more often than this get GOAWAY too_many_pings (default 5 s). */
  grpcKeepaliveMinTimeMs?: number;
  /** For https:// and unixs:// client URLs. */
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
  /** --feature-gates as parsed (explicitly set gates); reported by etcd_server_feature_enabled. */
  featureGates?: FeatureGates;
  /** Unary calls slower than this are logged as "request stats" (--warning-unary-request-duration); default 300 ms. */
  warningUnaryRequestMs?: number;
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
  for (const [name, spec] of Object.entries(FEATURE_GATES)) {
    metrics.featureEnabled.set({ name, stage: spec.preRelease }, featureEnabled(opts.featureGates ?? {}, name as FeatureGateName) ? 1 : 0);
  }
  // On an etcd member's data dir, etcd-ts runs on its own copy of the member beside etcd's files.
  const where = await takeOverEtcdDataDir(opts.dataDir, opts.walDir, logger);
  if (where.dataDir !== opts.dataDir) opts = { ...opts, dataDir: where.dataDir, walDir: where.walDir };
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
  let listen: ListenerOptions;
  try {
    listen = listenerOptions(opts);
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
  const served = listen.listeners;

  // A member whose Raft loop fails while it starts stops on its own: starting fails too.
  const stoppedFirst = server.stopped.then(() => {
    throw new Error('the member stopped before it was ready (see the log)');
  });
  stoppedFirst.catch(() => {});
  try {
    await Promise.race([server.ready, stoppedFirst]);
  } catch (err) {
    await clients.drain().catch(() => {});
    await clients.release();
    throw err;
  }
  const advertised = opts.advertiseClientUrls.length ? opts.advertiseClientUrls.map((u) => u.href.replace(/\/$/, '')) : clientUrls;
  await server.publish(advertised);
  logger.info('published local member to cluster through raft', { 'local-member-id': hex(server.id), 'cluster-id': hex(server.clusterId), 'client-urls': advertised });
  for (const _ of clientUrls) logger.info('ready to serve client requests');
  if (!opts.listenClientHttpUrls?.length) logger.warn('Running http and grpc server on single port. This is not recommended for production.');
  clientUrls.forEach((u, i) => {
    const traffic = served[i]?.traffic ?? 'grpc+http';
    const address = u.replace(/^[a-z]+:\/\//, '');
    if (isSecure(new URL(u))) logger.info('serving client traffic securely', { traffic, address });
    else logger.info('serving client traffic insecurely; this is strongly discouraged!', { traffic, address });
  });
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
      // As etcd's unix listener, the socket files go with the member.
      for (const l of served) if (isUnix(new URL(l.url))) removeSocketFile(new URL(l.url).host);
    },
  };
}

/** What every client listener needs: the URLs with their TLS settings and what they serve, and the limits. */
function listenerOptions(opts: MemberOptions): ListenerOptions {
  const httpUrls = opts.listenClientHttpUrls ?? [];
  const split = httpUrls.length > 0;
  const all = [...opts.listenClientUrls, ...httpUrls];
  const hosts = all.filter((u) => !isUnix(u)).map((u) => u.hostname.replace(/^\[|\]$/g, ''));
  const checks = clientTlsChecks(opts.clientTls ?? {});
  const listener = (url: URL, traffic: Traffic): ClientListener => {
    const tls = isSecure(url) ? clientTlsOptions(url, opts.clientTls ?? {}, opts.dataDir, hosts) : undefined;
    return { url: url.href, tls, ...(tls && checks ? { checks } : {}), traffic };
  };
  return {
    listeners: [...opts.listenClientUrls.map((u) => listener(u, split ? 'grpc' : 'grpc+http')), ...httpUrls.map((u) => listener(u, 'http'))],
    maxRecvMessageBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    maxConcurrentStreams: opts.maxConcurrentStreams,
    keepaliveMinTimeMs: keepaliveMinTime(opts.grpcKeepaliveMinTimeMs),
    enableGrpcGateway: opts.enableGrpcGateway,
    enableDashboard: opts.enableDashboard,
    release: (opts.release ?? EtcdRelease.default()).describe(),
    maxRequestBytes: opts.maxRequestBytes,
    warningUnaryRequestMs: opts.warningUnaryRequestMs,
  };
}

/** etcd's --grpc-keepalive-min-time; 0 leaves grpc-go's own default policy, 5 minutes. */
function keepaliveMinTime(ms: number | undefined): number {
  if (ms === undefined) return 5000;
  return ms > 0 ? ms : 5 * 60_000;
}
