// v3lock: a distributed mutex on a name, as etcd's lock service builds it from
// clientv3/concurrency.Mutex: the caller's key is `<name>/<lease hex>`, bound to
// its lease; holders are served in create-revision order.
import type * as kv from '../pb/kv.js';
import { createRevisionIs, deleteOp, firstCreate, getOp, putOp, rangeReq, sessionKey, type CoordinationServer } from './kv.js';
import { waitDeletes } from './wait-deletes.js';

export interface LockResult {
  header: kv.ResponseHeader;
  /** The key that holds the lock until it is deleted or its lease ends. */
  key: Uint8Array;
}

/** Blocks until the caller holds the lock; on abort or failure it gives its place up. */
export async function lock(s: CoordinationServer, name: Uint8Array, lease: bigint, signal?: AbortSignal): Promise<LockResult> {
  const prefix = Buffer.concat([name, Buffer.from('/')]);
  const key = sessionKey(prefix, lease);
  const owner = getOp(firstCreate(prefix));
  const resp = await s.txn({
    compare: [createRevisionIs(key, 0)],
    success: [putOp(key, new Uint8Array(0), lease), owner],
    failure: [getOp(rangeReq(key)), owner],
  });
  let myRev = resp.header!.revision;
  if (!resp.succeeded) myRev = resp.responses[0].responseRange!.kvs[0].createRevision;
  const ownerKvs = resp.responses[1].responseRange!.kvs;
  if (ownerKvs.length === 0 || ownerKvs[0].createRevision === myRev) return { header: resp.header!, key };
  try {
    const header = await waitDeletes(s, prefix, myRev - 1, signal);
    return { header, key };
  } catch (err) {
    await unlock(s, key).catch(() => {});
    throw err;
  }
}

export async function unlock(s: CoordinationServer, key: Uint8Array): Promise<{ header: kv.ResponseHeader }> {
  const r = await s.deleteRange(deleteOp(key).requestDeleteRange!);
  return { header: r.header! };
}
