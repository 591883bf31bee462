// etcdserverpb.KV: every call goes through the server's proposal or read path.
import type { EtcdServer } from '../server/server.js';

export function kvImpl(s: EtcdServer) {
  return {
    Range: (req: any) => s.range(req),
    Put: (req: any) => s.put(req),
    DeleteRange: (req: any) => s.deleteRange(req),
    Txn: (req: any) => s.txn(req),
    Compact: (req: any) => s.compact(req),
  };
}
