// etcdserverpb.Maintenance: what `etcdctl endpoint status|hashkv|alarm|defrag|snapshot save` use.
import type { EtcdServer } from '../server/server.js';
import type { AlarmRequest } from '../server/alarms.js';
import type { ServerWritable } from '../grpc/types.js';
import { sendSnapshot, type SnapshotResponse } from './snapshot.js';

export function maintenanceImpl(s: EtcdServer) {
  return {
    Status: async () => s.status(),
    Hash: async () => s.hash(),
    HashKV: async (req: { revision: number }) => s.hashKV(req.revision),
    MoveLeader: async (req: { targetID: bigint }) => {
      await s.moveLeader(BigInt(req.targetID));
      return { header: s.header() };
    },
    Alarm: (req: AlarmRequest) => s.alarm(req),
    Defragment: async () => {
      await s.defragment();
      // etcd answers a defragment with an empty response, header included.
      return {};
    },
    Snapshot: (_req: object, stream: ServerWritable<SnapshotResponse>) => sendSnapshot(s, stream),
  };
}
