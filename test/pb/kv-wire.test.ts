// The hand codecs of the hot KV messages against the reflection codec, on random
// messages: decoding gives the same objects, encoding the same messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec } from '../../src/pb/codec.js';
import { decodeLeaseKeepAliveRequest, decodePutRequest, decodeRangeRequest, encodeLeaseKeepAliveResponse, encodePutResponse, encodeRangeResponse } from '../../src/pb/kv-wire.js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../src/pb/lease.js';
import { encodeKeyValue } from '../../src/pb/keyvalue.js';
import type { KeyValue, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader } from '../../src/pb/kv.js';
import { mulberry32 } from '../helpers/rng.js';

const putReq = codec<PutRequest>('etcdserverpb.PutRequest');
const rangeReq = codec<RangeRequest>('etcdserverpb.RangeRequest');
const putResp = codec<PutResponse>('etcdserverpb.PutResponse');
const rangeResp = codec<RangeResponse>('etcdserverpb.RangeResponse');
const kaReq = codec<LeaseKeepAliveRequest>('etcdserverpb.LeaseKeepAliveRequest');
const kaResp = codec<LeaseKeepAliveResponse>('etcdserverpb.LeaseKeepAliveResponse');

type Rng = () => number;
const int = (r: Rng, max: number) => Math.floor(r() * max);
const bytes = (r: Rng, max: number) => Uint8Array.from({ length: int(r, max) }, () => int(r, 256));
/** Zero, small, large and (where the type allows) negative int64 values. */
const i64 = (r: Rng) => [0, 1, int(r, 1000), 2 ** 40 + int(r, 1000), Number.MAX_SAFE_INTEGER, -1, -int(r, 1e9)][int(r, 7)]!;
const u64id = (r: Rng) => [0n, 1n, BigInt(int(r, 2 ** 30)) * 0x100000001n, (1n << 63n) + 5n, (1n << 64n) - 1n][int(r, 5)]!;
const i64id = (r: Rng) => [0n, 7n, -1n, (1n << 62n) + 3n, -(1n << 63n)][int(r, 5)]!;

function header(r: Rng): ResponseHeader {
  return { clusterId: u64id(r), memberId: u64id(r), revision: Math.abs(i64(r)), raftTerm: int(r, 2) ? 0 : int(r, 1e6) };
}

function kv(r: Rng): KeyValue {
  return { key: bytes(r, 20), value: bytes(r, 300), createRevision: int(r, 1e6), modRevision: int(r, 1e6), version: int(r, 1e3), lease: int(r, 2) ? 0n : BigInt(int(r, 2 ** 31)) };
}

/** Unknown fields a newer client might send: they must be skipped. */
function unknownFields(r: Rng): Uint8Array {
  if (r() < 0.7) return new Uint8Array(0);
  return Uint8Array.from([0xf8, 0x01, 0x2a, 0xfa, 0x01, 0x02, 0x61, 0x62, 0x7d, 1, 2, 3, 4]);
}

test('PutRequest and RangeRequest decode as the reflection codec decodes them', () => {
  const r = mulberry32(17);
  for (let i = 0; i < 2000; i++) {
    const p: PutRequest = { key: bytes(r, 40), value: bytes(r, 600), lease: i64id(r), prevKv: r() < 0.5, ignoreValue: r() < 0.5, ignoreLease: r() < 0.5 };
    const pb = Buffer.concat([putReq.encode(p), unknownFields(r)]);
    assert.deepEqual(decodePutRequest(pb), putReq.decode(pb));
    const q: RangeRequest = {
      key: bytes(r, 40), rangeEnd: bytes(r, 3), limit: i64(r), revision: i64(r), sortOrder: int(r, 4), sortTarget: int(r, 6) - (r() < 0.05 ? 9 : 0),
      serializable: r() < 0.5, keysOnly: r() < 0.5, countOnly: r() < 0.5, minModRevision: i64(r), maxModRevision: i64(r), minCreateRevision: i64(r), maxCreateRevision: i64(r),
    };
    const qb = Buffer.concat([rangeReq.encode(q), unknownFields(r)]);
    assert.deepEqual(decodeRangeRequest(qb), rangeReq.decode(qb));
  }
});

test('truncated requests are refused by both', () => {
  const r = mulberry32(5);
  for (let i = 0; i < 300; i++) {
    const full = putReq.encode({ key: bytes(r, 40), value: bytes(r, 100), lease: i64id(r), prevKv: true, ignoreValue: false, ignoreLease: false });
    if (full.length < 2) continue;
    const cut = full.subarray(0, 1 + int(r, full.length - 1));
    let reflect: unknown;
    try {
      putReq.decode(cut);
    } catch (e) {
      reflect = e;
    }
    if (reflect === undefined) continue; // a cut on a field boundary is a valid shorter message
    assert.throws(() => decodePutRequest(cut));
  }
});

test('PutResponse and RangeResponse encode to what the reflection codec reads back', () => {
  const r = mulberry32(29);
  for (let i = 0; i < 1000; i++) {
    const p: PutResponse = { header: header(r) };
    if (r() < 0.5) p.prevKv = kv(r);
    assert.deepEqual(putResp.decode(Buffer.from(encodePutResponse(p))), putResp.decode(putResp.encode(p)));
    const kvs = Array.from({ length: int(r, 6) }, () => kv(r));
    const q: RangeResponse = { header: header(r), kvs, more: r() < 0.3, count: int(r, 2) ? kvs.length : int(r, 1e7) };
    const want = rangeResp.decode(rangeResp.encode(q));
    assert.deepEqual(rangeResp.decode(Buffer.from(encodeRangeResponse(q))), want);
    // The stored bytes of the same key-values give the same message.
    assert.deepEqual(rangeResp.decode(Buffer.from(encodeRangeResponse({ ...q, kvs: [] }, kvs.map(encodeKeyValue)))), want);
  }
});

test('LeaseKeepAlive: the request decodes and the response encodes as the reflection codec does', () => {
  const r = mulberry32(41);
  for (let i = 0; i < 1000; i++) {
    const req = Buffer.concat([kaReq.encode({ ID: i64id(r) }), unknownFields(r)]);
    assert.deepEqual(decodeLeaseKeepAliveRequest(req), kaReq.decode(req));
    const resp: LeaseKeepAliveResponse = { header: header(r), ID: i64id(r), TTL: [0, 1, int(r, 1e6), 9_000_000_000][int(r, 4)]! };
    if (r() < 0.1) delete resp.header;
    const ours = Buffer.from(encodeLeaseKeepAliveResponse(resp));
    assert.deepEqual(kaResp.decode(ours), kaResp.decode(kaResp.encode(resp)));
  }
  // A request cut inside its ID is refused.
  const full = kaReq.encode({ ID: (1n << 62n) + 3n });
  assert.throws(() => decodeLeaseKeepAliveRequest(full.subarray(0, 3)));
});
