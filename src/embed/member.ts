// One etcd-ts member with its client listeners: the server, the gRPC services and
// the HTTP endpoints on each --listen-client-urls address. Used by the etcd-ts
// binary and by the in-process embedded mode alike.
import { GrpcServer } from '../grpc/index.js';
import { EtcdServer, GRPC_OVERHEAD_BYTES } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';
import { registerServices } from '../api/index.js';
import { httpHandler } from '../api/http.js';
import { removeSnapshotLeftovers } from '../bolt/backend-snapshot.js';
import { Metrics } from '../metrics/index.js';
import type { Logger } from '../pkg/logger.js';
import { hex } from '../server/ids.js';
import { ETCD_API_VERSION, ETCD_TS_VERSION } from '../server/version.js';
import { clientTlsOptions, type ClientTlsConfig } from './tls.js';

export interface MemberOptions extends ServerOptions {
  listenClientUrls: URL[];
  advertiseClientUrls: URL[];
  maxConcurrentStreams?: number;
  /** For https:// client URLs. */
  clientTls?: ClientTlsConfig;
  /** etcd's --enable-grpc-gateway: the JSON gateway under /v3/ (default on). */
  enableGrpcGateway?: boolean;
}

export interface RunningMember {
  server: EtcdServer;
  /** Client URLs actually bound (ephemeral ports resolved). */
  clientUrls: string[];
  close(): Promise<void>;
}

export async function startMember(opts: MemberOptions, logger: Logger): Promise<RunningMember> {
  logger.info('starting etcd-ts', { 'etcd-version': ETCD_API_VERSION, 'etcd-ts-version': ETCD_TS_VERSION, 'node-version': process.version, 'data-dir': opts.dataDir, name: opts.name });
  const metrics = new Metrics();
  const stale = removeSnapshotLeftovers(opts.dataDir);
  if (stale.length) logger.warn('removed unfinished snapshot files', { files: stale });
  const server = await EtcdServer.start(opts, logger, metrics);
  logger.info('starting etcd server', { 'local-member-id': hex(server.id), 'cluster-id': hex(server.clusterId) });

  const grpcServers: GrpcServer[] = [];
  const clientUrls: string[] = [];
  try {
    for (const url of opts.listenClientUrls) {
      if (url.protocol === 'unixs:') throw new Error(`TLS unix sockets are not available yet: ${url.href}`);
      const hosts = opts.listenClientUrls.map((u) => u.hostname.replace(/^\[|\]$/g, ''));
      const tlsOpts = url.protocol === 'https:' ? clientTlsOptions(url, opts.clientTls ?? {}, opts.dataDir, hosts) : undefined;
      const grpc = new GrpcServer({
        maxRecvMessageBytes: opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
        maxConcurrentStreams: opts.maxConcurrentStreams,
        http: httpHandler(server, metrics, { grpcGateway: opts.enableGrpcGateway }),
      });
      registerServices(grpc, server, metrics);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const { port } = await grpc.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 2379) }, tlsOpts);
      grpcServers.push(grpc);
      clientUrls.push(`${url.protocol}//${url.hostname}:${port}`);
    }
  } catch (err) {
    for (const g of grpcServers) await g.close();
    await server.stop();
    throw err;
  }

  await server.ready;
  const advertised = opts.advertiseClientUrls.length ? opts.advertiseClientUrls.map((u) => u.href.replace(/\/$/, '')) : clientUrls;
  await server.publish(advertised);
  logger.info('published local member to cluster through raft', { 'local-member-id': hex(server.id), 'cluster-id': hex(server.clusterId), 'client-urls': advertised });
  logger.info('enabled capabilities for version', { 'cluster-version': '3.4' });
  for (const u of clientUrls) logger.info('ready to serve client requests');
  for (const u of clientUrls) {
    if (u.startsWith('https:')) logger.info('serving client traffic securely', { address: u });
    else logger.info('serving client traffic insecurely; this is strongly discouraged!', { address: u });
  }

  let closed = false;
  return {
    server,
    clientUrls,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(grpcServers.map((g) => g.close()));
      await server.stop();
    },
  };
}
