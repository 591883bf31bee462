import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRequest } from '../../src/apply/check.js';
import { CompareResult as R, CompareTarget as T, type SortOrder, type SortTarget } from '../../src/pb/kv.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { cmp, delReq, opDel, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from './reqs.js';

const limits = { maxTxnOps: 4 };
const check = (op: Parameters<typeof checkRequest>[0]) => () => checkRequest(op, limits);
const is = (err: unknown) => (e: unknown) => e === err;

test('single requests: empty key, ignore_value with value, ignore_lease with lease, sort options', () => {
  assert.throws(check(opRange(rangeReq(''))), is(Errors.EmptyKey));
  assert.throws(check(opPut(putReq('', 'v'))), is(Errors.EmptyKey));
  assert.throws(check(opDel(delReq(''))), is(Errors.EmptyKey));
  assert.throws(check(opPut(putReq('k', 'v', { ignoreValue: true }))), is(Errors.ValueProvided));
  assert.throws(check(opPut(putReq('k', '', { ignoreLease: true, lease: 1n }))), is(Errors.LeaseProvided));
  assert.throws(check(opRange(rangeReq('k', { sortOrder: 7 as SortOrder }))), is(Errors.InvalidSortOption));
  assert.throws(check({}), is(Errors.KeyNotFound));
  check(opPut(putReq('k', '', { ignoreValue: true, ignoreLease: true })))();
});

test("etcd 3.4's checks (sortOrderChecked false): any sort order passes, a sort target outside the enum does not, in a txn too", () => {
  const as34 = (op: Parameters<typeof checkRequest>[0]) => () => checkRequest(op, { maxTxnOps: 4, sortOrderChecked: false });
  as34(opRange(rangeReq('k', { sortOrder: 7 as SortOrder })))();
  as34(opTxn(txnReq([], [opRange(rangeReq('k', { sortOrder: -1 as SortOrder }))])))();
  assert.throws(as34(opRange(rangeReq('k', { sortTarget: 9 as SortTarget }))), is(Errors.InvalidSortOption));
  assert.throws(check(opTxn(txnReq([], [opRange(rangeReq('k', { sortOrder: 7 as SortOrder }))]))), is(Errors.InvalidSortOption));
});

test('txn: op count, compare keys, nested checks', () => {
  const five = [1, 2, 3, 4, 5].map((i) => opPut(putReq(`k${i}`, 'v')));
  assert.throws(check(opTxn(txnReq([], five))), is(Errors.TooManyOps));
  assert.throws(check(opTxn(txnReq([cmp('', T.VERSION, R.EQUAL, 0)], []))), is(Errors.EmptyKey));
  assert.throws(check(opTxn(txnReq([], [opTxn(txnReq([], [opPut(putReq('', 'v'))]))]))), is(Errors.EmptyKey));
  assert.throws(check(opTxn(txnReq([], [{}]))), is(Errors.KeyNotFound));
  // The nested txn's budget is what the outer level leaves.
  const three = [1, 2, 3].map((i) => opPut(putReq(`n${i}`, 'v')));
  assert.throws(check(opTxn(txnReq([], [opPut(putReq('a', 'v')), opPut(putReq('b', 'v')), opTxn(txnReq([], three))]))), is(Errors.TooManyOps));
});

test('txn: one write per key, counting deletes and nested branches as etcd does', () => {
  const dup = (...ops: Parameters<typeof txnReq>[1]) => check(opTxn(txnReq([], ops)));
  assert.throws(dup(opPut(putReq('a', '1')), opPut(putReq('a', '2'))), is(Errors.DuplicateKey));
  assert.throws(dup(opDel(delReq('a', 'c')), opPut(putReq('b', '2'))), is(Errors.DuplicateKey));
  assert.throws(dup(opPut(putReq('a', '1')), opTxn(txnReq([], [opPut(putReq('a', '2'))]))), is(Errors.DuplicateKey));
  assert.throws(dup(opDel(delReq('a')), opTxn(txnReq([], [], [opPut(putReq('a', '2'))]))), is(Errors.DuplicateKey));
  assert.throws(dup(opTxn(txnReq([], [opDel(delReq('a'))])), opPut(putReq('a', '2'))), is(Errors.DuplicateKey));
  // Allowed: deletes overlapping each other, a put beside a delete of another key, both
  // branches of one nested txn putting the same key, the same key in success and failure.
  dup(opDel(delReq('a', 'c')), opDel(delReq('b')), opPut(putReq('c', '1')))();
  dup(opTxn(txnReq([], [opPut(putReq('a', '1'))], [opPut(putReq('a', '2'))])))();
  check(opTxn(txnReq([], [opPut(putReq('a', '1'))], [opPut(putReq('a', '2'))])))();
  // etcd takes range_end "\0" literally here, so a from-key delete does not clash.
  dup(opDel(delReq('a', '\0')), opPut(putReq('b', '1')))();
});
