// etcdserverpb.Maintenance: what `etcdctl endpoint status|hashkv|alarm|defrag` use.
import type { EtcdServer } from '../server/server.js';

export function maintenanceImpl(s: EtcdServer) {
  return {
    Status: async () => s.status(),
    Hash: async () => s.hash(),
    HashKV: async (req: { revision: number }) => s.hashKV(req.revision),
    // AlarmType NONE with action GET lists alarms; none are raised until quotas land.
    MoveLeader: async (req: { targetID: bigint }) => {
      await s.moveLeader(BigInt(req.targetID));
      return { header: s.header() };
    },
    Alarm: async () => ({ header: s.header(), alarms: [] }),
    Defragment: async () => {
      await s.commitBackend();
      return { header: s.header() };
    },
  };
}
