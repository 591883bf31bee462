// KV.RangeStream (etcd 3.7): a range answered in chunks instead of one message, so a list
// of any size never has to fit in one response. As etcd's server does it: the first chunk
// is read (after a ReadIndex round unless serializable) at the store's revision and every
// later one at that same revision; chunks start at 10 keys and double or halve to stay
// near --max-request-bytes; only the last chunk carries the header (at the pinned revision),
// `more` and `count`, so merging every chunk gives Range's answer. Custom sort orders and
// revision filters are Unimplemented, as in etcd. Each chunk is a Range through the member
// port, so the edge holds one chunk at a time whichever thread it runs on.
import type { ServerWritable } from '../grpc/types.js';
import type { RangeRequest, RangeResponse } from '../pb/kv.js';
import type { Credentials, KvPort } from '../port/member-port.js';
import { codec } from '../pb/codec.js';
import { checkRangeRequest } from '../apply/check.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { drained } from './drained.js';

/** etcd's initialStreamChunkLimit. */
export const INITIAL_CHUNK_LIMIT = 10;

const rangeRequest = codec<RangeRequest>('etcdserverpb.RangeRequest');
const rangeResponse = codec<RangeResponse>('etcdserverpb.RangeResponse');

/** One Range through the port, which takes and gives wire bytes; `size` is the answer's. */
async function range(p: KvPort, req: RangeRequest, who: Credentials): Promise<{ resp: RangeResponse; size: number }> {
  const bytes = await p.range(rangeRequest.encode(req), who);
  return { resp: rangeResponse.decode(bytes), size: bytes.length };
}

/** etcd's adjustChunkLimit: double below half the target size, halve above twice it, never 0. */
export function adjustChunkLimit(lastLimit: number, lastSize: number, targetSize: number): number {
  let limit = lastLimit;
  if (lastSize < targetSize / 2) limit *= 2;
  else if (lastSize > targetSize * 2) limit = Math.floor(limit / 2);
  return Math.max(limit, 1);
}

/** etcd's checkRangeStreamRequest: Range's own checks first. */
function checkStreamable(r: RangeRequest): void {
  checkRangeRequest(r);
  // sort_order NONE, or KEY ascending: the store's own order.
  const defaultOrder = r.sortOrder === 0 || (r.sortTarget === 0 && r.sortOrder === 1);
  if (!defaultOrder) throw new EtcdError(GrpcCode.Unimplemented, 'RangeStream does not support custom sort orders');
  if (r.minModRevision !== 0 || r.maxModRevision !== 0 || r.minCreateRevision !== 0 || r.maxCreateRevision !== 0) {
    throw new EtcdError(GrpcCode.Unimplemented, 'RangeStream does not support revision filters');
  }
}

export interface RangeStreamResponse {
  rangeResponse: Partial<RangeResponse>;
}

/** Chunks aim at `targetBytes`, the member's --max-request-bytes. */
export async function rangeStream(p: KvPort, req: RangeRequest, who: Credentials, stream: ServerWritable<RangeStreamResponse>, targetBytes: number): Promise<void> {
  checkStreamable(req);
  const send = async (resp: Partial<RangeResponse>) => {
    if (!stream.write({ rangeResponse: resp })) await drained(stream);
  };
  if (req.countOnly) {
    const { resp: r } = await range(p, req, who);
    await send({ header: r.header, count: r.count });
    return;
  }
  const totalLimit = req.limit > 0 ? req.limit : Infinity;
  let chunk: RangeRequest = { ...req, limit: Math.min(INITIAL_CHUNK_LIMIT, totalLimit) };
  let pinned = 0;
  let sent = 0;
  for (;;) {
    if (stream.ended) return;
    const { resp, size } = await range(p, chunk, who);
    if (pinned === 0) {
      // Later chunks read what the first one saw: no write after it shows up in this stream.
      pinned = resp.header!.revision;
      chunk = { ...chunk, revision: req.revision || pinned, serializable: true };
    }
    sent += resp.kvs.length;
    if (resp.more && sent < totalLimit) {
      await send({ kvs: resp.kvs });
      const limit = Math.min(adjustChunkLimit(chunk.limit, size, targetBytes), totalLimit - sent);
      chunk = { ...chunk, key: nextKey(resp), limit };
      continue;
    }
    let count = sent;
    if (resp.more) count += (await range(p, { ...chunk, key: nextKey(resp), limit: 0, countOnly: true }, who)).resp.count;
    await send({ kvs: resp.kvs, header: { ...resp.header!, revision: pinned }, more: resp.more, count });
    return;
  }
}

/** The key just after the chunk's last one. */
function nextKey(resp: RangeResponse): Uint8Array {
  const last = resp.kvs[resp.kvs.length - 1].key;
  const k = new Uint8Array(last.length + 1);
  k.set(last);
  return k;
}
