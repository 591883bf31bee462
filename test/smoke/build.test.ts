import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Errors, GrpcCode } from '../../src/rpctypes/errors.js';

test('etcd error table keeps etcd codes and messages', () => {
  assert.equal(Errors.Compacted.code, GrpcCode.OutOfRange);
  assert.equal(Errors.Compacted.message, 'etcdserver: mvcc: required revision has been compacted');
});
