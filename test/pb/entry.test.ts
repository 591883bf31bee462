// What a log entry holds, told apart as etcd 3.4 tells it: entries the real etcd wrote
// (bare v2 Requests publishing a member and setting the cluster version, an
// InternalRaftRequest put), and an InternalRaftRequest nesting a v2 request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntry } from '../../src/raft/index.js';
import { decodeEntryRequest, encodeV2Request } from '../../src/pb/entry.js';
import { internalRequestCodec } from '../../src/pb/internal-request.js';
import * as golden from '../raft/etcd-goldens.js';

const data = (h: string) => decodeEntry(new Uint8Array(Buffer.from(h, 'hex'))).data;

test("etcd's own entries: publish and cluster version are bare v2 Requests, a put an InternalRaftRequest", () => {
  const publish = decodeEntryRequest(data(golden.ENTRY_PUBLISH));
  assert.equal(publish.v2?.Method, 'PUT');
  assert.equal(publish.v2?.Path, '/0/members/667880157b8812c8/attributes');
  assert.equal(publish.v2?.Val, '{"name":"e1","clientURLs":["http://127.0.0.1:42379"]}');
  const version = decodeEntryRequest(data(golden.ENTRY_VERSION));
  assert.deepEqual([version.v2?.Path, version.v2?.Val], ['/0/version', '3.4.0']);
  const put = decodeEntryRequest(data(golden.ENTRY_PUT));
  assert.equal(put.v2, undefined);
  assert.equal(Buffer.from(put.v3.put.key).toString(), 'k1');
  assert.equal(Buffer.from(put.v3.put.value).toString(), 'v1');
});

test('a v2 request round-trips bare, and nested in an InternalRaftRequest reads as v2 too', () => {
  const r = { ID: 0xfedcba9876543210n, Method: 'PUT', Path: '/0/version', Val: '3.4.0' };
  const bare = decodeEntryRequest(encodeV2Request(r));
  assert.deepEqual([bare.v2?.ID, bare.v2?.Method, bare.v2?.Path, bare.v2?.Val], [r.ID, r.Method, r.Path, r.Val]);
  const nested = decodeEntryRequest(internalRequestCodec.encode({ v2: r }));
  assert.equal(nested.v3.v2.Path, '/0/version');
  assert.throws(() => decodeEntryRequest(new Uint8Array([0x0a, 0x07])), /neither an InternalRaftRequest nor a v2 Request/);
});
