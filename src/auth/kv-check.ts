// Which keys a KV request reads and writes, checked against the auth store: the
// same rules before proposing (for a prompt answer) and when applying (where the
// auth revision in the entry's header decides, as in etcd's authApplierV3).
import type * as kv from '../pb/kv.js';
import { EtcdError } from '../rpctypes/errors.js';
import type { AuthInfo, AuthStore } from './store.js';

const EMPTY = new Uint8Array(0);

/** Called for puts that attach a lease: the lease's keys must be writable too. */
export type LeaseHook = (lease: bigint, ai: AuthInfo | undefined) => void;

export function checkPut(store: AuthStore, r: kv.PutRequest, ai: AuthInfo | undefined, onLease?: LeaseHook): void {
  store.isPutPermitted(ai, r.key);
  if (r.lease && onLease) onLease(r.lease, ai);
  if (r.prevKv) store.isRangePermitted(ai, r.key, EMPTY);
}

export function checkDelete(store: AuthStore, r: kv.DeleteRangeRequest, ai: AuthInfo | undefined): void {
  store.isDeleteRangePermitted(ai, r.key, r.rangeEnd);
  if (r.prevKv) store.isRangePermitted(ai, r.key, r.rangeEnd);
}

/** Every compare and every operation of both branches, as etcd's checkTxnReqsPermission. */
export function checkTxn(store: AuthStore, r: kv.TxnRequest, ai: AuthInfo | undefined, onLease?: LeaseHook): void {
  for (const c of r.compare) store.isRangePermitted(ai, c.key, c.rangeEnd);
  for (const op of [...r.success, ...r.failure]) {
    if (op.requestRange) store.isRangePermitted(ai, op.requestRange.key, op.requestRange.rangeEnd);
    else if (op.requestPut) checkPut(store, op.requestPut, ai, onLease);
    else if (op.requestDeleteRange) checkDelete(store, op.requestDeleteRange, ai);
    else if (op.requestTxn) checkTxn(store, op.requestTxn, ai, onLease);
  }
}

/** The apply-time check of a committed write; undefined when it may proceed. */
export function checkWriteAtApply(
  store: AuthStore,
  req: { put?: kv.PutRequest; deleteRange?: kv.DeleteRangeRequest; txn?: kv.TxnRequest },
  ai: AuthInfo,
): EtcdError | undefined {
  if (!store.enabled || !(req.put || req.deleteRange || req.txn)) return undefined;
  try {
    if (req.put) checkPut(store, req.put, ai);
    else if (req.deleteRange) checkDelete(store, req.deleteRange, ai);
    else if (req.txn) checkTxn(store, req.txn, ai);
    return undefined;
  } catch (err) {
    if (err instanceof EtcdError) return err;
    throw err;
  }
}
