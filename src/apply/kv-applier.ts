// Applies committed KV requests to the MVCC store with etcd's semantics (its
// applierV3backend). The caller records the raft index first with
// store.setConsistentIndex(index), so the index lands in the same backend batch as
// the changes. Top-level responses carry no header: the server fills it, with
// header.revision = store.rev() after the call. Responses nested inside a txn carry
// the header etcd gives them (revision only), since the server does not fill those.
import type { MvccStore, TxnWrite } from '../mvcc/store.js';
import {
  EventType,
  SortOrder,
  type CompactionRequest,
  type CompactionResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type Event,
  type KeyValue,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseHeader,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../pb/kv.js';
import { Errors } from '../rpctypes/errors.js';
import { applyCompares, type ReadView } from './compare.js';
import { effectiveSortOrder, sortKvs } from './sort.js';

export interface LeaseHooks {
  exists(id: bigint): boolean;
  attach?(id: bigint, key: Uint8Array): void;
  detach?(id: bigint, key: Uint8Array): void;
  /** False when no key is attached to any lease (a write then need not read its previous lease). */
  hasAttachedKeys?(): boolean;
}

/** Which branch each txn took, nested txns of the taken branch included. */
interface TxnPath {
  succeeded: boolean;
  nested: Map<number, TxnPath>;
}

const EMPTY = new Uint8Array(0);

export class KvApplier {
  constructor(
    readonly store: MvccStore,
    private readonly leases?: LeaseHooks,
  ) {}

  /**
   * With `raw`, a range that needs no decoded key-value (no sort, filter or
   * keys-only) answers with the stored bytes in `raw` and no `kvs`, for a caller
   * that only writes them out.
   */
  range(req: RangeRequest, opts: { raw?: boolean } = {}): RangeResponse & { raw?: Uint8Array[] } {
    if (opts.raw && passesStored(req)) {
      const limit = req.limit > 0 ? req.limit + 1 : 0;
      const rr = this.store.range(req.key, req.rangeEnd, { limit, rev: req.revision, count: req.countOnly, raw: true });
      let raw = rr.raw ?? [];
      const more = req.limit > 0 && raw.length > req.limit;
      if (more) raw = raw.slice(0, req.limit);
      return { kvs: [], raw, more, count: rr.count };
    }
    return rangeIn(this.store, req);
  }

  put(req: PutRequest): PutResponse {
    this.checkLease(req.lease);
    return this.inWrite((txn) => putIn(txn, req));
  }

  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    return this.inWrite((txn) => deleteIn(txn, req));
  }

  txn(req: TxnRequest): TxnResponse {
    const rv: ReadView = this.store;
    const path = compareToPath(rv, req);
    const write = !isTxnReadonly(req);
    // All checks against the pre-txn state, before anything is written.
    if (write) forEachOp(req, path, (op) => this.checkPut(rv, op));
    forEachOp(req, path, (op) => checkRange(this.store, op));
    if (!write) return applyTxn(rv, undefined, req, path);
    return this.inWrite((txn) => applyTxn(txn, txn, req, path));
  }

  compaction(req: CompactionRequest): CompactionResponse {
    // Compaction runs to completion here (index and backend batch), so a physical
    // compaction is done once the batch is committed.
    this.store.compact(req.revision);
    return {};
  }

  /**
   * Runs fn in one write txn, all or nothing: an op that fails once earlier ops of
   * the same request are applied (a put with ignore_value on a key an earlier
   * delete of the txn removed) rolls the whole txn back, so the error it answers
   * comes with no change, on every member alike.
   */
  private inWrite<T>(fn: (txn: TxnWrite) => T): T {
    const txn = this.store.write();
    let resp: T;
    try {
      resp = fn(txn);
    } catch (err) {
      txn.abort();
      throw err;
    }
    this.afterWrite(txn.end());
    return resp;
  }

  private checkLease(lease: bigint): void {
    if (lease !== 0n && !(this.leases?.exists(lease) ?? false)) throw Errors.LeaseNotFound;
  }

  private checkPut(rv: ReadView, op: RequestOp): void {
    const p = op.requestPut;
    if (!p) return;
    if (p.ignoreValue || p.ignoreLease) {
      if (rv.range(p.key, undefined, {}).kvs.length === 0) throw Errors.KeyNotFound;
    }
    this.checkLease(p.lease);
  }

  private afterWrite(events: readonly Event[]): void {
    const l = this.leases;
    if (l === undefined || (l.attach === undefined && l.detach === undefined)) return;
    // Reading prevKv costs a backend read per key: skip it when nothing can be detached.
    const mayDetach = l.detach !== undefined && (l.hasAttachedKeys?.() ?? true);
    for (const ev of events) {
      const prev = mayDetach ? ev.prevKv : undefined;
      if (prev && prev.lease !== 0n) l.detach!(prev.lease, ev.kv.key);
      if (ev.type === EventType.PUT && ev.kv.lease !== 0n) l.attach?.(ev.kv.lease, ev.kv.key);
    }
  }
}

function header(revision: number): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0 };
}

/** A range whose stored key-values go out unchanged, in key order. */
function passesStored(r: RangeRequest): boolean {
  const filtered = r.minModRevision !== 0 || r.maxModRevision !== 0 || r.minCreateRevision !== 0 || r.maxCreateRevision !== 0;
  return !filtered && !r.keysOnly && effectiveSortOrder(r.sortOrder, r.sortTarget) === SortOrder.NONE;
}

function rangeIn(rv: ReadView, r: RangeRequest, withHeader = false): RangeResponse {
  const filtered = r.minModRevision !== 0 || r.maxModRevision !== 0 || r.minCreateRevision !== 0 || r.maxCreateRevision !== 0;
  let limit = r.limit;
  // Sorting and filtering need every match; truncate afterwards. As in etcd, the
  // order asked for decides, not the effective one: a target without an order sorts
  // only the first limit+1 keys (key order), then cuts to the limit.
  if (r.sortOrder !== SortOrder.NONE || filtered) limit = 0;
  const sortOrder = effectiveSortOrder(r.sortOrder, r.sortTarget);
  // One extra tells whether there is more.
  if (limit > 0) limit++;
  const rr = rv.range(r.key, r.rangeEnd, { limit, rev: r.revision, count: r.countOnly });
  let kvs = rr.kvs;
  if (filtered) {
    kvs = kvs.filter(
      (kv) =>
        (r.maxModRevision === 0 || kv.modRevision <= r.maxModRevision) &&
        (r.minModRevision === 0 || kv.modRevision >= r.minModRevision) &&
        (r.maxCreateRevision === 0 || kv.createRevision <= r.maxCreateRevision) &&
        (r.minCreateRevision === 0 || kv.createRevision >= r.minCreateRevision),
    );
  }
  sortKvs(kvs, sortOrder, r.sortTarget);
  let more = false;
  if (r.limit > 0 && kvs.length > r.limit) {
    kvs = kvs.slice(0, r.limit);
    more = true;
  }
  if (r.keysOnly) for (const kv of kvs) kv.value = EMPTY;
  const resp: RangeResponse = { kvs, more, count: rr.count };
  if (withHeader) resp.header = header(rr.rev);
  return resp;
}

function putIn(txn: TxnWrite, p: PutRequest, withHeader = false): PutResponse {
  let value = p.value;
  let lease = p.lease;
  let prev: KeyValue | undefined;
  if (p.ignoreValue || p.ignoreLease || p.prevKv) {
    prev = txn.range(p.key, undefined, {}).kvs[0];
  }
  if ((p.ignoreValue || p.ignoreLease) && prev === undefined) throw Errors.KeyNotFound;
  if (p.ignoreValue) value = prev!.value;
  if (p.ignoreLease) lease = prev!.lease;
  const rev = txn.put(p.key, value, lease);
  const resp: PutResponse = {};
  if (p.prevKv && prev !== undefined) resp.prevKv = prev;
  if (withHeader) resp.header = header(rev);
  return resp;
}

function deleteIn(txn: TxnWrite, d: DeleteRangeRequest, withHeader = false): DeleteRangeResponse {
  const prevKvs = d.prevKv ? txn.range(d.key, d.rangeEnd, {}).kvs : [];
  const { deleted, rev } = txn.deleteRange(d.key, d.rangeEnd);
  const resp: DeleteRangeResponse = { deleted, prevKvs };
  if (withHeader) resp.header = header(rev);
  return resp;
}

function compareToPath(rv: ReadView, rt: TxnRequest): TxnPath {
  const succeeded = applyCompares(rv, rt.compare);
  const nested = new Map<number, TxnPath>();
  const ops = succeeded ? rt.success : rt.failure;
  ops.forEach((op, i) => {
    if (op.requestTxn) nested.set(i, compareToPath(rv, op.requestTxn));
  });
  return { succeeded, nested };
}

function forEachOp(rt: TxnRequest, path: TxnPath, fn: (op: RequestOp) => void): void {
  const ops = path.succeeded ? rt.success : rt.failure;
  ops.forEach((op, i) => {
    if (op.requestTxn) forEachOp(op.requestTxn, path.nested.get(i)!, fn);
    else fn(op);
  });
}

function checkRange(store: MvccStore, op: RequestOp): void {
  const r = op.requestRange;
  if (!r || r.revision === 0) return;
  if (r.revision > store.rev()) throw Errors.FutureRev;
  if (r.revision < store.compactRev()) throw Errors.Compacted;
}

/** A txn with no put or delete in any branch, nested ones included. */
export function isTxnReadonly(rt: TxnRequest): boolean {
  const ro = (ops: readonly RequestOp[]) =>
    ops.every((op) => !op.requestPut && !op.requestDeleteRange && (!op.requestTxn || isTxnReadonly(op.requestTxn)));
  return ro(rt.success) && ro(rt.failure);
}

function applyTxn(rv: ReadView, txn: TxnWrite | undefined, rt: TxnRequest, path: TxnPath, nested = false): TxnResponse {
  const ops = path.succeeded ? rt.success : rt.failure;
  const responses: ResponseOp[] = ops.map((op, i): ResponseOp => {
    if (op.requestRange) return { responseRange: rangeIn(rv, op.requestRange, true) };
    if (op.requestPut) return { responsePut: putIn(mustWrite(txn), op.requestPut, true) };
    if (op.requestDeleteRange) return { responseDeleteRange: deleteIn(mustWrite(txn), op.requestDeleteRange, true) };
    if (op.requestTxn) return { responseTxn: applyTxn(rv, txn, op.requestTxn, path.nested.get(i)!, true) };
    return {};
  });
  const resp: TxnResponse = { succeeded: path.succeeded, responses };
  // etcd sets the revision only on the outermost txn's header.
  if (nested) resp.header = header(0);
  return resp;
}

function mustWrite(txn: TxnWrite | undefined): TxnWrite {
  if (txn === undefined) throw new Error('apply: write op in a txn judged read-only');
  return txn;
}
