// The client API of a member: the etcd v3 gRPC services, each a thin mapping from
// gRPC calls onto the member port.
import type { GrpcServer } from '../grpc/index.js';
import type { MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { defineService, servedBy } from './service.js';
import type { EtcdRelease } from '../version/index.js';
import { kvImpl } from './kv.js';
import { maintenanceImpl } from './maintenance.js';
import { clusterImpl } from './cluster.js';
import { leaseImpl } from './lease.js';
import { watchImpl } from './watch.js';
import { lockImpl } from './lock.js';
import { electionImpl } from './election.js';
import { authImpl } from './auth.js';

/** What the edge knows of the member it serves, given when it starts serving. */
export interface EdgeSettings {
  /** The release the member behaves as: which RPCs and gateway routes are served. */
  release: EtcdRelease;
  /** --max-request-bytes: RangeStream's chunk target. */
  maxRequestBytes: number;
}

/** Every service's handlers, by full service name. */
export function serviceImpls(port: MemberPort, logger: Logger, settings: EdgeSettings): Array<[string, Record<string, any>]> {
  return [
    ['etcdserverpb.Auth', authImpl(port)],
    ['etcdserverpb.KV', kvImpl(port, settings.maxRequestBytes)],
    ['etcdserverpb.Maintenance', maintenanceImpl(port, logger)],
    ['etcdserverpb.Cluster', clusterImpl(port)],
    ['etcdserverpb.Lease', leaseImpl(port)],
    ['etcdserverpb.Watch', watchImpl(port)],
    ['v3lockpb.Lock', lockImpl(port)],
    ['v3electionpb.Election', electionImpl(port)],
  ];
}

/** An RPC the release lacks is left unregistered: gRPC answers it "unknown method", as that release does. */
export function registerServices(grpc: GrpcServer, port: MemberPort, metrics: GrpcMetrics, logger: Logger, settings: EdgeSettings): void {
  for (const [name, impl] of serviceImpls(port, logger, settings)) grpc.addService(name, servedBy(settings.release, name, defineService(name, impl, metrics)));
}
