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

/** Every service's handlers, by full service name. */
export function serviceImpls(port: MemberPort, logger: Logger): Array<[string, Record<string, any>]> {
  return [
    ['etcdserverpb.Auth', authImpl(port)],
    ['etcdserverpb.KV', kvImpl(port)],
    ['etcdserverpb.Maintenance', maintenanceImpl(port, logger)],
    ['etcdserverpb.Cluster', clusterImpl(port)],
    ['etcdserverpb.Lease', leaseImpl(port)],
    ['etcdserverpb.Watch', watchImpl(port)],
    ['v3lockpb.Lock', lockImpl(port)],
    ['v3electionpb.Election', electionImpl(port)],
  ];
}

/** An RPC the release lacks is left unregistered: gRPC answers it "unknown method", as that release does. */
export function registerServices(grpc: GrpcServer, port: MemberPort, metrics: GrpcMetrics, logger: Logger, release: EtcdRelease): void {
  for (const [name, impl] of serviceImpls(port, logger)) grpc.addService(name, servedBy(release, name, defineService(name, impl, metrics)));
}
