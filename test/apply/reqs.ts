// Request builders with etcd's defaults, for the applier tests.
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../src/pb/kv.js';
import { CompareResult, CompareTarget, SortOrder, SortTarget } from '../../src/pb/kv.js';
import { b } from '../mvcc/util.js';

export const rangeReq = (key: string, o: Partial<RangeRequest> & { end?: string } = {}): RangeRequest => ({
  key: b(key),
  rangeEnd: b(o.end ?? ''),
  limit: 0,
  revision: 0,
  sortOrder: SortOrder.NONE,
  sortTarget: SortTarget.KEY,
  serializable: false,
  keysOnly: false,
  countOnly: false,
  minModRevision: 0,
  maxModRevision: 0,
  minCreateRevision: 0,
  maxCreateRevision: 0,
  ...o,
});

export const putReq = (key: string, value: string, o: Partial<PutRequest> = {}): PutRequest => ({
  key: b(key),
  value: b(value),
  lease: 0n,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
  ...o,
});

export const delReq = (key: string, end = '', prevKv = false): DeleteRangeRequest => ({ key: b(key), rangeEnd: b(end), prevKv });

export const cmp = (key: string, target: CompareTarget, result: CompareResult, v: number | string | bigint, end = ''): Compare => {
  const c: Compare = { key: b(key), target, result, rangeEnd: b(end) };
  if (target === CompareTarget.VALUE) c.value = b(v as string);
  else if (target === CompareTarget.VERSION) c.version = v as number;
  else if (target === CompareTarget.CREATE) c.createRevision = v as number;
  else if (target === CompareTarget.MOD) c.modRevision = v as number;
  else c.lease = v as bigint;
  return c;
};

export const txnReq = (compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ compare, success, failure });
export const opRange = (r: RangeRequest): RequestOp => ({ requestRange: r });
export const opPut = (p: PutRequest): RequestOp => ({ requestPut: p });
export const opDel = (d: DeleteRangeRequest): RequestOp => ({ requestDeleteRange: d });
export const opTxn = (t: TxnRequest): RequestOp => ({ requestTxn: t });
