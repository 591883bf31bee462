// KV: get/put/delete/compact and transactions with a small builder.
import type {
  Compare as PbCompare, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse,
  RangeRequest, RangeResponse, RequestOp, TxnRequest, TxnResponse,
} from '../pb/kv.js';
import { CompareResult, CompareTarget, SortOrder, SortTarget } from '../pb/kv.js';
import { FROM_KEY, prefixEnd, toBytes, toText, type Bytes } from './bytes.js';
import { unaryMethod, type ClientDefaults, type UnaryMethod } from './rpc.js';
import type { CallOptions, Transport } from './transport.js';

export interface RangeOptions {
  /** Every key starting with `key`. */
  prefix?: boolean;
  /** Every key >= `key`. */
  fromKey?: boolean;
  /** Explicit [key, rangeEnd). */
  rangeEnd?: Bytes;
}

export interface GetOptions extends RangeOptions, CallOptions {
  limit?: number;
  revision?: number;
  sortOrder?: 'none' | 'ascend' | 'descend';
  sortTarget?: 'key' | 'version' | 'create' | 'mod' | 'value';
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

export interface PutOptions extends CallOptions {
  lease?: bigint;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface DeleteOptions extends RangeOptions, CallOptions {
  prevKv?: boolean;
}

export function rangeEndOf(key: Uint8Array, o: RangeOptions): Uint8Array {
  if (o.rangeEnd !== undefined) return toBytes(o.rangeEnd);
  if (o.prefix) return key.length === 0 ? FROM_KEY : prefixEnd(key);
  if (o.fromKey) return FROM_KEY;
  return new Uint8Array(0);
}

/** As clientv3: an empty key with prefix or from-key means every key, sent as "\0". */
function keyOf(key: Bytes, o: RangeOptions): Uint8Array {
  const k = toBytes(key);
  return k.length === 0 && (o.prefix || o.fromKey) && o.rangeEnd === undefined ? new Uint8Array([0]) : k;
}

const SORT_ORDER = { none: SortOrder.NONE, ascend: SortOrder.ASCEND, descend: SortOrder.DESCEND } as const;
const SORT_TARGET = { key: SortTarget.KEY, version: SortTarget.VERSION, create: SortTarget.CREATE, mod: SortTarget.MOD, value: SortTarget.VALUE } as const;

export function rangeRequest(key: Bytes, o: GetOptions = {}): RangeRequest {
  return {
    key: keyOf(key, o),
    rangeEnd: rangeEndOf(toBytes(key), o),
    limit: o.limit ?? 0,
    revision: o.revision ?? 0,
    sortOrder: SORT_ORDER[o.sortOrder ?? 'none'],
    sortTarget: SORT_TARGET[o.sortTarget ?? 'key'],
    serializable: o.serializable ?? false,
    keysOnly: o.keysOnly ?? false,
    countOnly: o.countOnly ?? false,
    minModRevision: o.minModRevision ?? 0,
    maxModRevision: o.maxModRevision ?? 0,
    minCreateRevision: o.minCreateRevision ?? 0,
    maxCreateRevision: o.maxCreateRevision ?? 0,
  };
}

export function putRequest(key: Bytes, value: Bytes, o: PutOptions = {}): PutRequest {
  return { key: toBytes(key), value: toBytes(value), lease: o.lease ?? 0n, prevKv: o.prevKv ?? false, ignoreValue: o.ignoreValue ?? false, ignoreLease: o.ignoreLease ?? false };
}

export function deleteRequest(key: Bytes, o: DeleteOptions = {}): DeleteRangeRequest {
  return { key: keyOf(key, o), rangeEnd: rangeEndOf(toBytes(key), o), prevKv: o.prevKv ?? false };
}

/** Operations inside a transaction. */
export const Op = {
  get: (key: Bytes, o?: GetOptions): RequestOp => ({ requestRange: rangeRequest(key, o) }),
  put: (key: Bytes, value: Bytes, o?: PutOptions): RequestOp => ({ requestPut: putRequest(key, value, o) }),
  delete: (key: Bytes, o?: DeleteOptions): RequestOp => ({ requestDeleteRange: deleteRequest(key, o) }),
  txn: (t: TxnBuilder): RequestOp => ({ requestTxn: t.request() }),
};

export type CompareOp = '=' | '!=' | '>' | '<';
const RESULT: Record<CompareOp, CompareResult> = { '=': CompareResult.EQUAL, '!=': CompareResult.NOT_EQUAL, '>': CompareResult.GREATER, '<': CompareResult.LESS };

function compare(key: Bytes, target: CompareTarget, op: CompareOp, field: Partial<PbCompare>, o: RangeOptions = {}): PbCompare {
  const k = toBytes(key);
  return { key: k, target, result: RESULT[op], rangeEnd: rangeEndOf(k, o), ...field };
}

/** Transaction guards. */
export const Compare = {
  value: (key: Bytes, op: CompareOp, value: Bytes, o?: RangeOptions) => compare(key, CompareTarget.VALUE, op, { value: toBytes(value) }, o),
  version: (key: Bytes, op: CompareOp, version: number, o?: RangeOptions) => compare(key, CompareTarget.VERSION, op, { version }, o),
  createRevision: (key: Bytes, op: CompareOp, revision: number, o?: RangeOptions) => compare(key, CompareTarget.CREATE, op, { createRevision: revision }, o),
  modRevision: (key: Bytes, op: CompareOp, revision: number, o?: RangeOptions) => compare(key, CompareTarget.MOD, op, { modRevision: revision }, o),
  lease: (key: Bytes, op: CompareOp, lease: bigint, o?: RangeOptions) => compare(key, CompareTarget.LEASE, op, { lease }, o),
};

function readOnly(ops: RequestOp[]): boolean {
  return ops.every((op) => op.requestRange !== undefined || (op.requestTxn !== undefined && readOnly(op.requestTxn.success) && readOnly(op.requestTxn.failure)));
}

/** `kv.txn().if(...).then(...).else(...).commit()`; each part may be given once. */
export class TxnBuilder {
  private readonly compares: PbCompare[] = [];
  private readonly success: RequestOp[] = [];
  private readonly failure: RequestOp[] = [];
  private stage = 0;

  constructor(private readonly run?: (req: TxnRequest, idempotent: boolean, opts?: CallOptions) => Promise<TxnResponse>) {}

  if(...c: PbCompare[]): this {
    this.advance(1, 'if');
    this.compares.push(...c);
    return this;
  }
  then(...ops: RequestOp[]): this {
    this.advance(2, 'then');
    this.success.push(...ops);
    return this;
  }
  else(...ops: RequestOp[]): this {
    this.advance(3, 'else');
    this.failure.push(...ops);
    return this;
  }
  request(): TxnRequest {
    return { compare: this.compares, success: this.success, failure: this.failure };
  }
  commit(opts?: CallOptions): Promise<TxnResponse> {
    if (!this.run) throw new Error('txn: a nested transaction is committed by its parent');
    const req = this.request();
    return this.run(req, readOnly(req.success) && readOnly(req.failure), opts);
  }

  private advance(to: number, name: string): void {
    if (this.stage >= to) throw new Error(`txn: ${name} called out of order or twice`);
    this.stage = to;
  }
}

export class KV {
  private readonly rangeRpc: UnaryMethod<RangeRequest, RangeResponse>;
  private readonly putRpc: UnaryMethod<PutRequest, PutResponse>;
  private readonly deleteRpc: UnaryMethod<DeleteRangeRequest, DeleteRangeResponse>;
  private readonly txnWrite: UnaryMethod<TxnRequest, TxnResponse>;
  private readonly txnRead: UnaryMethod<TxnRequest, TxnResponse>;
  private readonly compactRpc: UnaryMethod<CompactionRequest, CompactionResponse>;

  constructor(transport: Transport, defaults: ClientDefaults) {
    const m = <Q, R>(name: string, idempotent: boolean) => unaryMethod<Q, R>(transport, defaults, 'etcdserverpb.KV', name, idempotent);
    this.rangeRpc = m('Range', true);
    this.putRpc = m('Put', false);
    this.deleteRpc = m('DeleteRange', false);
    this.txnWrite = m('Txn', false);
    this.txnRead = m('Txn', true);
    this.compactRpc = m('Compact', false);
  }

  get(key: Bytes, opts: GetOptions = {}): Promise<RangeResponse> {
    return this.rangeRpc(rangeRequest(key, opts), opts);
  }

  /** The value of one key as text, or undefined when the key doesn't exist. */
  async getString(key: Bytes, opts: CallOptions & { revision?: number; serializable?: boolean } = {}): Promise<string | undefined> {
    const res = await this.get(key, opts);
    const kv = res.kvs[0];
    return kv === undefined ? undefined : toText(kv.value);
  }

  put(key: Bytes, value: Bytes, opts: PutOptions = {}): Promise<PutResponse> {
    return this.putRpc(putRequest(key, value, opts), opts);
  }

  delete(key: Bytes, opts: DeleteOptions = {}): Promise<DeleteRangeResponse> {
    return this.deleteRpc(deleteRequest(key, opts), opts);
  }

  compact(revision: number, opts: CallOptions & { physical?: boolean } = {}): Promise<CompactionResponse> {
    return this.compactRpc({ revision, physical: opts.physical ?? false }, opts);
  }

  txn(): TxnBuilder {
    return new TxnBuilder((req, idempotent, opts) => (idempotent ? this.txnRead : this.txnWrite)(req, opts));
  }
}
