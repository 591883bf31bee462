// The guarded service methods the dashboard's own API reads through: the same
// method table the JSON gateway serves, so every read is checked against the
// caller's token exactly as a gRPC or gateway call is.
import type { CallContext, MethodDef } from '../grpc/types.js';
import type { MethodTable } from '../gateway/services.js';
import type { RangeRequest, RangeResponse } from '../pb/kv.js';
import { codec } from '../pb/codec.js';

export type RangeCall = (req: Partial<RangeRequest> & { key: Uint8Array }) => Promise<RangeResponse>;

const EMPTY = new Uint8Array(0);

function unary<Req, Res>(methods: MethodTable, name: string): (req: Req, call: CallContext) => Promise<Res> {
  const def = methods.get(name) as MethodDef<Req, Res> | undefined;
  if (def === undefined || def.kind !== 'unary') throw new Error(`dashboard: no unary method ${name}`);
  const handler = def.handler;
  return async (req, call) => handler(req, call);
}

const rangeRequest = codec<RangeRequest>('etcdserverpb.RangeRequest');
const rangeResponse = codec<RangeResponse>('etcdserverpb.RangeResponse');

/**
 * Range as the caller: etcd's defaults for every field not given. The method takes
 * and gives wire bytes (the member decodes), so the request is encoded here and the
 * answer decoded, as a gRPC client would.
 */
export function rangeCall(methods: MethodTable, call: CallContext): RangeCall {
  const range = unary<Uint8Array, Uint8Array>(methods, 'etcdserverpb.KV/Range');
  return async (req) => {
    const bytes = rangeRequest.encode({
        rangeEnd: EMPTY,
        limit: 0,
        revision: 0,
        sortOrder: 0,
        sortTarget: 0,
        serializable: false,
        keysOnly: false,
        countOnly: false,
        minModRevision: 0,
        maxModRevision: 0,
        minCreateRevision: 0,
        maxCreateRevision: 0,
        ...req,
      });
    return rangeResponse.decode(await range(bytes, call));
  };
}
