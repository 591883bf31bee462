// etcdserverpb.Maintenance: what `etcdctl endpoint status|hashkv|alarm|defrag|snapshot save`
// and `etcdctl downgrade` use.
import type { CallContext, ServerWritable } from '../grpc/types.js';
import type { AlarmRequest, DowngradeRequest } from '../pb/maintenance.js';
import type { MaintenancePort } from '../port/member-port.js';
import type { Logger } from '../pkg/logger.js';
import { credentialsOf } from './credentials.js';
import { sendSnapshot, type SnapshotResponse } from './snapshot.js';

export function maintenanceImpl(p: MaintenancePort, logger: Logger) {
  return {
    Status: (_req: object, call: CallContext) => p.status(credentialsOf(call)),
    Hash: (_req: object, call: CallContext) => p.hash(credentialsOf(call)),
    HashKV: (req: { revision: number }, call: CallContext) => p.hashKV(req, credentialsOf(call)),
    MoveLeader: (req: { targetID: bigint }, call: CallContext) => p.moveLeader(req, credentialsOf(call)),
    Alarm: (req: AlarmRequest, call: CallContext) => p.alarm(req, credentialsOf(call)),
    Defragment: (_req: object, call: CallContext) => p.defragment(credentialsOf(call)),
    Snapshot: (_req: object, stream: ServerWritable<SnapshotResponse>) => sendSnapshot(p, stream, logger),
    Downgrade: (req: DowngradeRequest, call: CallContext) => p.downgrade(req, credentialsOf(call)),
  };
}
