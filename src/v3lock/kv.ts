// What lock and election need from a member: its own KV calls (so every step goes
// through the log like a client's would) and its watch hub. EtcdServer fits this.
import type * as kv from '../pb/kv.js';
import { CompareResult, CompareTarget, SortOrder, SortTarget } from '../pb/kv.js';
import type { WatchHub } from '../watch/index.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';

export interface CoordinationServer {
  readonly watchHub: WatchHub;
  range(req: kv.RangeRequest): Promise<kv.RangeResponse>;
  txn(req: kv.TxnRequest): Promise<kv.TxnResponse>;
  deleteRange(req: kv.DeleteRangeRequest): Promise<kv.DeleteRangeResponse>;
  header(revision?: number): kv.ResponseHeader;
}

const EMPTY = new Uint8Array(0);

/** The end of the range holding every key with this prefix (clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

export function rangeReq(key: Uint8Array, opts: Partial<kv.RangeRequest> = {}): kv.RangeRequest {
  return {
    key, rangeEnd: EMPTY, limit: 0, revision: 0, sortOrder: SortOrder.NONE, sortTarget: SortTarget.KEY,
    serializable: false, keysOnly: false, countOnly: false,
    minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
    ...opts,
  };
}

/** The oldest key under the prefix by create revision (clientv3.WithFirstCreate). */
export function firstCreate(prefix: Uint8Array): kv.RangeRequest {
  return rangeReq(prefix, { rangeEnd: prefixEnd(prefix), limit: 1, sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.CREATE });
}

/** The newest key under the prefix created at or before maxCreateRev (WithLastCreate + WithMaxCreateRev). */
export function lastCreateBefore(prefix: Uint8Array, maxCreateRev: number): kv.RangeRequest {
  return rangeReq(prefix, { rangeEnd: prefixEnd(prefix), limit: 1, sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.CREATE, maxCreateRevision: maxCreateRev });
}

export function putOp(key: Uint8Array, value: Uint8Array, lease: bigint): kv.RequestOp {
  return { requestPut: { key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false } };
}

export function getOp(req: kv.RangeRequest): kv.RequestOp {
  return { requestRange: req };
}

export function deleteOp(key: Uint8Array): kv.RequestOp {
  return { requestDeleteRange: { key, rangeEnd: EMPTY, prevKv: false } };
}

export function createRevisionIs(key: Uint8Array, rev: number): kv.Compare {
  return { result: CompareResult.EQUAL, target: CompareTarget.CREATE, key, createRevision: rev, rangeEnd: EMPTY };
}

/** The key a session's lease owns under a prefix: `<prefix><lease in hex>`, as clientv3/concurrency. */
export function sessionKey(prefix: Uint8Array, lease: bigint): Buffer {
  return Buffer.concat([prefix, Buffer.from(lease.toString(16))]);
}

/**
 * etcd's lock and election services call the KV API as a client and return its
 * errors as plain errors, so gRPC reports them with code Unknown and etcd's message.
 */
export async function asServiceError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof EtcdError && err.code !== GrpcCode.Unknown) throw new EtcdError(GrpcCode.Unknown, err.message);
    throw err;
  }
}
