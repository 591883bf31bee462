// The client API of a member: the etcd v3 gRPC services it serves today.
import type { GrpcServer } from '../grpc/index.js';
import type { EtcdServer } from '../server/server.js';
import type { Metrics } from '../metrics/index.js';
import { defineService as defineServiceUnguarded } from './service.js';
import { kvImpl } from './kv.js';
import { maintenanceImpl } from './maintenance.js';
import { clusterImpl } from './cluster.js';
import { leaseImpl } from './lease.js';
import { watchImpl } from './watch.js';
import { lockImpl } from './lock.js';
import { electionImpl } from './election.js';
import { authImpl } from './auth.js';
import { guardServices } from '../auth/guard.js';

export function registerServices(grpc: GrpcServer, server: EtcdServer, metrics: Metrics): void {
  // Every service goes through the auth guard: with auth enabled, calls are checked before they run.
  const defineService = guardServices(server, defineServiceUnguarded);
  grpc.addService('etcdserverpb.Auth', defineService('etcdserverpb.Auth', authImpl(server), metrics));
  grpc.addService('etcdserverpb.KV', defineService('etcdserverpb.KV', kvImpl(server), metrics));
  grpc.addService('etcdserverpb.Maintenance', defineService('etcdserverpb.Maintenance', maintenanceImpl(server), metrics));
  grpc.addService('etcdserverpb.Cluster', defineService('etcdserverpb.Cluster', clusterImpl(server), metrics));
  grpc.addService('etcdserverpb.Lease', defineService('etcdserverpb.Lease', leaseImpl(server), metrics));
  grpc.addService('etcdserverpb.Watch', defineService('etcdserverpb.Watch', watchImpl(server), metrics));
  grpc.addService('v3lockpb.Lock', defineService('v3lockpb.Lock', lockImpl(server), metrics));
  grpc.addService('v3electionpb.Election', defineService('v3electionpb.Election', electionImpl(server), metrics));
}
