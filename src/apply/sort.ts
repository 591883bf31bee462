// Range result ordering. Results arrive ascending by key; the sort is stable, so
// entries that tie on the target stay in key order.
import { SortOrder, SortTarget, type KeyValue } from '../pb/kv.js';

type Cmp = (a: KeyValue, b: KeyValue) => number;

const BY_TARGET: Record<SortTarget, Cmp> = {
  [SortTarget.KEY]: (a, b) => Buffer.compare(a.key, b.key),
  [SortTarget.VERSION]: (a, b) => a.version - b.version,
  [SortTarget.CREATE]: (a, b) => a.createRevision - b.createRevision,
  [SortTarget.MOD]: (a, b) => a.modRevision - b.modRevision,
  [SortTarget.VALUE]: (a, b) => Buffer.compare(a.value, b.value),
};

/** etcd's rule: order NONE with a target other than KEY means ascending. */
export function effectiveSortOrder(order: SortOrder, target: SortTarget): SortOrder {
  return order === SortOrder.NONE && target !== SortTarget.KEY ? SortOrder.ASCEND : order;
}

export function sortKvs(kvs: KeyValue[], order: SortOrder, target: SortTarget): void {
  const o = effectiveSortOrder(order, target);
  if (o !== SortOrder.ASCEND && o !== SortOrder.DESCEND) return;
  const cmp = BY_TARGET[target] ?? BY_TARGET[SortTarget.KEY];
  if (o === SortOrder.ASCEND) kvs.sort(cmp);
  else kvs.sort((a, b) => cmp(b, a));
}
