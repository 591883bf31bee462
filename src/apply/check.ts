// Checks etcd makes before proposing a KV request (its v3rpc key.go): they depend
// only on the request, so a bad request is refused without entering the raft log.
import { bytesToKey } from '../backend/bytes.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../pb/kv.js';
import { SortOrder, SortTarget } from '../pb/kv.js';
import { Errors } from '../rpctypes/errors.js';

export interface CheckLimits {
  /** etcd's --max-txn-ops (default 128). */
  maxTxnOps: number;
  /**
   * Whether a sort order outside the enum is refused (etcd 3.5+, the default). etcd 3.4
   * takes it and answers in key order, unsorted; a sort target outside the enum is
   * refused either way (3.4 panics on it, taking the member down).
   */
  sortOrderChecked?: boolean;
}

/** Checks one request given as a RequestOp (exactly the field of its kind set). */
export function checkRequest(req: RequestOp, limits: CheckLimits): void {
  if (req.requestRange) return checkRangeRequest(req.requestRange, limits.sortOrderChecked);
  if (req.requestPut) return checkPutRequest(req.requestPut);
  if (req.requestDeleteRange) return checkDeleteRequest(req.requestDeleteRange);
  if (req.requestTxn) {
    checkTxnRequest(req.requestTxn, limits.maxTxnOps, limits.sortOrderChecked);
    checkIntervals(req.requestTxn.success);
    checkIntervals(req.requestTxn.failure);
    return;
  }
  throw Errors.KeyNotFound;
}

export function checkRangeRequest(r: RangeRequest, sortOrderChecked = true): void {
  if (r.key.byteLength === 0) throw Errors.EmptyKey;
  if ((sortOrderChecked && !(r.sortOrder in SortOrder)) || !(r.sortTarget in SortTarget)) throw Errors.InvalidSortOption;
}

export function checkPutRequest(r: PutRequest): void {
  if (r.key.byteLength === 0) throw Errors.EmptyKey;
  if (r.ignoreValue && r.value.byteLength !== 0) throw Errors.ValueProvided;
  if (r.ignoreLease && r.lease !== 0n) throw Errors.LeaseProvided;
}

export function checkDeleteRequest(r: DeleteRangeRequest): void {
  if (r.key.byteLength === 0) throw Errors.EmptyKey;
}

/** The txn's own shape; the duplicate-key rule is checkIntervals, applied to the top-level branches. */
export function checkTxnRequest(r: TxnRequest, maxTxnOps: number, sortOrderChecked = true): void {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) throw Errors.TooManyOps;
  for (const c of r.compare) if (c.key.byteLength === 0) throw Errors.EmptyKey;
  for (const u of r.success) checkRequestOp(u, maxTxnOps - opc, sortOrderChecked);
  for (const u of r.failure) checkRequestOp(u, maxTxnOps - opc, sortOrderChecked);
}

function checkRequestOp(u: RequestOp, maxTxnOps: number, sortOrderChecked: boolean): void {
  if (u.requestRange) return checkRangeRequest(u.requestRange, sortOrderChecked);
  if (u.requestPut) return checkPutRequest(u.requestPut);
  if (u.requestDeleteRange) return checkDeleteRequest(u.requestDeleteRange);
  if (u.requestTxn) return checkTxnRequest(u.requestTxn, maxTxnOps, sortOrderChecked);
  throw Errors.KeyNotFound;
}

/** [begin, end) over latin1 keys; a point k is [k, k+"\0"). */
interface Interval {
  begin: string;
  end: string;
}

function coversPoint(ivs: readonly Interval[], k: string): boolean {
  // begin < k+"\0" is begin <= k.
  return ivs.some((iv) => iv.begin <= k && k < iv.end);
}

/**
 * One key may be written once per txn: a put may not repeat a put or fall in a
 * delete range of the same txn, counting the branches of nested txns. The two
 * branches of one nested txn exclude each other, so each may put the same key.
 */
export function checkIntervals(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const req of reqs) {
    const d = req.requestDeleteRange;
    if (!d) continue;
    const begin = bytesToKey(d.key);
    dels.push({ begin, end: d.rangeEnd.byteLength !== 0 ? bytesToKey(d.rangeEnd) : begin + '\0' });
  }
  const puts = new Set<string>();
  for (const req of reqs) {
    const t = req.requestTxn;
    if (!t) continue;
    const then = checkIntervals(t.success);
    const otherwise = checkIntervals(t.failure);
    for (const k of then.puts) {
      if (puts.has(k) || coversPoint(dels, k)) throw Errors.DuplicateKey;
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw Errors.DuplicateKey;
      if (coversPoint(dels, k)) throw Errors.DuplicateKey;
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const req of reqs) {
    const p = req.requestPut;
    if (!p) continue;
    const k = bytesToKey(p.key);
    if (puts.has(k) || coversPoint(dels, k)) throw Errors.DuplicateKey;
    puts.add(k);
  }
  return { puts, dels };
}
