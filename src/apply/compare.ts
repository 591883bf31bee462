// Txn guards. A compare holds when every key in its range satisfies it; a missing key
// compares as a zero KeyValue (version 0, revisions 0, lease 0), except that a value
// compare on a missing key always fails, since no value can stand for "absent".
import { CompareResult, CompareTarget, type Compare, type KeyValue } from '../pb/kv.js';
import type { RangeOptions, RangeResult } from '../mvcc/store.js';

export interface ReadView {
  rev(): number;
  range(key: Uint8Array, end: Uint8Array | undefined, opts?: RangeOptions): RangeResult;
}

const ZERO_KV: KeyValue = {
  key: new Uint8Array(0),
  value: new Uint8Array(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  lease: 0n,
};

export function applyCompares(rv: ReadView, cmps: readonly Compare[]): boolean {
  return cmps.every((c) => applyCompare(rv, c));
}

export function applyCompare(rv: ReadView, c: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = rv.range(c.key, c.rangeEnd, {}).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) {
    if (c.target === CompareTarget.VALUE) return false;
    return compareKV(c, ZERO_KV);
  }
  return kvs.every((kv) => compareKV(c, kv));
}

export function compareKV(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case CompareTarget.VALUE:
      result = Buffer.compare(kv.value, c.value ?? new Uint8Array(0));
      break;
    case CompareTarget.CREATE:
      result = sign(kv.createRevision - (c.createRevision ?? 0));
      break;
    case CompareTarget.MOD:
      result = sign(kv.modRevision - (c.modRevision ?? 0));
      break;
    case CompareTarget.VERSION:
      result = sign(kv.version - (c.version ?? 0));
      break;
    case CompareTarget.LEASE: {
      const l = c.lease ?? 0n;
      result = kv.lease < l ? -1 : kv.lease > l ? 1 : 0;
      break;
    }
    default:
      result = 0;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
    default:
      return true;
  }
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
