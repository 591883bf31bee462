import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec } from '../../src/pb/codec.js';
import type { PutRequest, RangeResponse, TxnRequest } from '../../src/pb/kv.js';

test('64-bit lease IDs keep all 64 bits through encode and decode', () => {
  const c = codec<PutRequest>('etcdserverpb.PutRequest');
  const lease = 0x7fedcba987654321n;
  const back = c.decode(c.encode({ key: Buffer.from('k'), value: Buffer.from('v'), lease, prevKv: false, ignoreValue: false, ignoreLease: false }));
  assert.equal(back.lease, lease);
  assert.deepEqual(Buffer.from(back.key), Buffer.from('k'));
});

test('uint64 member IDs above 2^63 survive in the header', () => {
  const c = codec<RangeResponse>('etcdserverpb.RangeResponse');
  const header = { clusterId: 0xcdf818194e3a8c32n, memberId: 0x8e9e05c52164694dn, revision: 42, raftTerm: 7 };
  const back = c.decode(c.encode({ header, kvs: [], more: false, count: 0 }));
  assert.deepEqual(back.header, header);
});

test('absent fields decode to proto3 defaults; oneofs only when set', () => {
  const c = codec<TxnRequest>('etcdserverpb.TxnRequest');
  const back = c.decode(c.encode({ compare: [], success: [{ requestRange: { key: Buffer.from('a') } as any }], failure: [] }));
  assert.equal(back.success.length, 1);
  const r = back.success[0]!.requestRange!;
  assert.equal(r.limit, 0);
  assert.equal(r.revision, 0);
  assert.equal(r.serializable, false);
  assert.equal(r.rangeEnd.length, 0);
  assert.equal(back.success[0]!.requestPut, undefined);
});

test('unset bytes fields decode as empty Uint8Array, not protobufjs prototype defaults', () => {
  const c = codec<any>('etcdserverpb.RangeRequest');
  const back = c.decode(c.encode({ key: Buffer.from('a') }));
  assert.ok(back.rangeEnd instanceof Uint8Array);
  assert.equal(back.rangeEnd.length, 0);
});
