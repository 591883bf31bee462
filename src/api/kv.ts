// etcdserverpb.KV: each call crosses the member port with its caller's credentials.
// Range, Put, DeleteRange and Txn pass their messages through as wire bytes: the
// member decodes the request and encodes the response.
import type { CallContext, ServerWritable } from '../grpc/types.js';
import type { CompactionRequest, RangeRequest } from '../pb/kv.js';
import type { KvPort } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';
import { rangeStream, type RangeStreamResponse } from './range-stream.js';
import { encoded } from './service.js';

/** `maxRequestBytes`: the member's --max-request-bytes, which RangeStream's chunks aim at. */
export function kvImpl(p: KvPort, maxRequestBytes: number) {
  return {
    Range: encoded((req, call) => p.range(req, credentialsOf(call))),
    RangeStream: (req: RangeRequest, stream: ServerWritable<RangeStreamResponse>) => rangeStream(p, req, credentialsOf(stream), stream, maxRequestBytes),
    Put: encoded((req, call) => p.put(req, credentialsOf(call))),
    DeleteRange: encoded((req, call) => p.deleteRange(req, credentialsOf(call))),
    Txn: encoded((req, call) => p.txn(req, credentialsOf(call))),
    Compact: (req: CompactionRequest, call: CallContext) => p.compact(req, credentialsOf(call)),
  };
}
