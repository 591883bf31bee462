import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvApplier } from '../../src/apply/kv-applier.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { CompareResult as R, CompareTarget as T, SortOrder, SortTarget } from '../../src/pb/kv.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { s } from '../mvcc/util.js';
import { cmp, delReq, opDel, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from './reqs.js';

function fresh(leases?: ConstructorParameters<typeof KvApplier>[1]) {
  const store = MvccStore.open(new MemoryBackend());
  return { store, kv: new KvApplier(store, leases) };
}

const keysOf = (kvs: { key: Uint8Array }[]) => kvs.map((kv) => s(kv.key));

test('put: prev_kv, ignore_value, ignore_lease, missing lease', () => {
  const { store, kv } = fresh({ exists: (id) => id === 7n });
  assert.deepEqual(kv.put(putReq('a', '1', { prevKv: true })), {});
  const r = kv.put(putReq('a', '2', { prevKv: true, lease: 7n }));
  assert.equal(s(r.prevKv!.value), '1');
  assert.equal(store.rev(), 3);
  assert.throws(() => kv.put(putReq('nope', '', { ignoreValue: true })), (e) => e === Errors.KeyNotFound);
  assert.throws(() => kv.put(putReq('nope', 'x', { ignoreLease: true })), (e) => e === Errors.KeyNotFound);
  assert.equal(store.rev(), 3, 'a refused put creates no revision');
  kv.put(putReq('a', '', { ignoreValue: true }));
  let a = kv.range(rangeReq('a')).kvs[0];
  assert.deepEqual([s(a.value), a.lease, a.version], ['2', 0n, 3]);
  kv.put(putReq('a', '3', { lease: 7n }));
  kv.put(putReq('a', '4', { ignoreLease: true }));
  a = kv.range(rangeReq('a')).kvs[0];
  assert.deepEqual([s(a.value), a.lease], ['4', 7n]);
  assert.throws(() => kv.put(putReq('b', 'x', { lease: 8n })), (e) => e === Errors.LeaseNotFound);
  assert.throws(() => fresh().kv.put(putReq('b', 'x', { lease: 7n })), (e) => e === Errors.LeaseNotFound);
});

test('put and delete attach and detach leases', () => {
  const log: string[] = [];
  const { kv } = fresh({
    exists: () => true,
    attach: (id, key) => log.push(`+${id}:${s(key)}`),
    detach: (id, key) => log.push(`-${id}:${s(key)}`),
  });
  kv.put(putReq('a', '1', { lease: 1n }));
  kv.put(putReq('a', '2', { lease: 2n }));
  kv.put(putReq('a', '3'));
  kv.put(putReq('b', '1', { lease: 3n }));
  kv.deleteRange(delReq('b'));
  assert.deepEqual(log, ['+1:a', '-1:a', '+2:a', '-2:a', '+3:b', '-3:b']);
});

test('deleteRange: deleted count and prev_kvs; nothing deleted creates no revision', () => {
  const { store, kv } = fresh();
  for (const k of ['a', 'b', 'c']) kv.put(putReq(k, k));
  const r = kv.deleteRange(delReq('a', 'c', true));
  assert.equal(r.deleted, 2);
  assert.deepEqual(keysOf(r.prevKvs), ['a', 'b']);
  assert.equal(store.rev(), 5);
  assert.deepEqual(kv.deleteRange(delReq('zz')), { deleted: 0, prevKvs: [] });
  assert.equal(store.rev(), 5);
  assert.equal(kv.deleteRange(delReq('a', '\0')).deleted, 1);
});

test('range: limit/more/count, revision, count_only, keys_only, filters and sort defaults', () => {
  const { kv } = fresh();
  kv.put(putReq('a', '3')); // 2
  kv.put(putReq('b', '1')); // 3
  kv.put(putReq('c', '2')); // 4
  kv.put(putReq('a', '4')); // 5
  let r = kv.range(rangeReq('a', { end: '\0', limit: 1 }));
  assert.deepEqual([keysOf(r.kvs), r.more, r.count], [['a'], true, 3]);
  r = kv.range(rangeReq('a', { end: '\0', limit: 3 }));
  assert.equal(r.more, false);
  r = kv.range(rangeReq('a', { end: '\0', revision: 3 }));
  assert.deepEqual([keysOf(r.kvs), r.count, s(r.kvs[0].value)], [['a', 'b'], 2, '3']);
  r = kv.range(rangeReq('a', { end: '\0', countOnly: true }));
  assert.deepEqual([r.kvs.length, r.count], [0, 3]);
  r = kv.range(rangeReq('a', { end: '\0', keysOnly: true }));
  assert.deepEqual(r.kvs.map((x) => x.value.length), [0, 0, 0]);
  // A target other than KEY with order NONE sorts ascending.
  r = kv.range(rangeReq('a', { end: '\0', sortTarget: SortTarget.VALUE }));
  assert.deepEqual(keysOf(r.kvs), ['b', 'c', 'a']);
  r = kv.range(rangeReq('a', { end: '\0', sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND, limit: 2 }));
  assert.deepEqual([keysOf(r.kvs), r.more, r.count], [['a', 'c'], true, 3]);
  r = kv.range(rangeReq('a', { end: '\0', sortTarget: SortTarget.KEY, sortOrder: SortOrder.DESCEND }));
  assert.deepEqual(keysOf(r.kvs), ['c', 'b', 'a']);
  r = kv.range(rangeReq('a', { end: '\0', sortTarget: SortTarget.VERSION, sortOrder: SortOrder.DESCEND }));
  assert.deepEqual(keysOf(r.kvs), ['a', 'b', 'c']);
  // Filters apply after the count: count is the range's size, as etcd reports it.
  r = kv.range(rangeReq('a', { end: '\0', minModRevision: 4 }));
  assert.deepEqual([keysOf(r.kvs), r.count], [['a', 'c'], 3]);
  r = kv.range(rangeReq('a', { end: '\0', maxCreateRevision: 3, limit: 1 }));
  assert.deepEqual([keysOf(r.kvs), r.more], [['a'], true]);
  assert.throws(() => kv.range(rangeReq('a', { revision: 6 })), (e) => e === Errors.FutureRev);
});

test('txn: compares on existing and missing keys, one revision for all ops', () => {
  const { store, kv } = fresh();
  kv.put(putReq('a', '1')); // 2
  // A missing key compares as version/create/mod 0; a value compare on it fails.
  let r = kv.txn(txnReq([cmp('nokey', T.VERSION, R.EQUAL, 0), cmp('nokey', T.MOD, R.EQUAL, 0)], [opPut(putReq('t1', 'v')), opRange(rangeReq('t1')), opPut(putReq('t2', 'v'))]));
  assert.equal(r.succeeded, true);
  assert.equal(store.rev(), 3);
  assert.equal(r.responses[0].responsePut!.header!.revision, 3);
  assert.equal(r.responses[1].responseRange!.count, 1, 'ranges see earlier ops of the txn');
  assert.equal(r.responses[1].responseRange!.header!.revision, 3);
  r = kv.txn(txnReq([cmp('nokey', T.VALUE, R.NOT_EQUAL, 'x')], [opPut(putReq('t3', 'v'))], [opRange(rangeReq('a'))]));
  assert.equal(r.succeeded, false);
  assert.equal(s(r.responses[0].responseRange!.kvs[0].value), '1');
  assert.equal(store.rev(), 3, 'a txn with no writes creates no revision');
  // Range compares: every key must match.
  kv.put(putReq('a2', '1')); // 4
  const both = cmp('a', T.VALUE, R.EQUAL, '1', 'b');
  assert.equal(kv.txn(txnReq([both], [])).succeeded, true);
  kv.put(putReq('a3', '2')); // 5
  assert.equal(kv.txn(txnReq([both], [])).succeeded, false);
  assert.equal(kv.txn(txnReq([cmp('a', T.CREATE, R.LESS, 5, 'b')], [])).succeeded, false);
  assert.equal(kv.txn(txnReq([cmp('a', T.CREATE, R.LESS, 6, 'b')], [])).succeeded, true);
  assert.equal(kv.txn(txnReq([cmp('a', T.MOD, R.GREATER, 1)], [])).succeeded, true);
  assert.equal(kv.txn(txnReq([cmp('a', T.LEASE, R.EQUAL, 0n)], [])).succeeded, true);
  assert.equal(kv.txn(txnReq([cmp('a', T.VALUE, R.GREATER, '0')], [])).succeeded, true);
  assert.equal(store.rev(), 5);
});

test('txn: nested txns, delete then range, errors refuse the whole txn', () => {
  const { store, kv } = fresh();
  kv.put(putReq('a', '1')); // 2
  kv.put(putReq('b', '1')); // 3
  const inner = txnReq([cmp('b', T.VERSION, R.EQUAL, 1)], [opPut(putReq('c', 'x'))], [opPut(putReq('d', 'x'))]);
  const r = kv.txn(txnReq([], [opDel(delReq('a', '', true)), opRange(rangeReq('a')), opTxn(inner)]));
  assert.equal(store.rev(), 4);
  assert.equal(r.responses[0].responseDeleteRange!.deleted, 1);
  assert.equal(r.responses[1].responseRange!.count, 0);
  const nested = r.responses[2].responseTxn!;
  assert.equal(nested.succeeded, true);
  assert.equal(nested.header!.revision, 0, 'etcd leaves nested txn headers without a revision');
  assert.equal(nested.responses[0].responsePut!.header!.revision, 4);
  assert.deepEqual(keysOf(kv.range(rangeReq('a', { end: '\0' })).kvs), ['b', 'c']);
  // A failing check inside the taken branch refuses everything, writes included.
  assert.throws(() => kv.txn(txnReq([], [opPut(putReq('e', 'x')), opPut(putReq('f', 'x', { lease: 9n }))])), (e) => e === Errors.LeaseNotFound);
  assert.throws(() => kv.txn(txnReq([], [opPut(putReq('e', 'x')), opPut(putReq('g', '', { ignoreValue: true }))])), (e) => e === Errors.KeyNotFound);
  assert.throws(() => kv.txn(txnReq([], [opRange(rangeReq('a', { revision: 99 }))])), (e) => e === Errors.FutureRev);
  // Checks only cover the branch taken.
  assert.equal(kv.txn(txnReq([cmp('zz', T.VERSION, R.GREATER, 0)], [opPut(putReq('f', 'x', { lease: 9n }))], [])).succeeded, false);
  assert.equal(store.rev(), 4);
  kv.compaction({ revision: 3, physical: true });
  assert.throws(() => kv.txn(txnReq([], [opRange(rangeReq('a', { revision: 2 }))])), (e) => e === Errors.Compacted);
  assert.throws(() => kv.range(rangeReq('a', { revision: 2 })), (e) => e === Errors.Compacted);
});

test('compaction: compacted and future revisions are refused', () => {
  const { store, kv } = fresh();
  kv.put(putReq('a', '1'));
  kv.put(putReq('a', '2'));
  assert.throws(() => kv.compaction({ revision: 4, physical: false }), (e) => e === Errors.FutureRev);
  assert.deepEqual(kv.compaction({ revision: 3, physical: false }), {});
  assert.throws(() => kv.compaction({ revision: 3, physical: false }), (e) => e === Errors.Compacted);
  assert.equal(store.compactRev(), 3);
  assert.equal(s(kv.range(rangeReq('a', { revision: 3 })).kvs[0].value), '2');
});
