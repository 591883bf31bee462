// What a normal Raft log entry holds, as etcd 3.4 reads it: an InternalRaftRequest (every
// v3 request), or a bare etcdserverpb.Request, which 3.4 still proposes to publish a
// member's attributes and to set the cluster version (v2 requests nested in an
// InternalRaftRequest's v2 field mean the same). etcd tries the first and falls back to
// the second when it doesn't unmarshal; so does this.
import { codec, type MessageCodec } from './codec.js';
import { decodePlainPut, internalRequestCodec } from './internal-request.js';
import { wellFormed } from './wire-check.js';

/** etcdserverpb.Request, the fields etcd-ts reads and writes. */
export interface V2Request {
  ID: bigint;
  Method: string;
  Path: string;
  Val: string;
}

export const v2RequestCodec: MessageCodec<V2Request> = codec<V2Request>('etcdserverpb.Request');

export type EntryRequest = { v3: any; v2?: undefined } | { v2: V2Request; v3?: undefined };

/** Throws when the bytes are neither: a corrupt entry or one from a newer writer. */
export function decodeEntryRequest(data: Uint8Array): EntryRequest {
  const plain = decodePlainPut(data);
  if (plain !== undefined) return { v3: plain };
  if (wellFormed(data, internalRequestCodec.type)) return { v3: internalRequestCodec.decode(data) };
  if (wellFormed(data, v2RequestCodec.type)) return { v2: v2RequestCodec.decode(data) };
  throw new Error('entry data is neither an InternalRaftRequest nor a v2 Request');
}

/** A v2 request as etcd 3.4 proposes it: the bare Request message. */
export function encodeV2Request(r: V2Request): Uint8Array {
  return new Uint8Array(v2RequestCodec.encode(r));
}
