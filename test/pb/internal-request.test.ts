import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec } from '../../src/pb/codec.js';
import { internalRequestCodec } from '../../src/pb/internal-request.js';

const reflect = codec<any>('etcdserverpb.InternalRaftRequest');

/** Deterministic pseudo-random source so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

function bytes(rand: () => number, max: number): Buffer {
  const n = Math.floor(rand() * max);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function u64(rand: () => number): bigint {
  const pick = rand();
  if (pick < 0.1) return 0n;
  if (pick < 0.2) return (1n << 64n) - 1n;
  if (pick < 0.4) return BigInt(Math.floor(rand() * 300));
  return (BigInt(Math.floor(rand() * 0x100000000)) << 32n) | BigInt(Math.floor(rand() * 0x100000000));
}

function lease(rand: () => number): bigint {
  const pick = rand();
  if (pick < 0.4) return 0n;
  if (pick < 0.5) return -1n;
  if (pick < 0.6) return -(1n << 63n);
  return BigInt.asIntN(64, u64(rand));
}

function plainPut(rand: () => number) {
  const usernames = ['', 'root', 'user-é', 'ü'.repeat(70)];
  return {
    put: {
      key: bytes(rand, 40),
      value: bytes(rand, rand() < 0.1 ? 300 : 20),
      lease: lease(rand),
      prevKv: rand() < 0.5,
      ignoreValue: rand() < 0.5,
      ignoreLease: rand() < 0.5,
    },
    header: {
      ID: u64(rand),
      username: usernames[Math.floor(rand() * usernames.length)],
      authRevision: rand() < 0.3 ? 0 : rand() < 0.5 ? Math.floor(rand() * 1000) : Math.floor(rand() * Number.MAX_SAFE_INTEGER),
    },
  };
}

test('a plain put encodes to the very bytes the reflection codec writes', () => {
  const rand = rng(1);
  for (let i = 0; i < 500; i++) {
    const req = plainPut(rand);
    assert.deepEqual(Buffer.from(internalRequestCodec.encode(req)), Buffer.from(reflect.encode(req)), `case ${i}`);
  }
});

test('a plain put decodes to the same object as the reflection codec, views and all', () => {
  const rand = rng(2);
  for (let i = 0; i < 500; i++) {
    const wire = Buffer.from(reflect.encode(plainPut(rand)));
    const fast = internalRequestCodec.decode(wire);
    const slow = reflect.decode(wire);
    assert.deepEqual(fast, slow, `case ${i}`);
    assert.deepEqual(Object.keys(fast), Object.keys(slow));
    assert.deepEqual(Object.keys(fast.put), Object.keys(slow.put));
    assert.equal(Buffer.isBuffer(fast.put.key), Buffer.isBuffer(slow.put.key));
  }
});

test('encoded entries are exact-size and never overwritten by later encodings', () => {
  const rand = rng(3);
  const reqs = Array.from({ length: 400 }, () => plainPut(rand));
  const encoded = reqs.map((r) => internalRequestCodec.encode(r));
  reqs.forEach((r, i) => assert.deepEqual(Buffer.from(encoded[i]), Buffer.from(reflect.encode(r)), `entry ${i}`));
  const header = reqs[0].header;
  const other = internalRequestCodec.encode({ header, deleteRange: { key: Buffer.from('a'), rangeEnd: Buffer.alloc(0), prevKv: false } });
  // The reflection path copies out of protobufjs's shared slab.
  assert.equal(other.byteOffset, 0);
  assert.equal(other.buffer.byteLength, other.byteLength);
});

test('puts with a top-level ID, no header, or fields left out decode like the reflection codec', () => {
  const key = Buffer.from('k');
  const cases = [
    { ID: 7n, put: { key, value: Buffer.from('v') } },
    { put: { key } },
    { put: {} },
    { header: { ID: 5n }, put: { key, lease: 3n } },
  ];
  for (const c of cases) {
    const wire = Buffer.from(reflect.encode(c));
    assert.deepEqual(internalRequestCodec.decode(wire), reflect.decode(wire));
  }
});

test('other requests and unusual put shapes take the reflection path with identical results', () => {
  const header = { ID: 9n, username: 'u', authRevision: 2 };
  const cases: any[] = [
    { header, deleteRange: { key: Buffer.from('a'), rangeEnd: Buffer.from('b'), prevKv: true } },
    { header, put: { key: Buffer.from('a'), value: Buffer.from('b'), lease: 5, prevKv: false, ignoreValue: false, ignoreLease: false } },
    { header, put: { key: Buffer.from('a'), value: Buffer.from('b') } },
    { header, put: { key: Buffer.from('a'), value: Buffer.from('b'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }, alarm: { action: 1, memberID: 3n, alarm: 1 } },
    { header, leaseGrant: { TTL: 5, ID: 0n } },
    { v2: { ID: 1n, Method: 'PUT', Path: '/0/version', Val: '3.4.0' } },
  ];
  for (const c of cases) {
    const fastBytes = internalRequestCodec.encode(c);
    assert.deepEqual(Buffer.from(fastBytes), Buffer.from(reflect.encode(c)));
    assert.deepEqual(internalRequestCodec.decode(fastBytes), reflect.decode(fastBytes));
  }
});

test('a put followed by an unknown field is left to the reflection codec', () => {
  const base = Buffer.from(reflect.encode(plainPut(rng(4))));
  // Field 2000, varint 1: the reflection codec skips it.
  const wire = Buffer.concat([base, Buffer.from([0x80, 0x7d, 0x01])]);
  assert.deepEqual(internalRequestCodec.decode(wire), reflect.decode(wire));
});

test('truncated input is refused as the reflection codec refuses it', () => {
  const wire = Buffer.from(reflect.encode(plainPut(rng(5))));
  const cut = wire.subarray(0, wire.length - 2);
  assert.throws(() => reflect.decode(cut));
  assert.throws(() => internalRequestCodec.decode(cut));
});
