// etcdserverpb.KV: each call crosses the member port with its caller's credentials.
import type { CallContext } from '../grpc/types.js';
import type { KvPort } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';

export function kvImpl(p: KvPort) {
  return {
    Range: (req: any, call: CallContext) => p.range(req, credentialsOf(call)),
    Put: (req: any, call: CallContext) => p.put(req, credentialsOf(call)),
    DeleteRange: (req: any, call: CallContext) => p.deleteRange(req, credentialsOf(call)),
    Txn: (req: any, call: CallContext) => p.txn(req, credentialsOf(call)),
    Compact: (req: any, call: CallContext) => p.compact(req, credentialsOf(call)),
  };
}
