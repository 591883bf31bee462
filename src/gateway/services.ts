// The methods the gateway calls: the same service definitions the gRPC port serves
// (auth guard and gRPC metrics included), keyed "<package.Service>/<Method>".
import type { MethodDef } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import type { Metrics } from '../metrics/index.js';
import { defineService } from '../api/service.js';
import { kvImpl } from '../api/kv.js';
import { maintenanceImpl } from '../api/maintenance.js';
import { clusterImpl } from '../api/cluster.js';
import { leaseImpl } from '../api/lease.js';
import { watchImpl } from '../api/watch.js';
import { lockImpl } from '../api/lock.js';
import { electionImpl } from '../api/election.js';
import { authImpl } from '../api/auth.js';
import { guardServices } from '../auth/guard.js';

export type MethodTable = ReadonlyMap<string, MethodDef<any, any>>;

export function gatewayMethods(server: EtcdServer, metrics: Metrics): MethodTable {
  const define = guardServices(server, defineService);
  const impls: Array<[string, Record<string, any>]> = [
    ['etcdserverpb.KV', kvImpl(server)],
    ['etcdserverpb.Watch', watchImpl(server)],
    ['etcdserverpb.Lease', leaseImpl(server)],
    ['etcdserverpb.Cluster', clusterImpl(server)],
    ['etcdserverpb.Maintenance', maintenanceImpl(server)],
    ['etcdserverpb.Auth', authImpl(server)],
    ['v3lockpb.Lock', lockImpl(server)],
    ['v3electionpb.Election', electionImpl(server)],
  ];
  const out = new Map<string, MethodDef<any, any>>();
  for (const [name, impl] of impls) {
    for (const [method, def] of Object.entries(define(name, impl, metrics) as Record<string, MethodDef<any, any>>)) out.set(`${name}/${method}`, def);
  }
  return out;
}
